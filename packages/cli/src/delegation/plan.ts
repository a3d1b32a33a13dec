import type { DelegateKind, MapTypeRegistry, ProgTypeRegistry } from '@bpfkit/kernel-api';
import { BpfAttachType, BpfCmd, BpfProgType, Capability, bpfAttachTypeTable, bpfProgTypeTable, capName, enumName, enumShortName } from '@bpfkit/uapi';
import { libbpfSection } from './libbpf-sections.js';
import { operationCmd, formatOperation, type Operation } from './operation.js';

/** Commands that look at a token at all; delegating any other command changes nothing. */
const TOKEN_AWARE_CMDS: ReadonlySet<number> = new Set([
  BpfCmd.BPF_MAP_CREATE,
  BpfCmd.BPF_PROG_LOAD,
  BpfCmd.BPF_BTF_LOAD,
  BpfCmd.BPF_BTF_GET_FD_BY_ID,
]);

/** Program types attached through perf_event_open(2), which takes no token. */
const PERF_EVENT_ATTACHED: ReadonlySet<number> = new Set([
  BpfProgType.BPF_PROG_TYPE_KPROBE,
  BpfProgType.BPF_PROG_TYPE_TRACEPOINT,
  BpfProgType.BPF_PROG_TYPE_PERF_EVENT,
]);

/** kprobe attach types that are links (BPF_LINK_CREATE), not perf events. */
const KPROBE_LINKS: ReadonlySet<number> = new Set([
  BpfAttachType.BPF_TRACE_KPROBE_MULTI,
  BpfAttachType.BPF_TRACE_KPROBE_SESSION,
  BpfAttachType.BPF_TRACE_UPROBE_MULTI,
]);

/** An operation the kernel would refuse whatever the delegation (an illegal program/attach pair). */
export interface RefusedOperation {
  readonly operation: string;
  readonly errno: string;
  readonly reason: string;
  readonly message: string;
}

/** The smallest delegation for a set of operations, and what else the process needs. */
export interface DelegationPlan {
  readonly masks: Readonly<Record<DelegateKind, bigint>>;
  /** Capabilities the process needs in the bpffs's user namespace (besides holding the token). */
  readonly capabilities: readonly string[];
  /** Why each bit and capability is there, one line per operation, plus caveats. */
  readonly notes: readonly string[];
  /** What the plan cannot do for the application: libbpf's attach types, what no token grants. */
  readonly warnings: readonly string[];
  /** Operations no delegation allows; they are not planned. */
  readonly refused: readonly RefusedOperation[];
}

/** The descriptors the planner reads: per-type capability gating and attach-type fix-ups. */
export interface PlanDeps {
  readonly mapTypes: MapTypeRegistry;
  readonly progTypes: ProgTypeRegistry;
}

const bit = (n: number): bigint => 1n << BigInt(n);
const attachName = (n: number): string => enumShortName(bpfAttachTypeTable, n) ?? String(n);

/** Why the kernel refuses this program/attach pair at load (`bpf_prog_load_check_attach`), if it does. */
function refusal(op: Extract<Operation, { op: 'prog_load' }>, deps: PlanDeps): RefusedOperation | undefined {
  const what = formatOperation(op);
  const desc = deps.progTypes.get(op.progType);
  if (desc?.supported !== true) {
    return { operation: what, errno: 'EINVAL', reason: 'prog_load:prog-type', message: `program type ${String(op.progType)} is not one this kernel loads` };
  }
  try {
    desc.checkAttach(desc.fixupAttachType(op.attachType), { attachBtfId: 0, hasAttachBtf: false, hasDstProg: false });
    return undefined;
  } catch (e) {
    if (!(e instanceof Error) || !('code' in e) || !('reason' in e)) throw e;
    return { operation: what, errno: String(e.code), reason: String(e.reason), message: e.message };
  }
}

/** What a planner should say about a program load beyond the bits. */
function progWarnings(op: Extract<Operation, { op: 'prog_load' }>, attach: number): string[] {
  const warnings: string[] = [];
  const type = enumShortName(bpfProgTypeTable, op.progType) ?? String(op.progType);
  const lib = libbpfSection(op.progType);
  if (!op.attachGiven && lib !== undefined && lib.attachType !== attach) {
    warnings.push(
      `${formatOperation(op)}: libbpf loads SEC("${lib.section}") with expected_attach_type ${attachName(lib.attachType)} (${enumName(bpfAttachTypeTable, lib.attachType) ?? lib.attachType}), not the raw default ${attachName(attach)}; ` +
        `for a libbpf application plan 'prog_load ${type} --attach ${attachName(lib.attachType)}' (delegate_attachs=${attachName(lib.attachType)})`,
    );
  }
  if (PERF_EVENT_ATTACHED.has(op.progType) && !KPROBE_LINKS.has(op.attachType)) {
    warnings.push(
      `${formatOperation(op)}: a token lets the program load, but attaching it needs perf_event_open(2), which no token grants ` +
        '(CAP_PERFMON in the initial user namespace, or perf_event_paranoid allowing it)',
    );
  }
  return warnings;
}

/**
 * Works out the `delegate_*` masks an application needs, following the kernel:
 * a token is used only when its cmd bit is set, and then its map-type bit, or
 * for programs both the prog-type bit and the bit of `expected_attach_type`
 * after `bpf_prog_load_fixup_attach_type`. Capabilities are checked with
 * `ns_capable` in the token's user namespace. A program/attach pair the kernel
 * refuses at load is listed in `refused`, not planned.
 *
 * @example
 * planDelegation([parseOperation('map_create hash'), parseOperation('prog_load xdp --attach xdp')], deps).masks;
 * // { cmds: 0x21n, maps: 0x2n, progs: 0x40n, attachs: 0x2000000000n }
 */
export function planDelegation(ops: readonly Operation[], deps: PlanDeps): DelegationPlan {
  const masks: Record<DelegateKind, bigint> = { cmds: 0n, maps: 0n, progs: 0n, attachs: 0n };
  const caps = new Set<number>([Capability.CAP_BPF]);
  const notes: string[] = [];
  const warnings: string[] = [];
  const refused: RefusedOperation[] = [];
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
    if (op.op === 'prog_load') {
      const no = refusal(op, deps);
      if (no !== undefined) {
        refused.push(no);
        continue;
      }
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
      warnings.push(...progWarnings(op, attach));
    } else if (op.op === 'btf_get_fd_by_id') {
      caps.add(Capability.CAP_SYS_ADMIN);
      notes.push(`${what}: delegate_cmds btf_get_fd_by_id; needs CAP_SYS_ADMIN (not CAP_BPF) in the token's user namespace`);
    } else {
      notes.push(`${what}: delegate_cmds only`);
    }
  }
  const capabilities = [...caps].sort((x, y) => x - y).map((c) => capName(c) ?? `capability ${c}`);
  return { masks, capabilities, notes, warnings, refused };
}
