import { ARENA_GUARD_BYTES, type ProgramImage } from '@bpfkit/kernel-api';
import { buildCfg, type BasicBlock, type ProgramCfg } from './cfg.js';
import { functionGraph } from './dominators.js';
import type { CallSite, EmitContext } from './emitContext.js';
import { emitCount, emitFault, emitFaultAt, emitMemoryFaultPath, emitPrologue, emitReturn } from './emitFrame.js';
import { emitCond, emitInsn } from './emitInsn.js';
import { nextPc } from './flow.js';
import { FaultCode, Global, SCRATCH_BYTES, I32_LOCALS, I64_LOCALS, IMPORTED_FUNCS } from './layout.js';
import { decodeSlots, type Slots } from './slots.js';
import { emitDispatcher, emitStructured, type BlockEmitter } from './structure.js';
import { ExternKind, Op, Section, Type } from './wasmOpcodes.js';
import { WasmWriter } from './wasmWriter.js';

/** How the JIT lays out control flow. */
export type ControlFlowMode = 'auto' | 'dispatcher';

/** Options of {@link compileModule}. */
export interface CompileOptions {
  /** Count instructions against a limit per block (the variant runs with `insnLimit` use). */
  readonly limitMode: boolean;
  /** `auto`: structured code for reducible subprograms, the dispatcher for the rest; `dispatcher`: always the dispatcher. */
  readonly controlFlow: ControlFlowMode;
}

/** A compiled program: the module's bytes and what the runtime needs to serve its imports. */
export interface CompiledModule {
  readonly bytes: Uint8Array;
  readonly slots: Slots;
  readonly cfg: ProgramCfg;
  readonly sites: readonly CallSite[];
  /** Export name of each callback entry (by slot). */
  readonly callbacks: ReadonlyMap<number, string>;
  /** How each subprogram was laid out, by entry slot. */
  readonly layout: ReadonlyMap<number, 'structured' | 'dispatcher'>;
  readonly verified: boolean;
  /**
   * Per slot, the instructions of its block that follow it: a block's count
   * is added when it starts, so a fault at `pc` subtracts these.
   */
  readonly restAfter: Int32Array;
}

// Function types, by index.
const T_FAULT = 0;
const T_HELPER = 1;
const T_HELPERX = 2;
const T_CHECK = 3;
const T_LOADSKB = 4;
const T_LIMIT = 5;
const T_VOID = 6;
const T_ENTER = 7;
const T_BPF = 8;
const T_CALLBACK = 9;
const T_COUNT = 10;
const T_SETCOUNT = 11;

const F_REFRESH = IMPORTED_FUNCS;
const F_ENTER = IMPORTED_FUNCS + 1;
const F_COUNT = IMPORTED_FUNCS + 2;
const F_SETCOUNT = IMPORTED_FUNCS + 3;
const F_FIRST_BPF = IMPORTED_FUNCS + 4;

function funcType(params: readonly number[], results: readonly number[]): Uint8Array {
  const w = new WasmWriter().byte(Type.func).u32(params.length);
  for (const p of params) w.byte(p);
  w.u32(results.length);
  for (const r of results) w.byte(r);
  return w.finish().slice();
}

function section(out: WasmWriter, id: number, body: WasmWriter): void {
  const bytes = body.finish();
  out.byte(id).u32(bytes.length).append(bytes);
}

function body(locals: readonly (readonly [number, number])[], code: WasmWriter): Uint8Array {
  const w = new WasmWriter().u32(locals.length);
  for (const [count, type] of locals) w.u32(count).byte(type);
  w.append(code);
  const inner = w.finish();
  return new WasmWriter().u32(inner.length).append(inner).finish().slice();
}

function importEntry(w: WasmWriter, field: string, kind: number, desc: readonly number[]): void {
  w.name('env').name(field).byte(kind);
  for (const d of desc) w.u32(d);
}

function refreshBody(): Uint8Array {
  const c = new WasmWriter();
  c.bytes(Op.memorySize, 0, Op.i64ExtendI32U);
  c.byte(Op.i64Const).s64(16n).byte(Op.i64Shl).byte(Op.localSet).u32(0);
  const lims: readonly (readonly [number, number])[] = [
    [1, Global.lim1],
    [2, Global.lim2],
    [4, Global.lim4],
    [8, Global.lim8],
  ];
  for (const [size, g] of lims) {
    c.byte(Op.localGet).u32(0).byte(Op.i64Const).s64(BigInt(ARENA_GUARD_BYTES + size)).byte(Op.i64Sub);
    c.byte(Op.globalSet).u32(g);
  }
  c.byte(Op.end);
  return body([[1, Type.i64]], c);
}

function enterBody(sharedRegs: boolean): Uint8Array {
  const c = new WasmWriter();
  c.byte(Op.localGet).u32(2).byte(Op.globalSet).u32(Global.sp);
  c.byte(Op.localGet).u32(3).byte(Op.prefixFc).u32(7).byte(Op.globalSet).u32(Global.limit);
  c.byte(Op.i64Const).s64(0n).byte(Op.globalSet).u32(Global.count);
  c.byte(Op.localGet).u32(0).byte(Op.prefixFc).u32(6);
  c.byte(Op.localGet).u32(1).byte(Op.prefixFc).u32(6);
  for (let i = 0; i < (sharedRegs ? 8 : 3); i++) c.byte(Op.i64Const).s64(0n);
  c.byte(Op.call).u32(F_FIRST_BPF);
  if (sharedRegs) for (let i = 0; i < 5; i++) c.byte(Op.drop);
  // The count goes out through memory: reading it back costs no second call into the module.
  c.byte(Op.globalGet).u32(Global.scratch).byte(Op.globalGet).u32(Global.count).byte(Op.f64ConvertI64U).byte(Op.f64Store).u32(0).u32(SCRATCH_BYTES);
  c.byte(Op.end);
  return body([], c);
}

function countBody(): Uint8Array {
  const c = new WasmWriter();
  c.byte(Op.globalGet).u32(Global.count).byte(Op.f64ConvertI64U).byte(Op.end);
  return body([], c);
}

function setCountBody(): Uint8Array {
  const c = new WasmWriter();
  c.byte(Op.localGet).u32(0).byte(Op.prefixFc).u32(7).byte(Op.globalSet).u32(Global.count);
  c.byte(Op.localGet).u32(1).byte(Op.prefixFc).u32(7).byte(Op.globalSet).u32(Global.limit).byte(Op.end);
  return body([], c);
}

function callbackBody(fn: number, sharedRegs: boolean): Uint8Array {
  const c = new WasmWriter();
  for (let r = 1; r <= 5; r++) c.byte(Op.globalGet).u32(Global.scratch).byte(Op.i64Load).u32(0).u32(r * 8);
  if (sharedRegs) for (let i = 0; i < 5; i++) c.byte(Op.i64Const).s64(0n);
  c.byte(Op.call).u32(fn);
  if (sharedRegs) for (let i = 0; i < 5; i++) c.byte(Op.drop);
  c.byte(Op.end);
  return body([], c);
}

function blockEmitter(cx: EmitContext): BlockEmitter {
  return {
    body(b: BasicBlock, depth: number) {
      cx.depth = depth;
      emitCount(cx, b.start, b.insnCount);
      const stop = b.term === 3 ? b.end : b.last;
      for (let pc = b.start; pc < stop; pc = nextPc(cx.s, pc)) emitInsn(cx, pc);
    },
    cond(b: BasicBlock) {
      emitCond(cx, b.last);
    },
    exit() {
      emitReturn(cx);
    },
    fault(code, pc) {
      emitFaultAt(cx, code === 'bad-jump' ? FaultCode.badJump : FaultCode.invalidInsn, pc);
    },
  };
}

function bpfFunctionBody(
  base: Omit<EmitContext, 'w' | 'depth'>,
  cfg: ProgramCfg,
  entry: number,
  mode: ControlFlowMode,
): { code: Uint8Array; layout: 'structured' | 'dispatcher' } {
  const entryBlock = cfg.blockAt[entry] ?? -1;
  if (entryBlock < 0) {
    // No instruction at the entry (an empty program): it falls off its end at once.
    const w = new WasmWriter();
    emitFault(w, FaultCode.badJump, entry);
    w.byte(Op.end);
    return { code: body([], w), layout: 'structured' };
  }
  const g = functionGraph(cfg, entryBlock);
  const attempt = (structured: boolean): Uint8Array => {
    const w = new WasmWriter();
    const cx: EmitContext = { ...base, w, depth: 0 };
    emitPrologue(cx);
    const em = blockEmitter(cx);
    w.byte(Op.block).byte(Type.void);
    if (structured) emitStructured(w, cfg, g, em);
    else emitDispatcher(w, cfg, g, em);
    w.byte(Op.unreachable).byte(Op.end);
    emitMemoryFaultPath(cx);
    w.byte(Op.end);
    return body(
      [
        // Unverified images take r0 and r6–r9 as parameters too.
        [base.verified ? I64_LOCALS : I64_LOCALS - 5, Type.i64],
        [I32_LOCALS, Type.i32],
      ],
      w,
    );
  };
  if (mode === 'auto' && g.reducible) {
    try {
      return { code: attempt(true), layout: 'structured' };
    } catch (e) {
      // A dominator tree deeper than the JS stack: the dispatcher needs no recursion.
      if (!(e instanceof RangeError)) throw e;
    }
  }
  return { code: attempt(false), layout: 'dispatcher' };
}

/** The magic, version, type and import sections: the same for every image (two variants, by `verified`). */
const headers: [Uint8Array | undefined, Uint8Array | undefined] = [undefined, undefined];
function header(verified: boolean): Uint8Array {
  const have = headers[verified ? 1 : 0];
  if (have !== undefined) return have;
  const types = [
    funcType([Type.i32, Type.i32, Type.i32, Type.i32, Type.i32], []),
    funcType([Type.i32], [Type.i32]),
    funcType([Type.i32, Type.i32], [Type.i32]),
    funcType([Type.i32, Type.i32, Type.i32], [Type.i32]),
    funcType([Type.i32, Type.i32, Type.i32], [Type.i32]),
    funcType([Type.i32, Type.i32], []),
    funcType([], []),
    funcType([Type.f64, Type.f64, Type.i32, Type.f64], [Type.i64]),
    verified ? funcType(Array<number>(5).fill(Type.i64), [Type.i64]) : funcType(Array<number>(10).fill(Type.i64), Array<number>(6).fill(Type.i64)),
    funcType([], [Type.i64]),
    funcType([], [Type.f64]),
    funcType([Type.f64, Type.f64], []),
  ];
  const out = new WasmWriter().bytes(0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00);
  section(out, Section.type, new WasmWriter().vec(types));

  const imports = new WasmWriter().u32(IMPORTED_FUNCS + 2);
  importEntry(imports, 'fault', ExternKind.func, [T_FAULT]);
  importEntry(imports, 'helper', ExternKind.func, [T_HELPER]);
  importEntry(imports, 'helperX', ExternKind.func, [T_HELPERX]);
  importEntry(imports, 'check', ExternKind.func, [T_CHECK]);
  importEntry(imports, 'loadSkb', ExternKind.func, [T_LOADSKB]);
  importEntry(imports, 'limit', ExternKind.func, [T_LIMIT]);
  importEntry(imports, 'memory', ExternKind.memory, [0, 0]);
  imports.name('env').name('scratch').byte(ExternKind.global).byte(Type.i32).byte(0);
  section(out, Section.import, imports);
  const bytes = out.finish().slice();
  headers[verified ? 1 : 0] = bytes;
  return bytes;
}

/**
 * Compiles a program image into a WebAssembly module: one function per
 * subprogram (r1–r5 parameters, r0 the result, the other registers locals),
 * plus `enter` (runs the main program), `count`/`setCount` (the instruction
 * counter and limit) and one `cb<slot>` export per callback.
 *
 * @example
 * const m = compileModule(image, { limitMode: false, controlFlow: 'auto' });
 * new WebAssembly.Module(m.bytes);
 */
export function compileModule(image: ProgramImage, options: CompileOptions): CompiledModule {
  const s = decodeSlots(image.insns, image.verified);
  const cfg = buildCfg(s, image.kfuncs);
  const funcIndex = new Map<number, number>();
  cfg.entries.forEach((e, i) => funcIndex.set(e, F_FIRST_BPF + i));
  const sites: CallSite[] = [];
  const base = { s, verified: image.verified, limitMode: options.limitMode, funcIndex, sites, kfuncs: image.kfuncs };

  const out = new WasmWriter().append(header(image.verified));

  const bpfBodies: Uint8Array[] = [];
  const layout = new Map<number, 'structured' | 'dispatcher'>();
  for (const entry of cfg.entries) {
    const f = bpfFunctionBody(base, cfg, entry, options.controlFlow);
    bpfBodies.push(f.code);
    layout.set(entry, f.layout);
  }
  const callbacks = new Map<number, string>();
  const cbBodies: Uint8Array[] = [];
  // Every subprogram can be called back (the interpreter accepts any subprogram start too).
  for (const entry of cfg.entries) {
    callbacks.set(entry, `cb${entry}`);
    cbBodies.push(callbackBody(funcIndex.get(entry) ?? F_FIRST_BPF, !image.verified));
  }

  const fsec = new WasmWriter().u32(4 + bpfBodies.length + cbBodies.length);
  fsec.u32(T_VOID).u32(T_ENTER).u32(T_COUNT).u32(T_SETCOUNT);
  for (let i = 0; i < bpfBodies.length; i++) fsec.u32(T_BPF);
  for (let i = 0; i < cbBodies.length; i++) fsec.u32(T_CALLBACK);
  section(out, Section.function, fsec);

  const gsec = new WasmWriter().u32(8);
  gsec.bytes(Type.i32, 1, Op.i32Const, 0, Op.end); // stackLow
  gsec.bytes(Type.i32, 1, Op.i32Const, 0, Op.end); // sp
  for (let i = 0; i < 2; i++) gsec.bytes(Type.i64, 1, Op.i64Const, 0, Op.end); // count, limit
  for (let i = 0; i < 4; i++) gsec.bytes(Type.i64, 1, Op.i64Const, 0, Op.end); // lim1..lim8
  section(out, Section.global, gsec);

  const esec = new WasmWriter().u32(6 + cbBodies.length);
  esec.name('refresh').byte(ExternKind.func).u32(F_REFRESH);
  esec.name('enter').byte(ExternKind.func).u32(F_ENTER);
  esec.name('count').byte(ExternKind.func).u32(F_COUNT);
  esec.name('setCount').byte(ExternKind.func).u32(F_SETCOUNT);
  esec.name('sp').byte(ExternKind.global).u32(Global.sp);
  esec.name('stackLow').byte(ExternKind.global).u32(Global.stackLow);
  cfg.entries.forEach((entry, i) => {
    esec.name(`cb${entry}`).byte(ExternKind.func).u32(F_FIRST_BPF + bpfBodies.length + i);
  });
  section(out, Section.export, esec);

  const csec = new WasmWriter().u32(4 + bpfBodies.length + cbBodies.length);
  csec.append(refreshBody()).append(enterBody(!image.verified)).append(countBody()).append(setCountBody());
  for (const b of bpfBodies) csec.append(b);
  for (const b of cbBodies) csec.append(b);
  section(out, Section.code, csec);

  const restAfter = new Int32Array(s.n + 1);
  for (const b of cfg.blocks) {
    let left = b.insnCount;
    for (let pc = b.start; pc < b.end; pc = nextPc(s, pc)) restAfter[pc] = --left;
  }
  // Falling off the end counts one more, as the interpreter counts the slot past the end.
  restAfter[s.n] = -1;
  return { bytes: out.finish().slice(), slots: s, cfg, sites, callbacks, layout, verified: image.verified, restAfter };
}

