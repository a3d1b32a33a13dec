// Hand-encoded BPF instructions and BTF blobs, so the tests need no assembler.

/** One 8-byte instruction: opcode, dst/src registers, offset, immediate. */
export function insn(code: number, dst: number, src: number, off: number, imm: number): Uint8Array {
  const b = new Uint8Array(8);
  const v = new DataView(b.buffer);
  v.setUint8(0, code);
  v.setUint8(1, (src << 4) | dst);
  v.setInt16(2, off, true);
  v.setInt32(4, imm, true);
  return b;
}

export function program(...insns: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(insns.length * 8);
  insns.forEach((i, n) => {
    out.set(i, n * 8);
  });
  return out;
}

/** `r<dst> = imm` (BPF_ALU64 | BPF_MOV | BPF_K). */
export const movImm = (dst: number, imm: number): Uint8Array => insn(0xb7, dst, 0, 0, imm);
/** `r<dst> = r<src>` (BPF_ALU64 | BPF_MOV | BPF_X). */
export const movReg = (dst: number, src: number): Uint8Array => insn(0xbf, dst, src, 0, 0);
/** `*(u64 *)(r<dst> + off) = r<src>`. */
export const stxDw = (dst: number, src: number, off: number): Uint8Array => insn(0x7b, dst, src, off, 0);
/** `r0 = *(u64 *)(r<src> + off)`. */
export const ldxDw = (dst: number, src: number, off: number): Uint8Array => insn(0x79, dst, src, off, 0);
/** `call <helper id>`. */
export const call = (id: number): Uint8Array => insn(0x85, 0, 0, 0, id);
export const exit = (): Uint8Array => insn(0x95, 0, 0, 0, 0);
/** `goto +off` (BPF_JMP | BPF_JA). */
export const ja = (off: number): Uint8Array => insn(0x05, 0, 0, off, 0);

/** `r0 = 0; exit`. */
export const RETURN_ZERO = program(movImm(0, 0), exit());

export function hex(s: string): Uint8Array {
  return Uint8Array.from(s.match(/../g) ?? [], (h) => parseInt(h, 16));
}

/** A BTF blob with one type, `int` (4 bytes, 32 bits, signed=0). */
export const BTF_INT = hex(
  '9feb0100' + '18000000' + '00000000' + '10000000' + '10000000' + '05000000' +
  '01000000' + '00000001' + '04000000' + '20000000' + '00696e7400',
);

/** `license` as a NUL-terminated string. */
export const GPL = new TextEncoder().encode('GPL\0');
