import { MAX_TAIL_CALL_CNT } from './limits.js';

/**
 * The tail-call chain of the run in progress, shared by every engine of this
 * package, so that a chain crossing engines (an interpreter program
 * tail-calling one the JIT compiled, and back) spends one budget of
 * {@link MAX_TAIL_CALL_CNT}, as the kernel's `tail_call_cnt` does. Runs are
 * synchronous and nest only through helpers (a tail call into another
 * engine's program runs inside the caller's helper call), so one counter
 * per outermost run is enough.
 *
 * @example
 * enterRun();
 * try { … if (!takeTailCall()) return false; … } finally { leaveRun(); }
 */
export const tailCallChain = { nesting: 0, count: 0 };

/**
 * Marks the start of a run; the outermost one starts a new chain.
 *
 * @example
 * enterRun();
 * try { run(); } finally { leaveRun(); }
 */
export function enterRun(): void {
  if (tailCallChain.nesting++ === 0) tailCallChain.count = 0;
}

/**
 * Marks the end of a run started with {@link enterRun}.
 *
 * @example
 * enterRun();
 * try { run(); } finally { leaveRun(); }
 */
export function leaveRun(): void {
  tailCallChain.nesting--;
}

/**
 * Spends one tail call of the chain; false when {@link MAX_TAIL_CALL_CNT}
 * are spent. The kernel counts the attempt before it looks at the slot, so
 * a call to an empty slot spends one too.
 *
 * @example
 * if (!takeTailCall()) return false; // the 34th tail call of a chain
 */
export function takeTailCall(): boolean {
  if (tailCallChain.count >= MAX_TAIL_CALL_CNT) return false;
  tailCallChain.count++;
  return true;
}
