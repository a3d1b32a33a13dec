import { BpfError, NO_TRACE, type BpfErrorReason, type LsmDenial } from '@bpfkit/kernel-api';
import type { ErrnoName } from '@bpfkit/uapi';
import { attrField, attrTailNonZero, cmdName, type AttrFieldName, type AttrGroup } from '@bpfkit/uapi';
import type { KernelCore } from '../core.js';

/**
 * What a traced check says, one line per outcome. Each line names what was
 * checked and how it came out (`insn_cnt 2 is within 1..4096` /
 * `insn_cnt 0 not in 1..4096`), so a passing step never reads like a failure.
 * There is deliberately no single-string form.
 */
export interface CheckDetail {
  /** The step's detail when the check passes. */
  readonly pass: string;
  /** The step's detail, and the `BpfError` message, when it fails. */
  readonly fail: string;
}

/** A check's detail, or a function that builds it (on hot paths: the text is built only when read). */
export type CheckDetailSource = CheckDetail | (() => CheckDetail);

const detailOf = (d: CheckDetailSource): CheckDetail => (typeof d === 'function' ? d() : d);

/** Runs `fn` under a trace heading; without a tracer, just runs it (the heading is never built). */
export function traceGroup<T>(core: KernelCore, title: () => string, fn: () => T): T {
  return core.tracer === NO_TRACE ? fn() : core.tracer.group(title(), fn);
}

/** Records one check as a trace step without deciding anything (callers that throw their own error). */
export function traceCheck(core: KernelCore, id: string, ok: boolean, errno: ErrnoName, source: CheckDetailSource, hint?: string): void {
  // Without a tracer there is nobody to read the step: build nothing.
  if (core.tracer === NO_TRACE) return;
  const detail = detailOf(source);
  core.tracer.step({
    check: id,
    outcome: ok ? 'pass' : 'fail',
    detail: ok ? detail.pass : detail.fail,
    errno,
    ...(ok || hint === undefined ? {} : { hint }),
  });
}

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
  detail: CheckDetailSource,
  hint?: string,
): void {
  const refused = refusal(core, id, ok, errno, reason, detail, hint);
  if (refused !== undefined) throw refused;
}

/**
 * {@link check} for a command that returns its refusal instead of throwing it: records the step
 * and returns the error to refuse with (undefined when the check passed); `bpfSyscall` throws it.
 * V8 optimises a function only once calls to it return: a command that refuses by throwing stays
 * in the interpreter for as long as it keeps refusing.
 */
export function refusal(
  core: KernelCore,
  id: string,
  ok: boolean,
  errno: ErrnoName,
  reason: BpfErrorReason,
  detail: CheckDetailSource,
  hint?: string,
): BpfError | undefined {
  traceCheck(core, id, ok, errno, detail, hint);
  return ok ? undefined : new BpfError(errno, reason, detailOf(detail).fail);
}

/** What a command hands back to `bpfSyscall`: its result (a new fd, or 0), or the error it refused with. */
export type CmdResult = number | BpfError;

/** A capability requirement: `<need>: held <scope>` or `<need>: not held <scope>`. */
export function capDetail(need: string, scope: string): CheckDetail {
  return { pass: `${need}: held ${scope}`, fail: `${need}: not held ${scope}` };
}

/** Where a `bpf_token_capable` check looked: the token's user namespace, or init without one. */
export function capScope(token: unknown): string {
  return token === undefined ? 'in the initial user namespace' : "in the token's user namespace";
}

/**
 * A flags field with a set of known bits: passes as `<field> 0x..: every bit known`
 * (or `<field> is 0`), fails as `unknown <field> 0x<shown>` (`shown`: the bits
 * the kernel's message names, usually the unknown ones).
 */
export function flagsDetail(field: string, flags: number, shown: number): CheckDetail {
  return {
    pass: flags === 0 ? `${field} is 0` : `${field} 0x${(flags >>> 0).toString(16)}: every bit is a known flag`,
    fail: `unknown ${field} 0x${shown.toString(16)}`,
  };
}

/** An LSM hook: nobody objected, or the denial's message (`fallback` when it gave none). */
export function lsmDetail(hook: string, denial: LsmDenial | undefined, fallback: string): CheckDetail {
  return {
    pass: `no security module objected (${hook})`,
    fail: denial?.message ?? fallback,
  };
}

/** `CHECK_ATTR(cmd)`: bytes after the command's last field must be zero (EINVAL). */
export function checkAttr(core: KernelCore, cmd: number, attr: Uint8Array): void {
  const refused = checkAttrRefusal(core, cmd, attr);
  if (refused !== undefined) throw refused;
}

/** `CHECK_ATTR(cmd)` as a {@link refusal}: the EINVAL to return, or undefined when the tail is clean. */
export function checkAttrRefusal(core: KernelCore, cmd: number, attr: Uint8Array): BpfError | undefined {
  const at = attrTailNonZero(cmd, attr);
  return refusal(core, 'CHECK_ATTR', at === undefined, 'EINVAL', 'attr:tail-not-zero', () => {
    const name = cmdName(cmd) ?? String(cmd);
    return {
      pass: `${name}: no bytes set past the last field`,
      fail: `${name}: non-zero byte at offset ${at ?? '?'} past the last field`,
    };
  });
}

/**
 * Writes a u32 field back into the caller's attr (`log_true_size` and
 * friends), as `copy_to_user` does: only when the caller's attr reaches it.
 */
export function putAttrU32<G extends AttrGroup>(uattr: Uint8Array, group: G, name: AttrFieldName<G>, value: number): void {
  const field = attrField(group, name);
  if (field === undefined || uattr.byteLength < field.offset + 4) return;
  new DataView(uattr.buffer, uattr.byteOffset, uattr.byteLength).setUint32(field.offset, value >>> 0, true);
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
