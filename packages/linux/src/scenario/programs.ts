// The programs and the BTF blob the token-oracle/v1 schema names, as bytes.

function insn(code: number, dst: number, src: number, off: number, imm: number): number[] {
  const b = new Uint8Array(8);
  const dv = new DataView(b.buffer);
  dv.setUint8(0, code);
  dv.setUint8(1, ((src & 0xf) << 4) | (dst & 0xf));
  dv.setInt16(2, off, true);
  dv.setInt32(4, imm, true);
  return [...b];
}

/** `ret0` (r0 = 0; exit), `leak_fp` (r0 = r10; exit), `probe_read_kernel` (helper #113 on an 8-byte stack buffer). */
export const SCENARIO_PROGRAMS: Readonly<Record<string, Uint8Array>> = {
  ret0: new Uint8Array([...insn(0xb7, 0, 0, 0, 0), ...insn(0x95, 0, 0, 0, 0)]),
  leak_fp: new Uint8Array([...insn(0xbf, 0, 10, 0, 0), ...insn(0x95, 0, 0, 0, 0)]),
  probe_read_kernel: new Uint8Array([
    ...insn(0xbf, 1, 10, 0, 0),
    ...insn(0x07, 1, 0, 0, -8),
    ...insn(0xb7, 2, 0, 0, 8),
    ...insn(0xb7, 3, 0, 0, 0),
    ...insn(0x85, 0, 0, 0, 113),
    ...insn(0xb7, 0, 0, 0, 0),
    ...insn(0x95, 0, 0, 0, 0),
  ]),
};

/** BTF with one type, a signed 32-bit `int`. */
export function scenarioBtf(): Uint8Array {
  const out = new Uint8Array(24 + 16 + 5);
  const v = new DataView(out.buffer);
  v.setUint16(0, 0xeb9f, true); // magic
  v.setUint8(2, 1); // version
  v.setUint32(4, 24, true); // hdr_len
  v.setUint32(8, 0, true); // type_off
  v.setUint32(12, 16, true); // type_len
  v.setUint32(16, 16, true); // str_off
  v.setUint32(20, 5, true); // str_len
  v.setUint32(24, 1, true); // name_off: "int"
  v.setUint32(28, 1 << 24, true); // kind INT, vlen 0
  v.setUint32(32, 4, true); // size
  v.setUint32(36, (1 << 24) | 32, true); // signed, 32 bits
  out.set([0, 0x69, 0x6e, 0x74, 0], 40);
  return out;
}
