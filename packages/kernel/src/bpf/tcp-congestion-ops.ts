import { BpfError } from '@bpfkit/kernel-api';
import type { KernelCore } from '../core.js';
import type { StructOpsDef, StructOpsMember } from './struct-ops.js';

/** `TCP_CONG_MASK` on 6.18: the flags a congestion control may set. */
const TCP_CONG_MASK = 0x1f;
/** The congestion controls built into the simulated kernel: their names are taken. */
const BUILTIN = ['reno', 'cubic'];

const registered = new WeakMap<KernelCore, Set<string>>();

function namesOf(core: KernelCore): Set<string> {
  let s = registered.get(core);
  if (s === undefined) {
    s = new Set(BUILTIN);
    registered.set(core, s);
  }
  return s;
}

/**
 * `tcp_get_available_congestion_control`: the congestion controls in registration order,
 * the built-in ones first, as `/proc/sys/net/ipv4/tcp_available_congestion_control` lists them.
 *
 * @example
 * availableCongestionControls(core); // ['reno', 'cubic', 'bpfkit']
 */
export function availableCongestionControls(core: KernelCore): string[] {
  return [...namesOf(core)];
}

function slot(members: readonly StructOpsMember[], name: string): StructOpsMember | undefined {
  return members.find((m) => m.name === name);
}

function nonZero(data: Uint8Array, m: StructOpsMember | undefined): boolean {
  return m !== undefined && data.subarray(m.offset, m.offset + m.size).some((b) => b !== 0);
}

/** `bpf_obj_name_cpy`: letters, digits, `_` and `.` up to a NUL inside the field; the length, or -1. */
function objName(bytes: Uint8Array): string | undefined {
  const nul = bytes.indexOf(0);
  if (nul < 0) return undefined;
  const name = new TextDecoder().decode(bytes.subarray(0, nul));
  return /^[A-Za-z0-9_.]*$/.test(name) ? name : undefined;
}

function nameOf(data: Uint8Array, members: readonly StructOpsMember[]): string {
  const m = slot(members, 'name');
  return m === undefined ? '' : objName(data.subarray(m.offset, m.offset + m.size)) ?? '';
}

/** `tcp_validate_congestion_control`: ssthresh, undo_cwnd and one of cong_avoid / cong_control. */
function validate(data: Uint8Array, members: readonly StructOpsMember[]): void {
  const has = (n: string): boolean => nonZero(data, slot(members, n));
  if (!has('ssthresh') || !has('undo_cwnd') || !(has('cong_avoid') || has('cong_control'))) {
    throw new BpfError('EINVAL', 'struct-ops:tcp-ca-required-ops', `${nameOf(data, members)} does not implement required ops (ssthresh, undo_cwnd, cong_avoid or cong_control)`);
  }
}

/**
 * `bpf_tcp_congestion_ops` (net/ipv4/bpf_tcp_ca.c) as 6.18 registers it: every callback
 * but `get_info` takes a program; `flags` within TCP_CONG_MASK and `name` (a valid object
 * name, not empty) come from the user; registering needs the required callbacks and a
 * name no other congestion control has (EEXIST; `reno` and `cubic` are built in).
 *
 * @example
 * TCP_CONGESTION_OPS.unsupported; // ['get_info']
 */
export const TCP_CONGESTION_OPS: StructOpsDef = {
  name: 'tcp_congestion_ops',
  unsupported: ['get_info'],
  initMember(_core, member, udata) {
    const bytes = udata.subarray(member.offset, member.offset + member.size);
    if (member.name === 'flags') {
      const flags = new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true);
      if ((flags & ~TCP_CONG_MASK) !== 0) throw new BpfError('EINVAL', 'struct-ops:tcp-ca-flags', `flags 0x${flags.toString(16)} outside TCP_CONG_MASK 0x${TCP_CONG_MASK.toString(16)}`);
      return true;
    }
    if (member.name === 'name') {
      const name = objName(bytes);
      if (name === undefined || name === '') throw new BpfError('EINVAL', 'struct-ops:tcp-ca-name', 'name must be a non-empty object name (letters, digits, _ and .) ending in a NUL');
      return true;
    }
    return false;
  },
  validate(_core, data, members) {
    validate(data, members);
  },
  reg(core, data, members) {
    validate(data, members);
    const name = nameOf(data, members);
    const names = namesOf(core);
    if (names.has(name)) throw new BpfError('EEXIST', 'struct-ops:tcp-ca-exists', `congestion control ${name} is already registered`);
    names.add(name);
  },
  unreg(core, data, members) {
    namesOf(core).delete(nameOf(data, members));
  },
};
