import type { Insn } from '@bpfkit/asm';

/** Opcode pieces (`BPF_CLASS`, `BPF_OP`, …). */
export const cls = (code: number): number => code & 0x07;
export const op = (code: number): number => code & 0xf0;
export const srcX = (code: number): boolean => (code & 0x08) !== 0;
export const size = (code: number): number => code & 0x18;
export const mode = (code: number): number => code & 0xe0;

export const LD = 0, LDX = 1, ST = 2, STX = 3, ALU = 4, JMP = 5, JMP32 = 6, ALU64 = 7;
export const CALL = 0x80, EXIT = 0x90, JA = 0x00, JCOND = 0xe0;
/** `may_goto`: `BPF_JMP | BPF_JCOND` with src `BPF_MAY_GOTO` (0). */
export const isMayGoto = (insn: Insn | undefined): boolean => insn?.code === (JMP | JCOND) && insn.src === 0;
export const LD_IMM64 = 0x18;
export const PSEUDO_CALL = 1, PSEUDO_MAP_FD = 1, PSEUDO_MAP_VALUE = 2, PSEUDO_FUNC = 4;

/** `bpf_pseudo_func`: an ld_imm64 that loads the address of a subprogram (a callback). */
export const isPseudoFunc = (insn: Insn): boolean => insn.code === LD_IMM64 && insn.src === PSEUDO_FUNC;

/** Helpers that call a callback before they return (`is_sync_callback_calling_function`): loop, for_each_map_elem, find_vma, user_ringbuf_drain. */
export const SYNC_CALLBACK_HELPERS: ReadonlySet<number> = new Set([181, 164, 180, 209]);

/** `is_sync_callback_calling_insn`. */
export const isSyncCallbackCall = (insn: Insn): boolean => insn.code === (JMP | CALL) && insn.src === 0 && SYNC_CALLBACK_HELPERS.has(insn.imm);

/** Bytes of a BPF_SIZE. */
export function sizeBytes(code: number): number {
  return [4, 2, 1, 8][size(code) >> 3] ?? 0;
}

/**
 * The program as the kernel indexes it: one entry per 8-byte slot. An ld_imm64's
 * first slot carries its second slot in `second`; the second slot itself is kept raw.
 */
export function decodeSlots(bytes: Uint8Array): Insn[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Insn[] = [];
  const n = Math.floor(bytes.length / 8);
  for (let i = 0; i < n; i++) {
    const at = i * 8;
    const regs = view.getUint8(at + 1);
    out.push({ code: view.getUint8(at), dst: regs & 0xf, src: regs >> 4, off: view.getInt16(at + 2, true), imm: view.getInt32(at + 4, true) });
  }
  return out.map((insn, i) => {
    const next = out[i + 1];
    return insn.code === LD_IMM64 && next !== undefined ? { ...insn, second: next } : insn;
  });
}

/** True for conditional and unconditional jumps (not call/exit). */
export function isJump(insn: Insn): boolean {
  const c = cls(insn.code);
  if (c !== JMP && c !== JMP32) return false;
  const o = op(insn.code);
  return o !== CALL && o !== EXIT && !(c === JMP32 && o === JA && false);
}

/** The jump target (`gotol` uses imm). */
export function jumpTarget(insn: Insn, pc: number): number {
  if (cls(insn.code) === JMP32 && op(insn.code) === JA) return pc + insn.imm + 1;
  return pc + insn.off + 1;
}
