/** One eBPF instruction, little-endian. */
function insn(code: number, dst: number, src: number, off: number, imm: number): number[] {
  const b = new Uint8Array(8);
  const dv = new DataView(b.buffer);
  dv.setUint8(0, code);
  dv.setUint8(1, ((src & 0xf) << 4) | (dst & 0xf));
  dv.setInt16(2, off, true);
  dv.setInt32(4, imm, true);
  return [...b];
}

const MOV64_IMM = 0xb7;
const MOV64_REG = 0xbf;
const ADD64_IMM = 0x07;
const CALL = 0x85;
const EXIT = 0x95;

/**
 * The corpus programs: `ret0` (r0 = 0; exit), `leak_fp` (r0 = r10; exit) and
 * `probe_read_kernel` (bpf_probe_read_kernel#113 into an 8-byte stack buffer).
 */
export const ORACLE_PROGRAMS: Readonly<Record<string, Uint8Array>> = {
  ret0: new Uint8Array([...insn(MOV64_IMM, 0, 0, 0, 0), ...insn(EXIT, 0, 0, 0, 0)]),
  leak_fp: new Uint8Array([...insn(MOV64_REG, 0, 10, 0, 0), ...insn(EXIT, 0, 0, 0, 0)]),
  probe_read_kernel: new Uint8Array([
    ...insn(MOV64_REG, 1, 10, 0, 0),
    ...insn(ADD64_IMM, 1, 0, 0, -8),
    ...insn(MOV64_IMM, 2, 0, 0, 8),
    ...insn(MOV64_IMM, 3, 0, 0, 0),
    ...insn(CALL, 0, 0, 0, 113),
    ...insn(MOV64_IMM, 0, 0, 0, 0),
    ...insn(EXIT, 0, 0, 0, 0),
  ]),
};

/** A minimal BTF blob: one 32-bit signed `int` (what the corpus's btf_load loads). */
export function minimalBtf(): Uint8Array {
  const strings = new Uint8Array([0, 0x69, 0x6e, 0x74, 0]);
  const types = new Uint8Array(16);
  const tv = new DataView(types.buffer);
  tv.setUint32(0, 1, true); // name_off -> "int"
  tv.setUint32(4, 1 << 24, true); // BTF_KIND_INT
  tv.setUint32(8, 4, true); // size
  tv.setUint32(12, (1 << 24) | 32, true); // BTF_INT_SIGNED, 32 bits
  const hdr = new Uint8Array(24);
  const hv = new DataView(hdr.buffer);
  hv.setUint16(0, 0xeb9f, true);
  hv.setUint8(2, 1);
  hv.setUint8(3, 0);
  hv.setUint32(4, 24, true);
  hv.setUint32(8, 0, true);
  hv.setUint32(12, types.length, true);
  hv.setUint32(16, types.length, true);
  hv.setUint32(20, strings.length, true);
  return new Uint8Array([...hdr, ...types, ...strings]);
}
