import { BpfError } from '@bpfkit/kernel-api';

/** Bytes per instruction slot (`sizeof(struct bpf_insn)`). */
const INSN_SIZE = 8;
/** `BPF_LD | BPF_IMM | BPF_DW`, the one two-slot instruction. */
const LD_IMM64 = 0x18;

/**
 * A program's instruction slots as parallel typed arrays (structure of
 * arrays, indexed by the kernel's instruction index): what engines read in
 * their hot loops instead of objects. ld_imm64 is folded: its first slot holds
 * both halves of the constant, its second slot is marked in {@link ldImm64Tail}.
 *
 * @example
 * const p = decodeProgram(image.insns);
 * p.code[0]; // opcode of slot 0
 */
export interface DecodedProgram {
  /** Number of 8-byte slots (`insn_cnt`). */
  readonly length: number;
  /** The opcode byte of each slot. */
  readonly code: Uint8Array;
  /** `dst_reg`, 0–15. */
  readonly dst: Uint8Array;
  /** `src_reg`, 0–15. */
  readonly src: Uint8Array;
  /** `off`, sign-extended. */
  readonly off: Int16Array;
  /** `imm`, sign-extended; for ld_imm64 the low word of the constant. */
  readonly imm: Int32Array;
  /** For the first slot of ld_imm64, the high word of the constant (the second slot's imm); 0 elsewhere. */
  readonly immHi: Int32Array;
  /** 1 on the second slot of an ld_imm64: not an instruction, a jump there is a bad jump. */
  readonly ldImm64Tail: Uint8Array;
}

/**
 * Decodes little-endian instruction bytes once, at load. Throws
 * `BpfError('EINVAL')` only when the bytes cannot be instructions: a length
 * that is not a multiple of 8, or an ld_imm64 whose second half is missing
 * (what `resolve_pseudo_ldimm64` refuses). Everything else decodes; whether
 * it can run is the engine's business.
 *
 * @example
 * const p = decodeProgram(Uint8Array.from([0xb7, 0, 0, 0, 42, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]));
 * p.length; // 2
 * p.imm[0]; // 42
 */
export function decodeProgram(bytes: Uint8Array): DecodedProgram {
  if (bytes.length % INSN_SIZE !== 0) {
    throw new BpfError('EINVAL', 'vm:insns-truncated', `program of ${String(bytes.length)} bytes is not a whole number of 8-byte instructions`);
  }
  const length = bytes.length / INSN_SIZE;
  const code = new Uint8Array(length);
  const dst = new Uint8Array(length);
  const src = new Uint8Array(length);
  const off = new Int16Array(length);
  const imm = new Int32Array(length);
  const immHi = new Int32Array(length);
  const ldImm64Tail = new Uint8Array(length);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < length; i++) {
    const at = i * INSN_SIZE;
    const regs = view.getUint8(at + 1);
    code[i] = view.getUint8(at);
    dst[i] = regs & 0x0f;
    src[i] = regs >> 4;
    off[i] = view.getInt16(at + 2, true);
    imm[i] = view.getInt32(at + 4, true);
  }
  for (let i = 0; i < length; i++) {
    if (code[i] !== LD_IMM64 || ldImm64Tail[i] === 1) continue;
    if (i + 1 >= length) {
      throw new BpfError('EINVAL', 'vm:ld-imm64-truncated', `invalid bpf_ld_imm64 insn: insn ${String(i)} is the last one, its second half is missing`);
    }
    immHi[i] = imm[i + 1] ?? 0;
    ldImm64Tail[i + 1] = 1;
  }
  return { length, code, dst, src, off, imm, immHi, ldImm64Tail };
}
