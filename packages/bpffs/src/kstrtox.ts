/** What `kstrtoull()` and friends return: the value, or the errno they give. */
export type KstrtoxResult =
  | { readonly ok: true; readonly value: bigint }
  | { readonly ok: false; readonly errno: 'EINVAL' | 'ERANGE' };

const U64_MAX = (1n << 64n) - 1n;
const U32_MAX = (1n << 32n) - 1n;

function digitValue(c: string): number {
  const code = c.charCodeAt(0);
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  const lower = code | 0x20;
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10;
  return 99;
}

function isXDigit(c: string | undefined): boolean {
  return c !== undefined && digitValue(c) < 16;
}

/**
 * `kstrtoull(s, base)` of lib/kstrtox.c: one leading `+`; base 0 picks 16 for
 * `0x` followed by a hex digit, 8 for a leading `0`, else 10; base 16 skips a
 * `0x`; one trailing newline is allowed; nothing else may follow. Overflow is
 * ERANGE (even with garbage after it), no digit or trailing garbage EINVAL.
 *
 * @example
 * kstrtoull('0x10', 0); // { ok: true, value: 16n }
 */
export function kstrtoull(input: string, base: number): KstrtoxResult {
  let s = input.startsWith('+') ? input.slice(1) : input;
  let radix = base;
  if (radix === 0) {
    if (s.startsWith('0')) radix = s[1] !== undefined && (s[1] === 'x' || s[1] === 'X') && isXDigit(s[2]) ? 16 : 8;
    else radix = 10;
  }
  if (radix === 16 && s.startsWith('0') && (s[1] === 'x' || s[1] === 'X')) s = s.slice(2);
  const big = BigInt(radix);
  let value = 0n;
  let digits = 0;
  let overflow = false;
  while (digits < s.length) {
    const d = digitValue(s.charAt(digits));
    if (d >= radix) break;
    value = value * big + BigInt(d);
    if (value > U64_MAX) {
      overflow = true;
      value &= U64_MAX;
    }
    digits++;
  }
  if (overflow) return { ok: false, errno: 'ERANGE' };
  if (digits === 0) return { ok: false, errno: 'EINVAL' };
  let rest = s.slice(digits);
  if (rest.startsWith('\n')) rest = rest.slice(1);
  if (rest !== '') return { ok: false, errno: 'EINVAL' };
  return { ok: true, value };
}

/**
 * `kstrtouint(s, base)`: {@link kstrtoull}, then ERANGE above `UINT_MAX`.
 *
 * @example
 * kstrtouint('0750', 8); // { ok: true, value: 488n }
 */
export function kstrtouint(input: string, base: number): KstrtoxResult {
  const r = kstrtoull(input, base);
  if (r.ok && r.value > U32_MAX) return { ok: false, errno: 'ERANGE' };
  return r;
}
