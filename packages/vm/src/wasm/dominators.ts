import { successors, type ProgramCfg } from './cfg.js';

/**
 * One subprogram's control-flow graph in reverse postorder: node 0 is the
 * entry, and every forward edge goes from a lower to a higher node number.
 */
export interface FunctionGraph {
  /** Block index (in {@link ProgramCfg.blocks}) of each node. */
  readonly blocks: readonly number[];
  /** Node number of a block, -1 when the block is not in this function. */
  readonly nodeOf: ReadonlyMap<number, number>;
  readonly succs: readonly (readonly number[])[];
  /** Immediate dominator of each node (the entry's is itself). */
  readonly idom: Int32Array;
  /** Children in the dominator tree, ascending node numbers. */
  readonly children: readonly (readonly number[])[];
  /** Nodes with at least two distinct forward predecessors: where blocks end. */
  readonly merge: Uint8Array;
  /** Nodes that a back edge targets: where loops start. */
  readonly loopHeader: Uint8Array;
  /** True when every back edge goes to a node that dominates its source. */
  readonly reducible: boolean;
}

/**
 * The blocks reachable from `entryBlock` without following calls, ordered,
 * with dominators (Cooper, Harvey and Kennedy, "A Simple, Fast Dominance
 * Algorithm") and the facts the structuring pass needs.
 *
 * @example
 * const g = functionGraph(cfg, cfg.blockAt[0]);
 * g.reducible; // true for anything clang emits
 */
export function functionGraph(cfg: ProgramCfg, entryBlock: number): FunctionGraph {
  // Iterative depth-first search for the postorder.
  const post: number[] = [];
  const seen = new Set<number>([entryBlock]);
  const stack: { block: number; succ: number[]; i: number }[] = [{ block: entryBlock, succ: blockSuccs(cfg, entryBlock), i: 0 }];
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    if (top === undefined) break;
    const next = top.succ[top.i++];
    if (next === undefined) {
      post.push(top.block);
      stack.pop();
    } else if (!seen.has(next)) {
      seen.add(next);
      stack.push({ block: next, succ: blockSuccs(cfg, next), i: 0 });
    }
  }
  const blocks = post.reverse();
  const nodeOf = new Map<number, number>();
  blocks.forEach((b, i) => nodeOf.set(b, i));
  const m = blocks.length;
  const succs = blocks.map((b) => blockSuccs(cfg, b).map((t) => nodeOf.get(t) ?? -1));
  const preds: number[][] = blocks.map(() => []);
  succs.forEach((ss, u) => {
    for (const v of ss) preds[v]?.push(u);
  });

  const idom = new Int32Array(m).fill(-1);
  idom[0] = 0;
  const intersect = (a: number, b: number): number => {
    let x = a;
    let y = b;
    while (x !== y) {
      while (x > y) x = idom[x] ?? 0;
      while (y > x) y = idom[y] ?? 0;
    }
    return x;
  };
  for (let changed = true; changed; ) {
    changed = false;
    for (let v = 1; v < m; v++) {
      let d = -1;
      for (const p of preds[v] ?? []) {
        if (idom[p] === -1) continue;
        d = d === -1 ? p : intersect(p, d);
      }
      if (d !== idom[v]) {
        idom[v] = d;
        changed = true;
      }
    }
  }

  const dominates = (a: number, b: number): boolean => {
    let x = b;
    for (;;) {
      if (x === a) return true;
      if (x === 0) return false;
      x = idom[x] ?? 0;
    }
  };
  const children: number[][] = blocks.map(() => []);
  for (let v = 1; v < m; v++) children[idom[v] ?? 0]?.push(v);
  const merge = new Uint8Array(m);
  const loopHeader = new Uint8Array(m);
  let reducible = true;
  for (let v = 0; v < m; v++) {
    let forward = 0;
    for (const p of preds[v] ?? []) {
      if (p < v) forward++;
      else {
        loopHeader[v] = 1;
        if (!dominates(v, p)) reducible = false;
      }
    }
    if (forward >= 2) merge[v] = 1;
  }
  return { blocks, nodeOf, succs, idom, children, merge, loopHeader, reducible };
}

function blockSuccs(cfg: ProgramCfg, b: number): number[] {
  const block = cfg.blocks[b];
  return block === undefined ? [] : successors(block);
}
