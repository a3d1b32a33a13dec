/**
 * The fixed layout every compiled module shares: import, global, local and
 * type indices, fault codes, and the arena areas the code addresses.
 */

/** Bytes of one BPF stack frame (`MAX_BPF_STACK`). */
export const FRAME_BYTES = 512;
/** Frames a run may stack up, the main program's included (`MAX_CALL_FRAMES`). */
export const MAX_CALL_FRAMES = 8;
/** `may_goto`'s budget for one run (`BPF_MAX_LOOPS`). */
export const BPF_MAX_LOOPS = 8 * 1024 * 1024;
/** Tail calls one chain may make (`MAX_TAIL_CALL_CNT`). */
export const MAX_TAIL_CALL_CNT = 33;
/** The helper-call area: r0–r5 as little-endian u64s; after it, the run's instruction count. */
export const SCRATCH_BYTES = 6 * 8;

/** Fault codes the code passes to the `fault` import. */
export const FaultCode = {
  memory: 0,
  invalidInsn: 1,
  badJump: 2,
  insnLimit: 3,
  callDepth: 4,
  helper: 5,
} as const;

/** Imported functions, in index order. */
export const Import = {
  /** (code, pc, addrLo, addrHi, size) → never returns. */
  fault: 0,
  /** (site) → tail-call status; r1–r5 in, r0 out through the scratch area. */
  helper: 1,
  /** (site, helper id) → status: `callx`. */
  helperX: 2,
  /** (addrLo, addrHi, size) → 1 unless the access lies in live allocations. */
  check: 3,
  /** (offset, size, pc) → 1 outside the packet, else 0 with the bytes in the scratch area (`LD_ABS`/`LD_IND`). */
  loadSkb: 4,
  /** (block start pc, block insns): the run went past its instruction limit in this block. */
  limit: 5,
} as const;
/** Imported functions come first in the function index space. */
export const IMPORTED_FUNCS = 6;

/** Globals: the imported scratch address, then the module's own. */
export const Global = {
  /** i32: address of the helper-call area. */
  scratch: 0,
  /**
   * i32: the lowest r10 a frame that may still call has (the stack grows down
   * from its top); set from JS, since a run inside a run gets its own area.
   */
  stackLow: 1,
  /** i32: r10 of the innermost frame. */
  sp: 2,
  /** i64: instructions executed (flushed at function exits without a limit). */
  count: 3,
  /** i64: the instruction limit. */
  limit: 4,
  /** i64: highest `addr - ARENA_GUARD_BYTES` an access of 1, 2, 4, 8 bytes may use. */
  lim1: 5,
  lim2: 6,
  lim4: 7,
  lim8: 8,
} as const;

/** Locals of a compiled subprogram: r1–r5 are its parameters. */
export const Local = {
  r0: 5,
  r10: 10,
  /** i64: effective address of the access being checked. */
  ea: 11,
  /** i64: temporary (old value of an atomic, bswap input). */
  t64: 12,
  /** i64: instructions executed in this frame, not yet added to the global count. */
  cnt: 13,
  /** i32: address of an atomic access. */
  a32: 14,
  /** i32: temporary. */
  t32: 15,
  /** i32: next block of the dispatcher loop (irreducible control flow). */
  next: 16,
  /** i32: what is left of this frame's `may_goto` budget. */
  loops: 17,
  /** i32: `pc << 4 | size` of a failed memory check, for the function's shared fault path. */
  fpc: 18,
} as const;
/** i64 locals after the parameters r1–r5 (r0, r6–r10, ea, t64, cnt). */
export const I64_LOCALS = 9;
/** i32 locals after those (a32, t32, next, loops, fpc). */
export const I32_LOCALS = 5;

/**
 * The local holding BPF register `r`.
 *
 * @example
 * regLocal(0); // 5: r0 is the first local after the parameters r1–r5
 */
export function regLocal(r: number): number {
  if (r === 0) return Local.r0;
  return r <= 5 ? r - 1 : r;
}
