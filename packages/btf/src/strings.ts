// The kernel's <linux/ctype.h> classifies bytes with a Latin-1 table, so names such as
// "été" pass its identifier check; mirror that table rather than JS's notion of letters.
const U = 1;
const L = 2;
const D = 4;
const P = 8;
const SP = 16;

const CTYPE = new Uint8Array(256);
for (let c = 0; c < 256; c++) {
  let v = 0;
  if (c === 32 || c === 160) v = SP;
  else if (c >= 33 && c <= 47) v = P;
  else if (c >= 48 && c <= 57) v = D;
  else if ((c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126)) v = P;
  else if ((c >= 65 && c <= 90) || (c >= 192 && c <= 214) || (c >= 216 && c <= 222)) v = U;
  else if ((c >= 97 && c <= 122) || c === 223 || (c >= 224 && c <= 246) || c >= 248) v = L;
  else if ((c >= 161 && c <= 191) || c === 215 || c === 247) v = P;
  CTYPE[c] = v;
}

const isAlpha = (c: number): boolean => ((CTYPE[c] ?? 0) & (U | L)) !== 0;
const isAlnum = (c: number): boolean => ((CTYPE[c] ?? 0) & (U | L | D)) !== 0;
const isPrint = (c: number): boolean => ((CTYPE[c] ?? 0) & (U | L | D | P | SP)) !== 0;

/** `KSYM_NAME_LEN`: names longer than this are refused. */
export const KSYM_NAME_LEN = 512;

/**
 * The kernel's identifier rule for BTF names: a letter, `_` or `.` first, then letters,
 * digits, `_` or `.`, at most {@link KSYM_NAME_LEN} bytes. `pos` must point into a
 * NUL-terminated string section.
 */
export function isValidIdentifier(bytes: Uint8Array, pos: number): boolean {
  const first = bytes[pos] ?? 0;
  if (!isAlpha(first) && first !== 0x5f && first !== 0x2e) return false;
  const limit = pos + KSYM_NAME_LEN;
  let i = pos + 1;
  for (; i < limit; i++) {
    const c = bytes[i] ?? 0;
    if (c === 0) return true;
    if (!isAlnum(c) && c !== 0x5f && c !== 0x2e) return false;
  }
  return (bytes[i] ?? 0) === 0;
}

/** DATASEC names: any printable bytes, not empty, at most {@link KSYM_NAME_LEN} bytes. */
export function isValidSectionName(bytes: Uint8Array, pos: number): boolean {
  if ((bytes[pos] ?? 0) === 0) return false;
  const limit = pos + KSYM_NAME_LEN;
  let i = pos;
  for (; i < limit; i++) {
    const c = bytes[i] ?? 0;
    if (c === 0) return true;
    if (!isPrint(c)) return false;
  }
  return (bytes[i] ?? 0) === 0;
}

const utf8 = new TextDecoder('utf-8');

/** Decodes the NUL-terminated string at `pos` (UTF-8, invalid bytes replaced). */
export function cString(bytes: Uint8Array, pos: number): string {
  let end = pos;
  let ascii = true;
  while (end < bytes.length) {
    const c = bytes[end] ?? 0;
    if (c === 0) break;
    if (c >= 0x80) ascii = false;
    end++;
  }
  if (end === pos) return '';
  if (ascii && end - pos < 64) return String.fromCharCode(...bytes.subarray(pos, end));
  return utf8.decode(bytes.subarray(pos, end));
}

/** The bytes `[pos, end)` one char per byte (ISO-8859-1), as the kernel's log prints a name. */
export function latin1(bytes: Uint8Array, pos: number, end: number): string {
  let s = '';
  for (let i = pos; i < end; i += 4096) s += String.fromCharCode(...bytes.subarray(i, Math.min(end, i + 4096)));
  return s;
}

/** The bytes as text when every byte is below 0x80 (offsets are then the same), else null. */
function asciiText(bytes: Uint8Array): string | null {
  const text = utf8.decode(bytes);
  // Every byte one character, none of them a replacement: no multi-byte or invalid sequence.
  return text.length === bytes.length && !text.includes('\uFFFD') ? text : null;
}

/**
 * The strings of one string section by offset. A section of ASCII only (vmlinux's) is
 * decoded once as a whole and each string is a slice of it; otherwise each string is
 * decoded as UTF-8 once and kept.
 */
export class StringTable {
  #text: string | null | undefined;
  readonly #decoded = new Map<number, string>();

  constructor(readonly bytes: Uint8Array) {}

  /** The NUL-terminated string at `pos`, which must be inside the section. */
  at(pos: number): string {
    if (this.#text === undefined) this.#text = asciiText(this.bytes);
    const text = this.#text;
    if (text !== null) {
      const end = text.indexOf('\0', pos);
      return text.slice(pos, end < 0 ? text.length : end);
    }
    let s = this.#decoded.get(pos);
    if (s === undefined) {
      s = cString(this.bytes, pos);
      this.#decoded.set(pos, s);
    }
    return s;
  }
}

const encoder = new TextEncoder();

/** UTF-8 bytes of a string. */
export function utf8Bytes(s: string): Uint8Array {
  return encoder.encode(s);
}
