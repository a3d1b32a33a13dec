import { BpfError } from '@bpfkit/kernel-api';

/**
 * A program's instruction slots split into field arrays (`struct bpf_insn`
 * unpacked once), so the compiler's passes index numbers, not objects.
 */
export interface Slots {
  /** Number of 8-byte slots (`insn_cnt`). */
  readonly n: number;
  readonly code: Uint8Array;
  readonly dst: Uint8Array;
  readonly src: Uint8Array;
  readonly off: Int16Array;
  readonly imm: Int32Array;
  /** 1 where the slot is the second half of an ld_imm64: not an instruction, never a jump target. */
  readonly second: Uint8Array;
  /** Slots of a verified image: the verifier's rewrites (`BPF_PROBE_MEM` loads) are instructions there. */
  readonly verified: boolean;
}

/** The ld_imm64 opcode (`BPF_LD | BPF_IMM | BPF_DW`). */
export const LD_IMM64 = 0x18;

/**
 * Unpacks little-endian instructions. Throws `BpfError('EINVAL')` for what no
 * engine can decode: a length that is not a whole number of slots, or an
 * ld_imm64 missing its second slot. (An empty program decodes; running it
 * falls off its end at once.)
 *
 * @example
 * const s = decodeSlots(new Uint8Array([0xb7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]));
 * s.n; // 2
 */
export function decodeSlots(insns: Uint8Array, verified = false): Slots {
  checkSlots(insns);
  const n = insns.length / 8;
  const view = new DataView(insns.buffer, insns.byteOffset, insns.byteLength);
  const code = new Uint8Array(n);
  const dst = new Uint8Array(n);
  const src = new Uint8Array(n);
  const off = new Int16Array(n);
  const imm = new Int32Array(n);
  const second = new Uint8Array(n);
  for (let pc = 0; pc < n; pc++) {
    const at = pc * 8;
    code[pc] = view.getUint8(at);
    const regs = view.getUint8(at + 1);
    dst[pc] = regs & 0x0f;
    src[pc] = regs >> 4;
    off[pc] = view.getInt16(at + 2, true);
    imm[pc] = view.getInt32(at + 4, true);
  }
  for (let pc = 0; pc < n; pc++) {
    if (second[pc] === 1 || code[pc] !== LD_IMM64) continue;
    second[pc + 1] = 1;
  }
  return { n, code, dst, src, off, imm, second, verified };
}

/**
 * The checks of {@link decodeSlots} without decoding (nothing is allocated): the
 * engine refuses a bad image at load even though it compiles it on the first run.
 *
 * @example
 * checkSlots(new Uint8Array([0x18, 0, 0, 0, 1, 0, 0, 0])); // throws: ld_imm64 at 0 has no second slot
 */
export function checkSlots(insns: Uint8Array): void {
  if (insns.length % 8 !== 0) {
    throw new BpfError('EINVAL', 'vm:bad-image', `program of ${insns.length} bytes is not a whole number of 8-byte instructions`);
  }
  const n = insns.length / 8;
  for (let pc = 0; pc < n; pc++) {
    if (insns[pc * 8] !== LD_IMM64) continue;
    if (pc + 1 >= n) throw new BpfError('EINVAL', 'vm:bad-image', `ld_imm64 at ${pc} has no second slot`);
    pc++;
  }
}
