import { BPF_PSEUDO_CALL, BPF_PSEUDO_FUNC } from '@bpfkit/uapi';
import type { DecodedProgram } from './decode.js';

const CALL = 0x85;
const LD_IMM64 = 0x18;

/**
 * Where each subprogram starts, as the kernel's `add_subprog_and_kfunc`
 * finds them: the main program at 0, the target of every bpf-to-bpf call
 * (`call` with `src_reg = BPF_PSEUDO_CALL`, relative offset in `imm`) and of
 * every `ld_imm64` with `BPF_PSEUDO_FUNC` (absolute index in `imm`, after the
 * load-time fix-up).
 *
 * @example
 * const layout = subprogramLayout(decodeProgram(image.insns));
 * layout.isStart(5); // true when something calls or calls back pc 5
 */
export interface SubprogramLayout {
  /** Start slot of each subprogram, ascending; `starts[0]` is 0. */
  readonly starts: readonly number[];
  /** For each slot, the index in {@link starts} of the subprogram it belongs to. */
  readonly subprogOf: Uint16Array;
  /** Whether slot `pc` starts a subprogram (a valid call or callback target). */
  isStart(pc: number): boolean;
}

/**
 * Finds the subprograms of a decoded program. Targets outside the program
 * are left out (an engine faults when it reaches such a call).
 *
 * @example
 * const layout = subprogramLayout(decodeProgram(bytes));
 * layout.starts; // [0, 5]
 */
export function subprogramLayout(p: DecodedProgram): SubprogramLayout {
  const found = new Set<number>([0]);
  for (let i = 0; i < p.length; i++) {
    if (p.ldImm64Tail[i] === 1) continue;
    const code = p.code[i] ?? 0;
    const src = p.src[i] ?? 0;
    let target = -1;
    if (code === CALL && src === BPF_PSEUDO_CALL) target = i + (p.imm[i] ?? 0) + 1;
    else if (code === LD_IMM64 && src === BPF_PSEUDO_FUNC) target = p.imm[i] ?? -1;
    if (target >= 0 && target < p.length && p.ldImm64Tail[target] !== 1) found.add(target);
  }
  const starts = [...found].sort((a, b) => a - b);
  const subprogOf = new Uint16Array(p.length);
  let s = 0;
  for (let i = 0; i < p.length; i++) {
    while (s + 1 < starts.length && (starts[s + 1] ?? Infinity) <= i) s++;
    subprogOf[i] = s;
  }
  const isStart = new Uint8Array(p.length + 1);
  for (const start of starts) isStart[start] = 1;
  return {
    starts,
    subprogOf,
    isStart: (pc) => pc >= 0 && pc < p.length && isStart[pc] === 1,
  };
}
