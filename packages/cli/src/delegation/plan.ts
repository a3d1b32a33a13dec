import type { DelegateKind, MapTypeRegistry, ProgTypeRegistry } from '@bpfkit/kernel-api';
import { BpfCmd, Capability, capName } from '@bpfkit/uapi';
import { operationCmd, formatOperation, type Operation } from './operation.js';

/** Commands that look at a token at all; delegating any other command changes nothing. */
const TOKEN_AWARE_CMDS: ReadonlySet<number> = new Set([
  BpfCmd.BPF_MAP_CREATE,
  BpfCmd.BPF_PROG_LOAD,
  BpfCmd.BPF_BTF_LOAD,
  BpfCmd.BPF_BTF_GET_FD_BY_ID,
]);

/** The smallest delegation for a set of operations, and what else the process needs. */
export interface DelegationPlan {
  readonly masks: Readonly<Record<DelegateKind, bigint>>;
  /** Capabilities the process needs in the bpffs's user namespace (besides holding the token). */
  readonly capabilities: readonly string[];
  /** Why each bit and capability is there, one line per operation, plus caveats. */
  readonly notes: readonly string[];
}

/** The descriptors the planner reads: per-type capability gating and attach-type fix-ups. */
export interface PlanDeps {
  readonly mapTypes: MapTypeRegistry;
  readonly progTypes: ProgTypeRegistry;
}

const bit = (n: number): bigint => 1n << BigInt(n);

/**
 * Works out the `delegate_*` masks an application needs, following the kernel:
 * a token is used only when its cmd bit is set, and then its map-type bit, or
 * for programs both the prog-type bit and the bit of `expected_attach_type`
 * after `bpf_prog_load_fixup_attach_type`. Capabilities are checked with
 * `ns_capable` in the token's user namespace.
 *
 * @example
 * planDelegation([parseOperation('map_create hash'), parseOperation('prog_load xdp --attach xdp')], deps).masks;
 * // { cmds: 0x21n, maps: 0x2n, progs: 0x40n, attachs: 0x1000000000n }
 */
export function planDelegation(ops: readonly Operation[], deps: PlanDeps): DelegationPlan {
  const masks: Record<DelegateKind, bigint> = { cmds: 0n, maps: 0n, progs: 0n, attachs: 0n };
  const caps = new Set<number>([Capability.CAP_BPF]);
  const notes: string[] = [];
  for (const op of ops) {
    const cmd = operationCmd(op);
    const what = formatOperation(op);
    if (op.op === 'token_create') {
      notes.push(`${what}: needs CAP_BPF in the bpffs's user namespace and any non-zero delegate_* mask`);
      continue;
    }
    if (!TOKEN_AWARE_CMDS.has(cmd)) {
      notes.push(`${what}: this command takes no token; delegation cannot grant it (the usual capability checks apply)`);
      continue;
    }
    masks.cmds |= bit(cmd);
    if (op.op === 'map_create') {
      masks.maps |= bit(op.mapType);
      const extra = deps.mapTypes.get(op.mapType)?.capability;
      if (extra === 'CAP_NET_ADMIN') caps.add(Capability.CAP_NET_ADMIN);
      notes.push(`${what}: delegate_cmds map_create, delegate_maps bit ${op.mapType}${extra === 'CAP_NET_ADMIN' ? '; this map type also needs CAP_NET_ADMIN' : ''}`);
    } else if (op.op === 'prog_load') {
      const desc = deps.progTypes.get(op.progType);
      const attach = desc?.fixupAttachType(op.attachType) ?? op.attachType;
      masks.progs |= bit(op.progType);
      masks.attachs |= bit(attach);
      for (const c of desc?.capabilities ?? []) caps.add(Capability[c]);
      const fixed = attach === op.attachType ? '' : ` (the kernel turns expected_attach_type ${op.attachType} into ${attach})`;
      notes.push(`${what}: delegate_progs bit ${op.progType} and delegate_attachs bit ${attach}${fixed}`);
    } else if (op.op === 'btf_get_fd_by_id') {
      caps.add(Capability.CAP_SYS_ADMIN);
      notes.push(`${what}: delegate_cmds btf_get_fd_by_id; needs CAP_SYS_ADMIN (not CAP_BPF) in the token's user namespace`);
    } else {
      notes.push(`${what}: delegate_cmds only`);
    }
  }
  const capabilities = [...caps].sort((x, y) => x - y).map((c) => capName(c) ?? `capability ${c}`);
  return { masks, capabilities, notes };
}
