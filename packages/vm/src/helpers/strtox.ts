import type { HelperCall, HelperDescriptor } from '@bpfkit/kernel-api';
import { Errno } from '@bpfkit/uapi';
import { defineHelper } from './define.js';
import { checkMem } from './memory.js';
import { argHi, argLo, ptrArg, setR0 } from './regs.js';

/** `BPF_STRTOX_BASE_MASK`: the low five bits of `flags` are the base. */
const BPF_STRTOX_BASE_MASK = 0x1f;
const TWO_32 = 0x1_0000_0000;

const isSpace = (b: number): boolean => b === 0x20 || (b >= 0x09 && b <= 0x0d);
const digitOf = (b: number): number => {
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  const l = b | 0x20;
  if (l >= 0x61 && l <= 0x7a) return l - 0x61 + 10;
  return 99;
};

/** Byte `q` of the NUL-terminated copy the kernel parses (0 past its end). */
const byteAt = (b: Uint8Array, q: number, end: number): number => (q < end ? (b[q] ?? 0) : 0);

/** The parse state shared by strtol and strtoul (one per registry, no allocation per call). */
interface Parsed {
  consumed: number;
  negative: boolean;
  hi: number;
  lo: number;
}

/**
 * `__bpf_strtoull`: skips leading whitespace and one `-`, then parses at most
 * 63 characters (the kernel copies into a 64-byte string) with
 * `_parse_integer_fixup_radix` (base 0: `0x` → 16, `0` → 8, else 10; base 16
 * skips a `0x`). Returns 0 or a negative errno.
 */
function strtoull(c: HelperCall, buf: number, len: number, flags: number, out: Parsed): number {
  if ((flags & ~BPF_STRTOX_BASE_MASK) !== 0 || argHi(c, 3) !== 0) return -Errno.EINVAL;
  if (len === 0) return -Errno.EINVAL;
  const b = c.env.arena.bytes;
  const end = buf + len;
  let p = buf;
  while (p < end && isSpace(b[p] ?? 0)) p++;
  out.negative = p < end && b[p] === 0x2d;
  if (out.negative) p++;
  const skipped = p - buf;
  if (len - skipped === 0) return -Errno.EINVAL;
  // The kernel parses a NUL-terminated copy of at most 63 bytes.
  let strEnd = p + Math.min(len - skipped, 63);
  for (let q = p; q < strEnd; q++) {
    if (b[q] === 0) {
      strEnd = q;
      break;
    }
  }
  let base = flags & BPF_STRTOX_BASE_MASK;
  // Only the bases _parse_integer_fixup_radix knows (measured: 3 and 4 are EINVAL).
  if (base !== 0 && base !== 8 && base !== 10 && base !== 16) return -Errno.EINVAL;
  let s = p;
  if (base === 0) {
    if (byteAt(b, s, strEnd) === 0x30) base = (byteAt(b, s + 1, strEnd) | 0x20) === 0x78 && digitOf(byteAt(b, s + 2, strEnd)) < 16 ? 16 : 8;
    else base = 10;
  }
  if (base === 16 && byteAt(b, s, strEnd) === 0x30 && (byteAt(b, s + 1, strEnd) | 0x20) === 0x78) s += 2;
  let hi = 0;
  let lo = 0;
  let n = 0;
  let overflow = false;
  for (;;) {
    const d = digitOf(byteAt(b, s + n, strEnd));
    if (d >= base) break;
    const l = lo * base + d;
    const carry = Math.floor(l / TWO_32);
    lo = l % TWO_32;
    hi = hi * base + carry;
    if (hi >= TWO_32) {
      overflow = true;
      hi %= TWO_32;
    }
    n++;
  }
  if (overflow) return -Errno.ERANGE;
  if (n === 0) return -Errno.EINVAL;
  out.hi = hi;
  out.lo = lo;
  out.consumed = s + n - buf;
  return 0;
}

/**
 * `strtol`, `strtoul` (r0 = characters consumed, the value in `*res`; -EINVAL,
 * -ERANGE as the kernel) and `strncmp` (lib/string.c: -1, 0 or 1).
 *
 * @example
 * for (const h of strtoxHelpers()) registry.set(h.id, h);
 */
export function strtoxHelpers(): HelperDescriptor[] {
  const parsed: Parsed = { consumed: 0, negative: false, hi: 0, lo: 0 };
  const strto = (name: string, signed: boolean): HelperDescriptor =>
    defineHelper(name, (c) => {
      const buf = ptrArg(c, 1, 'buf');
      const len = argHi(c, 2) !== 0 ? Infinity : argLo(c, 2);
      const res = ptrArg(c, 4, 'res');
      checkMem(c, buf, len, `bpf_${name} buf`);
      checkMem(c, res, 8, `bpf_${name} res`);
      const err = strtoull(c, buf, len, argLo(c, 3), parsed);
      if (err < 0) return setR0(c, err);
      let { hi, lo } = parsed;
      if (signed) {
        if (parsed.negative) {
          // -(u64) as s64 must not be positive.
          const nlo = (TWO_32 - lo) % TWO_32;
          const nhi = (TWO_32 - hi - (lo === 0 ? 0 : 1)) % TWO_32;
          if (nhi < 0x8000_0000 && (nhi !== 0 || nlo !== 0)) return setR0(c, -Errno.ERANGE);
          hi = nhi;
          lo = nlo;
        } else if (hi >= 0x8000_0000) return setR0(c, -Errno.ERANGE);
      } else if (parsed.negative) return setR0(c, -Errno.EINVAL);
      c.env.arena.view.setUint32(res, lo, true);
      c.env.arena.view.setUint32(res + 4, hi, true);
      setR0(c, parsed.consumed);
    });
  const strncmp = defineHelper('strncmp', (c) => {
    const s1 = ptrArg(c, 1, 's1');
    const n = argHi(c, 2) !== 0 ? Infinity : argLo(c, 2);
    const s2 = ptrArg(c, 3, 's2');
    checkMem(c, s1, n, 'bpf_strncmp s1');
    const b = c.env.arena.bytes;
    for (let i = 0; i < n; i++) {
      if (!c.env.arena.contains(s2 + i, 1)) c.env.fault('bpf_strncmp s2 runs off its allocation');
      const c1 = b[s1 + i] ?? 0;
      const c2 = b[s2 + i] ?? 0;
      if (c1 !== c2) return setR0(c, c1 < c2 ? -1 : 1);
      if (c1 === 0) break;
    }
    setR0(c, 0);
  });
  return [strto('strtol', true), strto('strtoul', false), strncmp];
}
