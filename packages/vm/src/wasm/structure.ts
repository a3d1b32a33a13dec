import { Term, type BasicBlock, type ProgramCfg } from './cfg.js';
import type { FunctionGraph } from './dominators.js';
import { Local } from './layout.js';
import { Op, Type } from './wasmOpcodes.js';
import type { WasmWriter } from './wasmWriter.js';

/** What the structuring passes ask of the instruction emitter, block by block. */
export interface BlockEmitter {
  /** The block's instructions up to (not including) its terminator, counting included; `depth` labels enclose it. */
  body(block: BasicBlock, depth: number): void;
  /** Pushes the i32 condition of the block's conditional jump (non-zero: taken). */
  cond(block: BasicBlock): void;
  /** `exit`: leaves the function with r0. */
  exit(block: BasicBlock): void;
  /** A fault that ends the run (`invalid-insn` at an instruction, `bad-jump` at a jump). */
  fault(code: 'invalid-insn' | 'bad-jump', pc: number): void;
}

const LOOP = 0;
const BLOCK = 1;
const IF = 2;

/**
 * Structured control flow for a reducible graph, after Norman Ramsey,
 * "Beyond Relooper" (ICFP 2022): walk the dominator tree; a node's children
 * that are merge points become `block`s wrapped around the node (the child
 * with the highest reverse-postorder number outermost), a loop header wraps
 * its subtree in `loop`, back edges are `br` to the loop, edges to merge
 * points `br` out of their block, and every other edge inlines its target's
 * subtree. Each block is emitted once.
 *
 * @example
 * if (g.reducible) emitStructured(w, cfg, g, emitter);
 */
export function emitStructured(w: WasmWriter, cfg: ProgramCfg, g: FunctionGraph, em: BlockEmitter): void {
  const ctx: number[] = [];
  const ctxNode: number[] = [];
  // Where each node's open loop / block sits in ctx (-1: not open): a node has at most one of each.
  const loopAt = new Int32Array(g.blocks.length).fill(-1);
  const blockAt = new Int32Array(g.blocks.length).fill(-1);
  const depth = (kind: number, node: number): number => {
    const at = (kind === LOOP ? loopAt : blockAt)[node] ?? -1;
    if (at < 0) throw new Error(`structure: no enclosing ${kind === LOOP ? 'loop' : 'block'} for node ${node}`);
    return ctx.length - 1 - at;
  };
  const blockOf = (x: number): BasicBlock => {
    const b = cfg.blocks[g.blocks[x] ?? -1];
    if (b === undefined) throw new Error(`structure: node ${x} has no block`);
    return b;
  };
  const nodeOfBlock = (b: number): number => g.nodeOf.get(b) ?? -1;
  /** Whether the edge x→y is a `br` (back edge or edge to a merge point) rather than inlined. */
  const isBr = (x: number, y: number): boolean => y <= x || g.merge[y] === 1;
  const brDepth = (x: number, y: number): number => (y <= x ? depth(LOOP, y) : depth(BLOCK, y));

  // The walk is iterative (an explicit task stack), so a dominator tree as deep as the
  // program is long needs no host recursion. Tasks run in the order the recursive
  // formulation would emit them.
  const tasks: Task[] = [{ k: 'tree', x: 0 }];
  const open = (op: number, kind: number, node: number): void => {
    w.byte(op).byte(Type.void);
    if (kind === LOOP) loopAt[node] = ctx.length;
    else if (kind === BLOCK) blockAt[node] = ctx.length;
    ctx.push(kind);
    ctxNode.push(node);
  };
  /** Queues the edge x→block: a `br`, a fault for no target, or the target's subtree inline. */
  const branch = (x: number, block: number, faultPc: number): void => {
    tasks.push({ k: 'branch', x, block, faultPc });
  };

  const terminator = (x: number): void => {
    const b = blockOf(x);
    switch (b.term) {
      case Term.exit:
        em.exit(b);
        return;
      case Term.invalid:
        em.fault('invalid-insn', b.last);
        return;
      case Term.badTarget:
        em.fault('bad-jump', b.last);
        return;
      case Term.jump:
        branch(x, b.taken, b.last);
        return;
      case Term.fall:
        branch(x, b.fall, b.end);
        return;
      default: {
        em.cond(b);
        if (b.taken === b.fall && b.taken >= 0) {
          w.byte(Op.drop);
          branch(x, b.taken, b.end);
          return;
        }
        const t = b.taken >= 0 ? nodeOfBlock(b.taken) : -1;
        const f = b.fall >= 0 ? nodeOfBlock(b.fall) : -1;
        if (t >= 0 && isBr(x, t)) {
          w.byte(Op.brIf).u32(brDepth(x, t));
          branch(x, b.fall, b.end);
        } else if (f >= 0 && isBr(x, f)) {
          w.byte(Op.i32Eqz);
          w.byte(Op.brIf).u32(brDepth(x, f));
          branch(x, b.taken, b.last);
        } else {
          open(Op.if, IF, -1);
          // Run order: taken edge, else, fall-through edge, end.
          tasks.push({ k: 'end' });
          branch(x, b.fall, b.end);
          tasks.push({ k: 'else' });
          branch(x, b.taken, b.last);
        }
      }
    }
  };

  for (let task = tasks.pop(); task !== undefined; task = tasks.pop()) {
    switch (task.k) {
      case 'tree': {
        const x = task.x;
        const kids = (g.children[x] ?? []).filter((c) => g.merge[c] === 1).sort((a, b) => b - a);
        if (g.loopHeader[x] === 1) {
          open(Op.loop, LOOP, x);
          tasks.push({ k: 'end' });
        }
        tasks.push({ k: 'within', x, kids, i: 0 });
        break;
      }
      case 'within': {
        const { x, kids, i } = task;
        const y = kids[i];
        if (y === undefined) {
          em.body(blockOf(x), ctx.length);
          terminator(x);
          break;
        }
        // A block around the rest of x's code; the merge child y follows it.
        open(Op.block, BLOCK, y);
        tasks.push({ k: 'tree', x: y }, { k: 'end' }, { k: 'within', x, kids, i: i + 1 });
        break;
      }
      case 'end': {
        const kind = ctx.pop();
        const node = ctxNode.pop() ?? -1;
        if (kind === LOOP) loopAt[node] = -1;
        else if (kind === BLOCK) blockAt[node] = -1;
        w.byte(Op.end);
        break;
      }
      case 'else':
        w.byte(Op.else);
        break;
      case 'branch': {
        const { x, block, faultPc } = task;
        if (block < 0) {
          em.fault('bad-jump', faultPc);
          break;
        }
        const y = nodeOfBlock(block);
        if (y <= x) w.byte(Op.br).u32(depth(LOOP, y));
        else if (g.merge[y] === 1) w.byte(Op.br).u32(depth(BLOCK, y));
        else tasks.push({ k: 'tree', x: y });
        break;
      }
    }
  }
}

type Task =
  | { readonly k: 'tree'; readonly x: number }
  | { readonly k: 'within'; readonly x: number; readonly kids: readonly number[]; readonly i: number }
  | { readonly k: 'end' }
  | { readonly k: 'else' }
  | { readonly k: 'branch'; readonly x: number; readonly block: number; readonly faultPc: number };

/**
 * Any control flow, reducible or not: a `loop` around a `br_table` over the
 * blocks, with the next block's number in a local. Slower than structured
 * code (an indirect branch per block), so only for graphs the structured
 * pass cannot take.
 *
 * @example
 * if (!g.reducible) emitDispatcher(w, cfg, g, emitter);
 */
export function emitDispatcher(w: WasmWriter, cfg: ProgramCfg, g: FunctionGraph, em: BlockEmitter): void {
  const k = g.blocks.length;
  w.byte(Op.i32Const).s32(0);
  w.byte(Op.localSet).u32(Local.next);
  w.byte(Op.loop).byte(Type.void);
  for (let i = 0; i < k; i++) w.byte(Op.block).byte(Type.void);
  w.byte(Op.localGet).u32(Local.next);
  w.byte(Op.brTable).u32(k);
  for (let i = 0; i < k; i++) w.u32(i);
  w.u32(0);
  w.byte(Op.end);
  for (let i = 0; i < k; i++) {
    const b = cfg.blocks[g.blocks[i] ?? -1];
    if (b === undefined) throw new Error(`dispatcher: node ${i} has no block`);
    const toLoop = k - 1 - i;
    const goTo = (block: number, faultPc: number, extra: number): void => {
      const y = block >= 0 ? (g.nodeOf.get(block) ?? -1) : -1;
      if (y < 0) {
        em.fault('bad-jump', faultPc);
        return;
      }
      w.byte(Op.i32Const).s32(y);
      w.byte(Op.localSet).u32(Local.next);
      w.byte(Op.br).u32(toLoop + extra);
    };
    em.body(b, toLoop + 1);
    switch (b.term) {
      case Term.exit:
        em.exit(b);
        break;
      case Term.invalid:
        em.fault('invalid-insn', b.last);
        break;
      case Term.badTarget:
        em.fault('bad-jump', b.last);
        break;
      case Term.jump:
        goTo(b.taken, b.last, 0);
        break;
      case Term.fall:
        goTo(b.fall, b.end, 0);
        break;
      default:
        em.cond(b);
        w.byte(Op.if).byte(Type.void);
        goTo(b.taken, b.last, 1);
        w.byte(Op.else);
        goTo(b.fall, b.end, 1);
        w.byte(Op.end);
    }
    if (i < k - 1) w.byte(Op.end);
  }
  w.byte(Op.end);
}
