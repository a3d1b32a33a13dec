import type { Insn } from '@bpfkit/asm';
import { isSyncCallbackCall } from './insns.js';
import { flowGraph } from './liveness.js';

/**
 * `compute_scc`: strongly connected components of the instruction graph (Tarjan's algorithm,
 * roots taken in instruction order, successors fall-through first). A component of two or more
 * instructions, one that jumps to itself, or (with `callbackLoops`) a call of a helper that calls
 * back, an implicit loop, gets a number from 1 in the order the components complete; every other
 * instruction gets 0.
 */
export function computeScc(insns: readonly Insn[], callbackLoops = true): Uint32Array {
  const n = insns.length;
  const { succ, forward } = flowGraph(insns);
  const scc = new Uint32Array(n);
  // Without back edges no instruction is in a loop; only a callback-calling helper could be one.
  if (forward && !(callbackLoops && anySyncCallbackCall(insns))) return scc;
  const pre = new Int32Array(n);
  const low = new Int32Array(n);
  const onStack = new Uint8Array(n);
  // Tarjan's stack, and the DFS stack as an instruction and how many of its successors were looked
  // at (typed arrays: nothing allocated per instruction).
  const stack = new Int32Array(n);
  let sp = 0;
  const dfsV = new Int32Array(n);
  const dfsI = new Uint8Array(n);
  let nextPre = 1;
  let nextScc = 1;
  for (let root = 0; root < n; root++) {
    if (pre[root] !== 0) continue;
    let dp = 0;
    dfsV[0] = root;
    dfsI[0] = 0;
    pre[root] = low[root] = nextPre++;
    stack[sp++] = root;
    onStack[root] = 1;
    while (dp >= 0) {
      const v = dfsV[dp] as number;
      const i = dfsI[dp] as number;
      if (i < 2) {
        dfsI[dp] = i + 1;
        const w = succ[2 * v + i] as number;
        if (w < 0 || w >= n) continue;
        if (pre[w] === 0) {
          pre[w] = low[w] = nextPre++;
          stack[sp++] = w;
          onStack[w] = 1;
          dp++;
          dfsV[dp] = w;
          dfsI[dp] = 0;
        } else if (onStack[w] === 1) {
          low[v] = Math.min(low[v] as number, pre[w] as number);
        }
        continue;
      }
      dp--;
      if (dp >= 0) {
        const parent = dfsV[dp] as number;
        low[parent] = Math.min(low[parent] as number, low[v] as number);
      }
      if (low[v] !== pre[v]) continue;
      const v0 = insns[v];
      const selfLoop = succ[2 * v] === v || succ[2 * v + 1] === v;
      const assign = stack[sp - 1] !== v || selfLoop || (callbackLoops && v0 !== undefined && isSyncCallbackCall(v0));
      let w: number;
      do {
        w = stack[--sp] as number;
        onStack[w] = 0;
        if (assign) scc[w] = nextScc;
      } while (w !== v);
      if (assign) nextScc++;
    }
  }
  return scc;
}

function anySyncCallbackCall(insns: readonly Insn[]): boolean {
  for (let pc = 0; pc < insns.length; pc++) if (isSyncCallbackCall(insns[pc] as Insn)) return true;
  return false;
}
