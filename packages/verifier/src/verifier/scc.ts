import type { Insn } from '@bpfkit/asm';
import { isSyncCallbackCall } from './insns.js';
import { successors } from './liveness.js';

/**
 * `compute_scc`: strongly connected components of the instruction graph (Tarjan's algorithm,
 * roots taken in instruction order, successors fall-through first). A component of two or more
 * instructions, one that jumps to itself, or a call of a helper that calls back (an implicit loop)
 * gets a number from 1 in the order the components complete; every other instruction gets 0.
 */
export function computeScc(insns: readonly Insn[]): Uint32Array {
  const n = insns.length;
  const scc = new Uint32Array(n);
  const pre = new Int32Array(n);
  const low = new Int32Array(n);
  const onStack = new Uint8Array(n);
  const stack: number[] = [];
  let nextPre = 1;
  let nextScc = 1;
  for (let root = 0; root < n; root++) {
    if (pre[root] !== 0) continue;
    // Each frame: an instruction and how many of its successors were looked at.
    const dfs: [number, number][] = [[root, 0]];
    pre[root] = low[root] = nextPre++;
    stack.push(root);
    onStack[root] = 1;
    while (dfs.length > 0) {
      const frame = dfs[dfs.length - 1];
      if (frame === undefined) break;
      const [v, i] = frame;
      const succ = successors(insns, v);
      if (i < succ.length) {
        frame[1]++;
        const w = succ[i] ?? -1;
        if (w < 0 || w >= n) continue;
        if (pre[w] === 0) {
          pre[w] = low[w] = nextPre++;
          stack.push(w);
          onStack[w] = 1;
          dfs.push([w, 0]);
        } else if (onStack[w] === 1) {
          low[v] = Math.min(low[v] ?? 0, pre[w] ?? 0);
        }
        continue;
      }
      dfs.pop();
      const parent = dfs[dfs.length - 1];
      if (parent !== undefined) low[parent[0]] = Math.min(low[parent[0]] ?? 0, low[v] ?? 0);
      if (low[v] !== pre[v]) continue;
      const v0 = insns[v];
      const assign = stack[stack.length - 1] !== v || succ.includes(v) || (v0 !== undefined && isSyncCallbackCall(v0));
      let w: number | undefined;
      do {
        w = stack.pop();
        if (w === undefined) break;
        onStack[w] = 0;
        if (assign) scc[w] = nextScc;
      } while (w !== v);
      if (assign) nextScc++;
    }
  }
  return scc;
}
