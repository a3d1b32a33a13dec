import type { HelperCall } from '@bpfkit/kernel-api';
import { Errno } from '@bpfkit/uapi';
import { checkMem, readCStringBytes } from './memory.js';
import { argU53, ptrArg } from './regs.js';

/** `MAX_BPRINTF_VARARGS`: `bpf_snprintf`/`bpf_seq_printf` take at most 12 arguments. */
export const MAX_BPRINTF_VARARGS = 12;
/** `MAX_TRACE_PRINTK_VARARGS`. */
export const MAX_TRACE_PRINTK_VARARGS = 3;
/** `MAX_BPRINTF_BUF`: `bpf_trace_printk` formats into a buffer this big. */
export const MAX_BPRINTF_BUF = 1024;
/** Room for the strings `%s` copies (`MAX_BPRINTF_BIN_ARGS`); a string past it is an error. */
const MAX_BPRINTF_BIN_ARGS = 512;

/** Where a printf-like helper finds argument `i` (a u64 as two words). */
export interface BprintfArgs {
  lo(i: number): number;
  hi(i: number): number;
}

const decoder = new TextDecoder('latin1');
const isPrintOrSpace = (b: number): boolean => (b >= 0x20 && b < 0x7f) || (b >= 0x09 && b <= 0x0d);

function u64Text(lo: number, hi: number, radix: number, signed: boolean): string {
  let v = (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
  if (signed) v = BigInt.asIntN(64, v);
  return v.toString(radix);
}

function pad(body: string, sign: string, width: number, left: boolean, zero: boolean): string {
  const len = body.length + sign.length;
  if (len >= width) return sign + body;
  if (left) return sign + body + ' '.repeat(width - len);
  if (zero) return sign + '0'.repeat(width - len) + body;
  return ' '.repeat(width - len) + sign + body;
}

/** Reads a string argument as `%s` does: unreadable memory prints as an empty string, as the kernel's copy failure does. */
function stringArg(c: HelperCall, lo: number, hi: number): string {
  if (hi !== 0) return '';
  const limit = Math.max(0, Math.min(MAX_BPRINTF_BIN_ARGS, c.env.arena.bytes.length - lo));
  const s = readCStringBytes(c, lo, limit);
  return s === undefined ? '' : decoder.decode(s);
}

function ipArg(c: HelperCall, lo: number, hi: number, v6: boolean, upper: boolean): string {
  const n = v6 ? 16 : 4;
  // Unreadable addresses print as zeros: the kernel zeroes its copy when copy_from_kernel_nofault fails.
  const b = hi === 0 && c.env.arena.contains(lo, n) ? c.env.arena.bytes.subarray(lo, lo + n) : new Uint8Array(n);
  if (!v6) return Array.from(b, (x) => (upper ? String(x) : String(x).padStart(3, '0'))).join('.');
  const hex = Array.from(b, (x) => x.toString(16).padStart(2, '0'));
  if (!upper) return hex.join('');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(`${hex[i] ?? ''}${hex[i + 1] ?? ''}`);
  return groups.join(':');
}

/**
 * `bpf_bprintf_prepare` followed by `bstr_printf`: checks the format the way
 * the kernel does (printable ASCII only, at most `numArgs` conversions, only
 * `%d %i %u %x %X` with `l`/`ll`, `%c`, `%s`, `%p` and its `K x B i4 I4 i6 I6
 * ks us` forms, `%%`, flags `0 + - space` and a width) and renders it.
 * Returns the text, or a negative errno (-EINVAL for a bad format, -E2BIG
 * when `%s` strings overflow the kernel's argument buffer).
 *
 * @example
 * formatBprintf(c, fmtBytes, args, 3); // 'pid 42\n' or -22
 */
export function formatBprintf(c: HelperCall, fmt: Uint8Array, args: BprintfArgs, numArgs: number): string | number {
  let out = '';
  let spec = 0;
  let strBytes = 0;
  for (let i = 0; i < fmt.length; i++) {
    const ch = fmt[i] ?? 0;
    if (!isPrintOrSpace(ch)) return -Errno.EINVAL;
    if (ch !== 0x25 /* % */) {
      out += String.fromCharCode(ch);
      continue;
    }
    if (fmt[i + 1] === 0x25) {
      out += '%';
      i++;
      continue;
    }
    if (spec >= numArgs) return -Errno.EINVAL;
    i++;
    let left = false;
    let zero = false;
    let plus = false;
    let space = false;
    for (;;) {
      const f = fmt[i];
      if (f === 0x30) zero = true;
      else if (f === 0x2b) plus = true;
      else if (f === 0x2d) left = true;
      else if (f === 0x20) space = true;
      else break;
      i++;
    }
    let width = 0;
    if ((fmt[i] ?? 0) >= 0x31 && (fmt[i] ?? 0) <= 0x39) {
      while ((fmt[i] ?? 0) >= 0x30 && (fmt[i] ?? 0) <= 0x39) {
        width = width * 10 + ((fmt[i] ?? 0) - 0x30);
        i++;
      }
    }
    const lo = args.lo(spec);
    const hi = args.hi(spec);
    const conv = fmt[i];
    if (conv === 0x70 /* p */) {
      const m1 = fmt[i + 1];
      const m2 = fmt[i + 2];
      if ((m1 === 0x69 || m1 === 0x49) && (m2 === 0x34 || m2 === 0x36)) {
        out += pad(ipArg(c, lo, hi, m2 === 0x36, m1 === 0x49), '', width, left, false);
        i += 2;
      } else if ((m1 === 0x6b || m1 === 0x75) && m2 === 0x73) {
        const s = stringArg(c, lo, hi);
        strBytes += s.length + 1;
        if (strBytes > MAX_BPRINTF_BIN_ARGS) return -Errno.E2BIG;
        out += pad(s, '', width, left, false);
        i += 2;
      } else {
        // %p, %pK, %px, %pB: the raw value (the kernel hashes plain %p; a simulation has nothing to hide).
        if (m1 === 0x4b || m1 === 0x78 || m1 === 0x42) i++;
        else if (m1 !== undefined && ((m1 >= 0x41 && m1 <= 0x5a) || (m1 >= 0x61 && m1 <= 0x7a) || (m1 >= 0x30 && m1 <= 0x39))) return -Errno.EINVAL;
        out += pad(u64Text(lo, hi, 16, false).padStart(16, '0'), '', width, left, false);
      }
      spec++;
      continue;
    }
    if (conv === 0x73 /* s */) {
      const s = stringArg(c, lo, hi);
      strBytes += s.length + 1;
      if (strBytes > MAX_BPRINTF_BIN_ARGS) return -Errno.E2BIG;
      out += pad(s, '', width, left, false);
      spec++;
      continue;
    }
    if (conv === 0x63 /* c */) {
      out += pad(String.fromCharCode(lo & 0xff), '', width, left, false);
      spec++;
      continue;
    }
    let wide = false;
    if (fmt[i] === 0x6c) {
      wide = true;
      i++;
      if (fmt[i] === 0x6c) i++;
    }
    const k = fmt[i];
    const wlo = lo;
    const whi = wide ? hi : 0;
    let text: string;
    let sign = '';
    if (k === 0x64 || k === 0x69) {
      const v = wide ? u64Text(wlo, whi, 10, true) : String(wlo | 0);
      if (v.startsWith('-')) {
        sign = '-';
        text = v.slice(1);
      } else {
        text = v;
        sign = plus ? '+' : space ? ' ' : '';
      }
    } else if (k === 0x75) text = wide ? u64Text(wlo, whi, 10, false) : String(wlo >>> 0);
    else if (k === 0x78) text = wide ? u64Text(wlo, whi, 16, false) : (wlo >>> 0).toString(16);
    else if (k === 0x58) text = (wide ? u64Text(wlo, whi, 16, false) : (wlo >>> 0).toString(16)).toUpperCase();
    else return -Errno.EINVAL;
    out += pad(text, sign, width, left, zero);
    spec++;
  }
  return out;
}

/**
 * The format string at `addr` (`fmt_size` bytes, NUL within them) as the
 * helpers check it, or -EINVAL.
 *
 * @example
 * const fmt = formatBytes(c, r1, r2);
 */
export function formatBytes(c: HelperCall, addr: number, size: number): Uint8Array | number {
  if (size === 0) return -Errno.EINVAL;
  const s = readCStringBytes(c, addr, size);
  return s === undefined ? -Errno.EINVAL : s;
}

/** Where `bpf_snprintf` and `bpf_seq_printf` keep their arguments: `count` u64s at `addr`. */
export interface MemArgs {
  readonly addr: number;
  readonly count: number;
}

/**
 * The `data, data_len` argument pair of `bpf_snprintf` and `bpf_seq_printf`: `data_len` a multiple of
 * 8 and at most 12 arguments (else -EINVAL), `data` readable for that many bytes.
 */
export function memArgs(c: HelperCall, dataArg: number, lenArg: number, what: string): MemArgs | number {
  const len = argU53(c, lenArg);
  if (len % 8 !== 0 || len > MAX_BPRINTF_VARARGS * 8) return -Errno.EINVAL;
  const addr = len === 0 ? 0 : ptrArg(c, dataArg, 'data');
  checkMem(c, addr, len, what);
  return { addr, count: len / 8 };
}

/**
 * {@link formatBprintf} with arguments read from memory ({@link memArgs}). One formatter per helper:
 * its argument reader is built once, not per call.
 */
export function memArgsFormatter(): (c: HelperCall, fmt: Uint8Array, data: MemArgs) => string | number {
  let call: HelperCall | undefined;
  let base = 0;
  const args: BprintfArgs = {
    lo: (i) => call?.env.arena.view.getUint32(base + 8 * i, true) ?? 0,
    hi: (i) => call?.env.arena.view.getUint32(base + 8 * i + 4, true) ?? 0,
  };
  return (c, fmt, data) => {
    call = c;
    base = data.addr;
    try {
      return formatBprintf(c, fmt, args, data.count);
    } finally {
      call = undefined;
    }
  };
}
