// Little-endian fields of instruction bytes read and written in place. A DataView needs the
// array's ArrayBuffer, and asking a small typed array for it (a program of up to 8 insns, copied
// from user memory) moves its bytes off the JS heap: BPF_PROG_LOAD of a small program paid for
// that on every load.

/** The signed 16-bit word at `at`. */
export function getS16(b: Uint8Array, at: number): number {
  return (((b[at] ?? 0) | ((b[at + 1] ?? 0) << 8)) << 16) >> 16;
}

/** The signed 32-bit word at `at`. */
export function getS32(b: Uint8Array, at: number): number {
  return (b[at] ?? 0) | ((b[at + 1] ?? 0) << 8) | ((b[at + 2] ?? 0) << 16) | ((b[at + 3] ?? 0) << 24);
}

/** Stores the low 16 bits of `v` at `at`. */
export function setU16(b: Uint8Array, at: number, v: number): void {
  b[at] = v & 0xff;
  b[at + 1] = (v >>> 8) & 0xff;
}

/** Stores the low 32 bits of `v` at `at`. */
export function setU32(b: Uint8Array, at: number, v: number): void {
  b[at] = v & 0xff;
  b[at + 1] = (v >>> 8) & 0xff;
  b[at + 2] = (v >>> 16) & 0xff;
  b[at + 3] = (v >>> 24) & 0xff;
}
