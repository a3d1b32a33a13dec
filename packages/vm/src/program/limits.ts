/**
 * Run-time limits every engine shares, with the kernel's names and values
 * (include/linux/bpf.h, include/linux/filter.h, Linux 6.18).
 */

/**
 * Bytes of one frame's stack (`MAX_BPF_STACK`): r10 points one past its top byte.
 *
 * @example
 * const r10 = stackTop - MAX_BPF_STACK * depth;
 */
export const MAX_BPF_STACK = 512;

/**
 * Frames a run may hold at once, the main program's included (`MAX_CALL_FRAMES`).
 *
 * @example
 * if (depth + 1 >= MAX_CALL_FRAMES) throw callDepthFault();
 */
export const MAX_CALL_FRAMES = 8;

/**
 * Tail calls one chain may make (`MAX_TAIL_CALL_CNT`): the 34th `bpf_tail_call`
 * of a chain returns to its caller as if the slot were empty.
 *
 * @example
 * if (tailCallChain.count >= MAX_TAIL_CALL_CNT) return false;
 */
export const MAX_TAIL_CALL_CNT = 33;

/**
 * Times one frame's `may_goto` falls through before it branches
 * (`BPF_MAX_LOOPS`, 8 Mi): the verifier gives each subprogram that uses
 * `may_goto` a hidden stack counter set to this at entry.
 *
 * @example
 * frameLoops[depth] = BPF_MAX_LOOPS; // at each frame's entry
 */
export const BPF_MAX_LOOPS = 8 * 1024 * 1024;

/**
 * Bytes of stack an engine reserves per loaded program: one
 * {@link MAX_BPF_STACK} frame per {@link MAX_CALL_FRAMES} (the interpreter
 * adds chunks of this size when tail calls from subprograms stack deeper,
 * see {@link MAX_RUN_FRAMES}).
 *
 * @example
 * const base = arena.alloc(STACK_AREA_BYTES);
 * const r10 = base + STACK_AREA_BYTES; // frame 0; frame n's r10 is 512·n lower
 */
export const STACK_AREA_BYTES = MAX_BPF_STACK * MAX_CALL_FRAMES;

/**
 * Frames a run can reach through tail calls: the verifier bounds each
 * program's own chain of calls by {@link MAX_CALL_FRAMES}, but a tail call
 * from a subprogram replaces only that frame, so the next program's calls
 * stack on top (the kernel's `verifier_tailcall_jit` selftest does this 33
 * times). Each of the {@link MAX_TAIL_CALL_CNT} tail calls adds at most
 * `MAX_CALL_FRAMES - 1` frames.
 *
 * @example
 * const frames = new Int32Array(MAX_RUN_FRAMES); // one slot per frame a run can reach
 */
export const MAX_RUN_FRAMES = MAX_CALL_FRAMES + MAX_TAIL_CALL_CNT * (MAX_CALL_FRAMES - 1);
