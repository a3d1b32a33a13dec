import { BpfError, type BpfErrorReason } from '@bpfkit/kernel-api';
import type { ErrnoName } from '@bpfkit/uapi';
import { attrTailNonZero, cmdName } from '@bpfkit/uapi';
import type { KernelCore } from '../core.js';

/**
 * Records one check as a trace step and throws when it failed: every decision
 * of `bpf()` goes through here, so `token explain` can replay it.
 */
export function check(
  core: KernelCore,
  id: string,
  ok: boolean,
  errno: ErrnoName,
  reason: BpfErrorReason,
  detail: string,
  hint?: string,
): void {
  core.tracer.step({ check: id, outcome: ok ? 'pass' : 'fail', detail, errno, ...(hint === undefined ? {} : { hint }) });
  if (!ok) throw new BpfError(errno, reason, detail);
}

/** `CHECK_ATTR(cmd)`: bytes after the command's last field must be zero (EINVAL). */
export function checkAttr(core: KernelCore, cmd: number, attr: Uint8Array): void {
  const at = attrTailNonZero(cmd, attr);
  check(core, 'CHECK_ATTR', at === undefined, 'EINVAL', 'attr:tail-not-zero',
    at === undefined ? `${cmdName(cmd) ?? cmd}: no bytes set past the last field` : `${cmdName(cmd) ?? cmd}: non-zero byte at offset ${at} past the last field`);
}

/** Little-endian field readers over the kernel's copy of the attr. */
export function u32(attr: Uint8Array, off: number): number {
  return new DataView(attr.buffer, attr.byteOffset, attr.byteLength).getUint32(off, true);
}
export function s32(attr: Uint8Array, off: number): number {
  return new DataView(attr.buffer, attr.byteOffset, attr.byteLength).getInt32(off, true);
}
export function u64(attr: Uint8Array, off: number): bigint {
  return new DataView(attr.buffer, attr.byteOffset, attr.byteLength).getBigUint64(off, true);
}
export function putU32(attr: Uint8Array, off: number, v: number): void {
  if (attr.byteLength >= off + 4) new DataView(attr.buffer, attr.byteOffset, attr.byteLength).setUint32(off, v >>> 0, true);
}

/**
 * `bpf_obj_name_cpy`: a NUL within the 16 bytes, and only alphanumerics,
 * `_` and `.` before it (EINVAL).
 */
export function objNameCpy(bytes: Uint8Array): string {
  let name = '';
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i] ?? 0;
    if (c === 0) return name;
    const ch = String.fromCharCode(c);
    if (!/[A-Za-z0-9_.]/.test(ch)) throw new BpfError('EINVAL', 'attr:bad-object-name', `object name byte ${i} is not alnum, _ or .`);
    name += ch;
  }
  throw new BpfError('EINVAL', 'attr:object-name-unterminated', 'object name has no NUL within 16 bytes');
}

/** `strncpy_from_user`: a C string of at most `max` bytes (EFAULT on a bad pointer). */
export function readCString(read: (addr: bigint, len: number) => Uint8Array, addr: bigint, max: number): { text: string; truncated: boolean } {
  let text = '';
  for (let i = 0; i < max; i++) {
    const c = read(addr + BigInt(i), 1)[0] ?? 0;
    if (c === 0) return { text, truncated: false };
    text += String.fromCharCode(c);
  }
  return { text, truncated: true };
}
