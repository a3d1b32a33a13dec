import type { VerifierEnv } from './env.js';
import { fail, refuse } from './log.js';
import { regMap } from './map-fields.js';
import type { RegState } from './state.js';

// The kernel's <linux/ctype.h> classes, which extend to Latin-1: 0xa0 is a space, 0xa1-0xbf, 0xd7 and 0xf7 punctuation.
const SPACE = new Set([0x20, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0xa0]);
const isSpace = (c: number): boolean => SPACE.has(c);
const isPrint = (c: number): boolean => (c >= 0x20 && c < 0x7f) || c >= 0xa0;
const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
const isAlnum = (c: number): boolean => isDigit(c) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
const isPunct = (c: number): boolean => {
  if (c >= 0xa0) return (c >= 0xa1 && c <= 0xbf) || c === 0xd7 || c === 0xf7;
  return isPrint(c) && c !== 0x20 && !isAlnum(c);
};
const ch = (s: string): number => s.charCodeAt(0);

/** After `%s` (or `%pks` / `%pus`) only the end, a space or punctuation may follow. */
const endsWord = (c: number): boolean => c === 0 || isSpace(c) || isPunct(c);

/**
 * `bpf_bprintf_prepare` without arguments (how the verifier checks a format): text without ASCII control bytes,
 * and no more conversions than `numArgs`, each one the helpers know: `%d %i %u %x %X` with `l`/`ll`,
 * `%c`, `%s`, `%p` with `K x s S B`, `ks`/`us`, `i4 I4 i6 I6` or nothing, after optional `0 + - space`
 * flags and a width. `fmt` ends at its first NUL (reads past the end see NULs).
 */
export function bprintfFormatOk(fmt: Uint8Array, numArgs: number): boolean {
  const end = fmt.indexOf(0) < 0 ? fmt.length : fmt.indexOf(0);
  const at = (i: number): number => (i < end ? fmt[i] ?? 0 : 0);
  let specs = 0;
  for (let i = 0; i < end; i++) {
    const c = at(i);
    // Text may hold UTF-8 (bytes from 0x80); ASCII control bytes are refused.
    if (c < 0x80 && !isPrint(c) && !isSpace(c)) return false;
    if (c !== ch('%')) continue;
    if (at(i + 1) === ch('%')) {
      i++;
      continue;
    }
    if (specs >= numArgs) return false;
    i++;
    if (at(i) >= 0x80) return false;
    while ([ch('0'), ch('+'), ch('-'), ch(' ')].includes(at(i))) i++;
    if (at(i) >= ch('1') && at(i) <= ch('9')) while (isDigit(at(i))) i++;
    specs++;
    const conv = at(i);
    if (conv === ch('p')) {
      const next = at(i + 1);
      if ((next === ch('k') || next === ch('u')) && at(i + 2) === ch('s')) {
        i += 2;
        if (!endsWord(at(i + 1))) return false;
        continue;
      }
      if (next === 0 || isSpace(next) || isPunct(next) || [ch('K'), ch('x'), ch('s'), ch('S'), ch('B')].includes(next)) {
        i++;
        continue;
      }
      if ((next !== ch('i') && next !== ch('I')) || (at(i + 2) !== ch('4') && at(i + 2) !== ch('6'))) return false;
      i += 2;
      continue;
    }
    if (conv === ch('s')) {
      if (!endsWord(at(i + 1))) return false;
      continue;
    }
    if (conv === ch('c')) continue;
    if (at(i) === ch('l')) i++;
    if (at(i) === ch('l')) i++;
    if (![ch('i'), ch('d'), ch('u'), ch('x'), ch('X')].includes(at(i))) return false;
  }
  return true;
}

/**
 * `check_bpf_snprintf_call`: the data is whole u64s (else EINVAL without a word), and the constant
 * format (R3, checked as a string already) takes that many arguments at most.
 */
export function checkSnprintfCall(env: VerifierEnv, fmtReg: RegState, dataLen: RegState): void {
  if (dataLen.varOff.value % 8n !== 0n) refuse('EINVAL', 'snprintf-data-len', 'bpf_snprintf data is not a whole number of u64s');
  const numArgs = Number(dataLen.varOff.value / 8n);
  const bytes = regMap(env, fmtReg)?.frozenValue ?? new Uint8Array(0);
  const at = fmtReg.off + Number(BigInt.asIntN(64, fmtReg.varOff.value));
  if (!bprintfFormatOk(bytes.subarray(at), numArgs)) fail(env.log, 'EINVAL', 'snprintf-format', 'Invalid format string');
}
