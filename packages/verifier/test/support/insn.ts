/** One 8-byte instruction (`struct bpf_insn`, little-endian) as bytes, for programs written out by hand. */
export function insn(code: number, dst = 0, src = 0, off = 0, imm = 0): number[] {
  const b = new DataView(new ArrayBuffer(8));
  b.setUint8(0, code);
  b.setUint8(1, (src << 4) | dst);
  b.setInt16(2, off, true);
  b.setInt32(4, imm, true);
  return [...new Uint8Array(b.buffer)];
}
