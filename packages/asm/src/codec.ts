import { asmError } from './errors.js';
import type { Insn, InsnSlot } from './insn.js';
import { BPF_LD_IMM64 } from './opcodes.js';

/** Bytes per instruction slot (`sizeof(struct bpf_insn)`). */
export const BPF_INSN_SIZE = 8;

function readSlot(view: DataView, at: number): InsnSlot {
  const regs = view.getUint8(at + 1);
  return {
    code: view.getUint8(at),
    dst: regs & 0x0f,
    src: regs >> 4,
    off: view.getInt16(at + 2, true),
    imm: view.getInt32(at + 4, true),
  };
}

function checkSlot(slot: InsnSlot, index: number): void {
  const ok =
    Number.isInteger(slot.code) && slot.code >= 0 && slot.code <= 0xff &&
    Number.isInteger(slot.dst) && slot.dst >= 0 && slot.dst <= 15 &&
    Number.isInteger(slot.src) && slot.src >= 0 && slot.src <= 15 &&
    Number.isInteger(slot.off) && slot.off >= -0x8000 && slot.off <= 0x7fff &&
    Number.isInteger(slot.imm) && slot.imm >= -0x80000000 && slot.imm <= 0x7fffffff;
  if (!ok) {
    throw asmError(
      'asm:field-range',
      `insn ${String(index)}: field out of range (code ${String(slot.code)}, dst ${String(slot.dst)}, src ${String(slot.src)}, off ${String(slot.off)}, imm ${String(slot.imm)})`,
    );
  }
}

function writeSlot(view: DataView, at: number, slot: InsnSlot): void {
  view.setUint8(at, slot.code);
  view.setUint8(at + 1, (slot.src << 4) | slot.dst);
  view.setInt16(at + 2, slot.off, true);
  view.setInt32(at + 4, slot.imm, true);
}

/**
 * Decodes little-endian 8-byte slots into logical instructions (ld_imm64 takes
 * two slots). Throws EINVAL when the length is not a multiple of 8 or when the
 * program ends in the middle of an ld_imm64.
 *
 * @example
 * decodeProgram(Uint8Array.from([0xb7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]));
 * // [{ code: 0xb7, dst: 0, … }, { code: 0x95, … }]
 */
export function decodeProgram(bytes: Uint8Array): Insn[] {
  if (bytes.length % BPF_INSN_SIZE !== 0) {
    throw asmError('asm:truncated', `program of ${String(bytes.length)} bytes is not a whole number of 8-byte instructions`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = bytes.length / BPF_INSN_SIZE;
  const out: Insn[] = [];
  for (let i = 0; i < count; i++) {
    const slot = readSlot(view, i * BPF_INSN_SIZE);
    if (slot.code !== BPF_LD_IMM64) {
      out.push(slot);
      continue;
    }
    if (i + 1 >= count) {
      // What the kernel's resolve_pseudo_ldimm64 says for a missing second half.
      throw asmError('asm:ld-imm64-truncated', `invalid bpf_ld_imm64 insn: insn ${String(i)} is the last slot, its second half is missing`);
    }
    out.push({ ...slot, second: readSlot(view, ++i * BPF_INSN_SIZE) });
  }
  return out;
}

/**
 * Encodes instructions into little-endian 8-byte slots. ld_imm64 without a
 * `second` slot gets an all-zero one.
 *
 * @example
 * encodeProgram([mov64Imm(R0, 0), exit()]); // Uint8Array(16)
 */
export function encodeProgram(insns: readonly Insn[]): Uint8Array {
  let slots = 0;
  for (const insn of insns) slots += insn.code === BPF_LD_IMM64 ? 2 : 1;
  const bytes = new Uint8Array(slots * BPF_INSN_SIZE);
  const view = new DataView(bytes.buffer);
  let at = 0;
  insns.forEach((insn, index) => {
    checkSlot(insn, index);
    writeSlot(view, at, insn);
    at += BPF_INSN_SIZE;
    if (insn.code === BPF_LD_IMM64) {
      const second = insn.second ?? { code: 0, dst: 0, src: 0, off: 0, imm: 0 };
      checkSlot(second, index);
      writeSlot(view, at, second);
      at += BPF_INSN_SIZE;
    }
  });
  return bytes;
}

/**
 * Decodes a hex string of slots in memory order (`"b700000000000000…"`, the
 * verifier corpus form); whitespace is ignored.
 *
 * @example
 * decodeHex('b7000000000000009500000000000000').length; // 2
 */
export function decodeHex(hex: string): Insn[] {
  const clean = hex.replace(/\s+/g, '');
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(clean)) throw asmError('asm:bad-hex', 'not a string of hex byte pairs');
  const bytes = new Uint8Array(clean.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return decodeProgram(bytes);
}

/** Encodes to a lowercase hex string of slots in memory order. */
export function encodeHex(insns: readonly Insn[]): string {
  let out = '';
  for (const b of encodeProgram(insns)) out += b.toString(16).padStart(2, '0');
  return out;
}

/** One slot as the little-endian u64 that the conformance `-- raw` and `.insn` forms use. */
export function slotToU64(slot: InsnSlot): bigint {
  const bytes = new Uint8Array(8);
  writeSlot(new DataView(bytes.buffer), 0, slot);
  return new DataView(bytes.buffer).getBigUint64(0, true);
}

/** The inverse of {@link slotToU64}. */
export function slotFromU64(value: bigint): InsnSlot {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setBigUint64(0, BigInt.asUintN(64, value), true);
  return readSlot(new DataView(bytes.buffer), 0);
}
