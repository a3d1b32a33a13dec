import type { HelperCall } from '@bpfkit/kernel-api';

const TWO_32 = 0x1_0000_0000;

/**
 * The low word of argument register `r<i>` (1–5): what a helper takes as a
 * `u32`/`int` argument, or as an arena address once {@link ptrArg} checked
 * the high word.
 *
 * @example
 * const nrLoops = argLo(c, 1);
 */
export function argLo(c: HelperCall, i: number): number {
  return c.regs[2 * i] ?? 0;
}

/** The high word of argument register `r<i>`. @example argHi(c, 4) === 0 */
export function argHi(c: HelperCall, i: number): number {
  return c.regs[2 * i + 1] ?? 0;
}

/** `r<i>` as a signed 32-bit value (a helper's `int` argument). @example argS32(c, 2) */
export function argS32(c: HelperCall, i: number): number {
  return (c.regs[2 * i] ?? 0) | 0;
}

/**
 * `r<i>` as a number when it fits in 53 bits (sizes, offsets); otherwise
 * `Infinity`, which every bound check then rejects.
 *
 * @example
 * if (argU53(c, 2) > 512) return setR0(c, -EINVAL);
 */
export function argU53(c: HelperCall, i: number): number {
  const hi = c.regs[2 * i + 1] ?? 0;
  if (hi > 0x1f_ffff) return Infinity;
  return hi * TWO_32 + (c.regs[2 * i] ?? 0);
}

/** Whether `r<i>` is zero in both words (`flags` arguments). @example if (!argZero(c, 4)) return setR0(c, -EINVAL); */
export function argZero(c: HelperCall, i: number): boolean {
  return (c.regs[2 * i] ?? 0) === 0 && (c.regs[2 * i + 1] ?? 0) === 0;
}

/**
 * `r<i>` as an arena address: pointers are byte offsets into the arena, so a
 * set high word can only be garbage from an unverified program.
 *
 * @example
 * const key = ptrArg(c, 2, 'key');
 */
export function ptrArg(c: HelperCall, i: number, what: string): number {
  if ((c.regs[2 * i + 1] ?? 0) !== 0) c.env.fault(`helper argument r${i} (${what}) is not an arena address`);
  return c.regs[2 * i] ?? 0;
}

/**
 * What the r0 writers return, so that a helper can end with
 * `return setR0(c, -Errno.EINVAL)` (a helper's own return value is ignored).
 */
export type R0Written = true;

/**
 * Writes r0 from a safe integer (a negative errno, a count, an address):
 * sign-extended to 64 bits as the kernel's `long` return values are.
 *
 * @example
 * if (flags !== 0) return setR0(c, -Errno.EINVAL);
 */
export function setR0(c: HelperCall, v: number): R0Written {
  c.regs[0] = v >>> 0;
  c.regs[1] = v < 0 ? Math.floor(v / TWO_32) >>> 0 : Math.floor(v / TWO_32);
  return true;
}

/** Writes r0 from two 32-bit words. @example return setR0Words(c, pid, tgid); */
export function setR0Words(c: HelperCall, lo: number, hi: number): R0Written {
  c.regs[0] = lo >>> 0;
  c.regs[1] = hi >>> 0;
  return true;
}

/** Writes r0 from a u64 bigint (clock readings, `bpf_ringbuf_query`). @example return setR0Big(c, clock.nowNs()); */
export function setR0Big(c: HelperCall, v: bigint): R0Written {
  c.regs[0] = Number(BigInt.asUintN(32, v));
  c.regs[1] = Number(BigInt.asUintN(32, v >> 32n));
  return true;
}
