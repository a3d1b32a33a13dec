import {
  BPF_ALU, BPF_ALU64, BPF_CALL, BPF_EXIT, BPF_JA, BPF_JCOND, BPF_JMP, BPF_JMP32, BPF_LD, BPF_LDX, BPF_PSEUDO_CALL, BPF_PSEUDO_FUNC,
  BPF_PSEUDO_MAP_FD, BPF_PSEUDO_MAP_VALUE, BPF_ST, BPF_STX, type Insn,
} from '@bpfkit/asm';

/** Opcode pieces (`BPF_CLASS`, `BPF_OP`, …). */
export const cls = (code: number): number => code & 0x07;
export const op = (code: number): number => code & 0xf0;
export const srcX = (code: number): boolean => (code & 0x08) !== 0;
export const size = (code: number): number => code & 0x18;
export const mode = (code: number): number => code & 0xe0;

/** Short names for the ISA's constants (from `@bpfkit/asm`, the one table of them). */
export const LD = BPF_LD, LDX = BPF_LDX, ST = BPF_ST, STX = BPF_STX, ALU = BPF_ALU, JMP = BPF_JMP, JMP32 = BPF_JMP32, ALU64 = BPF_ALU64;
export const CALL = BPF_CALL, EXIT = BPF_EXIT, JA = BPF_JA, JCOND = BPF_JCOND;
/** `may_goto`: `BPF_JMP | BPF_JCOND` with src `BPF_MAY_GOTO` (0). */
export const isMayGoto = (insn: Insn | undefined): boolean => insn?.code === (JMP | JCOND) && insn.src === 0;
export const LD_IMM64 = BPF_LD | 0x18;
export const PSEUDO_CALL = BPF_PSEUDO_CALL, PSEUDO_MAP_FD = BPF_PSEUDO_MAP_FD, PSEUDO_MAP_VALUE = BPF_PSEUDO_MAP_VALUE, PSEUDO_FUNC = BPF_PSEUDO_FUNC;

/** `bpf_pseudo_func`: an ld_imm64 that loads the address of a subprogram (a callback). */
export const isPseudoFunc = (insn: Insn): boolean => insn.code === LD_IMM64 && insn.src === PSEUDO_FUNC;

/** Helpers that call a callback before they return (`is_sync_callback_calling_function`): loop, for_each_map_elem, find_vma, user_ringbuf_drain. */
export const SYNC_CALLBACK_HELPERS: ReadonlySet<number> = new Set([181, 164, 180, 209]);

/** Kfunc calls of this program that call back synchronously (`is_sync_callback_calling_kfunc`: `bpf_rbtree_add_impl`), by instruction. */
const SYNC_CALLBACK_KFUNCS = new WeakSet<Insn>();

/** Marks a decoded kfunc call as calling back synchronously (the kfunc is known by BTF id only when the kernel's BTF is at hand). */
export function markSyncCallbackKfunc(insn: Insn): void {
  SYNC_CALLBACK_KFUNCS.add(insn);
}

/** `is_sync_callback_calling_insn`. */
export const isSyncCallbackCall = (insn: Insn): boolean =>
  insn.code === (JMP | CALL) && ((insn.src === 0 && SYNC_CALLBACK_HELPERS.has(insn.imm)) || SYNC_CALLBACK_KFUNCS.has(insn));

/** Bytes of a BPF_SIZE. */
export function sizeBytes(code: number): number {
  return [4, 2, 1, 8][size(code) >> 3] ?? 0;
}

/**
 * The program as the kernel indexes it: one entry per 8-byte slot. An ld_imm64's
 * first slot carries its second slot in `second`; the second slot itself is kept raw.
 * Slots with the same bytes share one object (large programs repeat a few instructions).
 */
export function decodeSlots(bytes: Uint8Array): Insn[] {
  // Bytes, not a DataView: asking a small typed array for its buffer moves it off the JS heap.
  const n = Math.floor(bytes.length / 8);
  // Sized up front: growing a million-entry array by push copies it over and over.
  const out = new Array<Insn>(n);
  const shared = new SlotInterner(n);
  for (let i = 0; i < n; i++) {
    const at = i * 8;
    const head = (bytes[at] ?? 0) | ((bytes[at + 1] ?? 0) << 8) | ((bytes[at + 2] ?? 0) << 16) | ((bytes[at + 3] ?? 0) << 24);
    const imm = (bytes[at + 4] ?? 0) | ((bytes[at + 5] ?? 0) << 8) | ((bytes[at + 6] ?? 0) << 16) | ((bytes[at + 7] ?? 0) << 24);
    out[i] = shared.slot(head, imm);
  }
  // Forward, so `out[i + 1]` is still the raw slot when its first slot takes it.
  for (let i = 0; i + 1 < n; i++) {
    const insn = out[i] as Insn;
    if (insn.code === LD_IMM64) out[i] = { code: insn.code, dst: insn.dst, src: insn.src, off: insn.off, imm: insn.imm, second: out[i + 1] };
  }
  return out;
}

/** The most distinct slots one decode shares (the table stays at most half full). */
const INTERN_CAPACITY = 1 << 16;

/**
 * One object per distinct 8-byte slot, found by an open-addressed table of the slot's two 32-bit
 * words. Once the table is half full, further new slots get objects of their own.
 */
class SlotInterner {
  private readonly heads: Int32Array;
  private readonly imms: Int32Array;
  private readonly insns: (Insn | undefined)[];
  private readonly mask: number;
  private count = 0;

  constructor(slots: number) {
    let cap = 16;
    while (cap < 2 * slots && cap < INTERN_CAPACITY) cap *= 2;
    this.heads = new Int32Array(cap);
    this.imms = new Int32Array(cap);
    this.insns = new Array<Insn | undefined>(cap).fill(undefined);
    this.mask = cap - 1;
  }

  slot(head: number, imm: number): Insn {
    let h = (Math.imul(head, 0x9e3779b1) ^ Math.imul(imm ^ (imm >>> 15), 0x85ebca77)) >>> 0;
    for (;; h++) {
      const at = h & this.mask;
      const found = this.insns[at];
      if (found === undefined) {
        const insn = slotFromWords(head, imm);
        if (2 * this.count < this.mask) {
          this.heads[at] = head;
          this.imms[at] = imm;
          this.insns[at] = insn;
          this.count++;
        }
        return insn;
      }
      if (this.heads[at] === head && this.imms[at] === imm) return found;
    }
  }
}

/** A slot from its first word (code, registers, offset; little-endian) and its immediate. */
function slotFromWords(head: number, imm: number): Insn {
  return { code: head & 0xff, dst: (head >>> 8) & 0xf, src: (head >>> 12) & 0xf, off: head >> 16, imm };
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
