import type { Insn } from '@bpfkit/asm';
import type { LineInfoLog } from './line-info.js';
import { fail, type VerifierLog } from './log.js';
import { PSEUDO_KFUNC_CALL } from './kfunc-meta.js';
import { CALL, cls, EXIT, isJump, isPseudoFunc, JA, JMP, JMP32, jumpTarget, LD_IMM64, op, PSEUDO_CALL } from './insns.js';

/**
 * The subprogram half of `add_subprog_and_kfunc`: the main program, then every call target and
 * callback address in instruction order. `starts` (sorted) holds what was found so far, so that a
 * refusal part way leaves the subprograms the kernel had counted for its stats line.
 *
 * @example
 * const starts: number[] = [];
 * addSubprogs(log, insns, true, starts); // [0, 5] for a main program calling insn 5
 */
export function addSubprogs(log: VerifierLog, insns: readonly Insn[], bpfCapable: boolean, starts: number[]): void {
  const add = (start: number): void => {
    if (starts.includes(start)) return;
    starts.push(start);
    starts.sort((a, b) => a - b);
  };
  add(0);
  for (let pc = 0; pc < insns.length; pc++) {
    const insn = insns[pc] as Insn;
    // A call and a callback's address (ld_imm64 with BPF_PSEUDO_FUNC) both start a subprogram.
    const kfunc = insn.code === (JMP | CALL) && insn.src === PSEUDO_KFUNC_CALL;
    if (kfunc && !bpfCapable) {
      fail(log, 'EPERM', 'calls-need-cap-bpf', 'loading/calling other bpf or kernel functions are allowed for CAP_BPF and CAP_SYS_ADMIN');
    }
    if ((insn.code === (JMP | CALL) && insn.src === PSEUDO_CALL) || isPseudoFunc(insn)) {
      if (!bpfCapable) {
        fail(log, 'EPERM', 'calls-need-cap-bpf', 'loading/calling other bpf or kernel functions are allowed for CAP_BPF and CAP_SYS_ADMIN');
      }
      const target = pc + insn.imm + 1;
      if (target < 0 || target >= insns.length) fail(log, 'EINVAL', 'bad-call-target', `call to invalid destination`);
      add(target);
    }
  }
  // Level 2 lists the subprograms found before their instructions are checked.
  if (log.level2) starts.forEach((start, i) => { log.line(`func#${String(i)} @${String(start)}`); });
}

/**
 * `check_subprogs`: jumps stay inside their subprogram, and each subprogram ends in an exit or a
 * jump. Returns the starts with the program's end as a sentinel.
 */
export function checkSubprogs(log: VerifierLog, insns: readonly Insn[], starts: readonly number[]): number[] {
  const subprogs = [...starts, insns.length];
  for (let s = 0; s + 1 < subprogs.length; s++) {
    const start = subprogs[s] ?? 0;
    const end = subprogs[s + 1] ?? insns.length;
    for (let pc = start; pc < end; pc++) {
      const insn = insns[pc];
      if (insn === undefined) continue;
      // Every slot is looked at, the second halves of ld_imm64 too (their form is checked later).
      if (isJump(insn)) {
        const to = jumpTarget(insn, pc);
        if (to < start || to >= end) fail(log, 'EINVAL', 'jump-out-of-range', `jump out of range from insn ${String(pc)} to ${String(to)}`);
      }
    }
    const last = insns[end - 1];
    const ok = last !== undefined && (last.code === (JMP | EXIT) || last.code === (JMP | JA) || last.code === (JMP32 | JA));
    if (!ok) fail(log, 'EINVAL', 'last-insn', 'last insn is not an exit or jmp');
  }
  return subprogs;
}

/**
 * `check_cfg`: a depth-first walk from every subprogram start; jumps out of range,
 * back-edges (loops) without bpf_capable, instructions never reached and jumps into
 * the second half of an ld_imm64.
 */
export function checkCfg(log: VerifierLog, insns: readonly Insn[], subprogs: readonly number[], bpfCapable: boolean, lineInfo?: LineInfoLog): void {
  const state = reachedInOneSweep(insns, subprogs) ?? depthFirstWalk(log, insns, subprogs, bpfCapable, lineInfo);
  const n = insns.length;
  for (let pc = 0; pc < n; pc++) {
    if (state[pc] === 0) fail(log, 'EINVAL', 'unreachable', `unreachable insn ${String(pc)}`);
    if (insns[pc]?.code !== LD_IMM64) continue;
    // The second half is data: a jump that reached it made the walk treat it as an instruction.
    if (state[pc + 1] !== 0) fail(log, 'EINVAL', 'ld-imm64-middle', `jump into the middle of ldimm64 insn ${String(pc)}`);
    pc++;
  }
}

/**
 * What the depth-first walk would reach, found in one sweep in instruction order, when every edge
 * leads forward and stays inside the program: then the walk can meet no back-edge and no jump out of
 * range, and only reachability is left. Undefined when some edge does not (the walk decides).
 */
function reachedInOneSweep(insns: readonly Insn[], subprogs: readonly number[]): Uint8Array | undefined {
  const n = insns.length;
  const state = new Uint8Array(n);
  const edge = new Float64Array(2);
  for (let s = 0; s + 1 < subprogs.length; s++) state[subprogs[s] ?? 0] = 2;
  for (let pc = 0; pc < n; pc++) {
    const edges = cfgEdges(insns, pc, edge);
    for (let k = 0; k < edges; k++) {
      const to = edge[k] as number;
      if (to <= pc || to >= n) return undefined;
      if (state[pc] !== 0) state[to] = 2;
    }
  }
  return state;
}

/** The depth-first walk of `check_cfg` from every subprogram start; the instructions it reached are non-zero. */
function depthFirstWalk(log: VerifierLog, insns: readonly Insn[], subprogs: readonly number[], bpfCapable: boolean, lineInfo: LineInfoLog | undefined): Uint8Array {
  const n = insns.length;
  const state = new Uint8Array(n); // 0 unseen, 1 on the DFS stack, 2 done
  // The DFS stack: each entry's instruction and how many of its edges were taken (typed arrays: no object per instruction).
  const stackPc = new Int32Array(n + 1);
  const stackK = new Uint8Array(n + 1);
  const edge = new Float64Array(2);
  for (const start of subprogs.slice(0, -1)) {
    if (state[start] !== 0) continue;
    let sp = 0;
    stackPc[0] = start;
    stackK[0] = 0;
    state[start] = 1;
    while (sp >= 0) {
      const pc = stackPc[sp] as number;
      const k = stackK[sp] as number;
      if (k >= cfgEdges(insns, pc, edge)) {
        state[pc] = 2;
        sp--;
        continue;
      }
      stackK[sp] = k + 1;
      const to = edge[k] as number;
      if (to < 0 || to >= n) {
        lineInfo?.print(log, pc, `${String(pc)}: `);
        fail(log, 'EINVAL', 'jump-out-of-range', `jump out of range from insn ${String(pc)} to ${String(to)}`);
      }
      if (state[to] === 1) {
        if (!bpfCapable) {
          lineInfo?.print(log, pc, `${String(pc)}: `);
          lineInfo?.print(log, to, `${String(to)}: `);
          fail(log, 'EINVAL', 'back-edge', `back-edge from insn ${String(pc)} to ${String(to)}`);
        }
        continue;
      }
      if (state[to] === 2) continue;
      state[to] = 1;
      sp++;
      stackPc[sp] = to;
      stackK[sp] = 0;
    }
  }
  return state;
}

/** The CFG walk's edges of `pc` into `out` (fall-through first), returning how many. */
function cfgEdges(insns: readonly Insn[], pc: number, out: Float64Array): number {
  const insn = insns[pc];
  if (insn === undefined) return 0;
  const c = cls(insn.code);
  // The callback body is reached from where its address is taken.
  if (isPseudoFunc(insn)) { out[0] = pc + 2; out[1] = pc + insn.imm + 1; return 2; }
  if (insn.code === LD_IMM64) { out[0] = pc + 2; return 1; }
  if (c !== JMP && c !== JMP32) { out[0] = pc + 1; return 1; }
  const o = op(insn.code);
  if (o === EXIT) return 0;
  out[0] = pc + 1;
  if (o === CALL) {
    if (insn.src !== PSEUDO_CALL) return 1;
    out[1] = pc + insn.imm + 1;
    return 2;
  }
  if (o === JA) { out[0] = jumpTarget(insn, pc); return 1; }
  out[1] = jumpTarget(insn, pc);
  return 2;
}
