import type {
  HelperCall,
  HelperDescriptor,
  HelperEnv,
  HelperRegistry,
  ProgramImage,
  ProgramServices,
  RunArgs,
  RunEnv,
  RunnableProgram,
  RunOutcome,
  VmArena,
  VmFault,
  VmFaultKind,
} from '@bpfkit/kernel-api';
import type { CompiledModule } from './compileModule.js';
import { nextPc } from './flow.js';
import { FRAME_BYTES, MAX_CALL_FRAMES, MAX_TAIL_CALL_CNT, SCRATCH_BYTES } from './layout.js';
import { VmFaultSignal, vmFault } from './signals.js';
import type { WasmApi, WasmGlobal, WasmModule } from './webassembly.js';

const KIND_BY_CODE: readonly VmFaultKind[] = ['memory', 'invalid-insn', 'bad-jump', 'insn-limit', 'call-depth', 'helper'];
const TWO_32 = 0x1_0000_0000;

// Runs are synchronous and may nest (a tail call runs the target inside the
// caller's helper call), so the tail-call chain is counted here, per outermost run.
let runNesting = 0;
let tailCallsInChain = 0;

interface Exports {
  enter(r1: number, r2: number, sp0: number, limit: number): bigint;
  count(): number;
  setCount(n: number, limit: number): void;
  refresh(): void;
  sp: WasmGlobal;
  stackLow: WasmGlobal;
}

function isRunnable(target: unknown): target is RunnableProgram {
  return typeof target === 'object' && target !== null && typeof (target as { loaded?: { run?: unknown } }).loaded?.run === 'function';
}

function hex(addr: number): string {
  return `0x${addr.toString(16)}`;
}

/** A mutable {@link HelperEnv}: one per instance, its fields set per run (no object per run or call). */
class RunHelperEnv implements HelperEnv {
  cpu = 0;
  progType: number;
  services: ProgramServices;
  constructor(
    readonly arena: VmArena,
    private readonly rt: WasmProgramInstance,
    readonly image: ProgramImage,
    services: ProgramServices,
  ) {
    this.progType = image.progType;
    this.services = services;
  }
  callback(fn: number, a1: number, a2: number, a3: number, a4: number, a5: number): bigint {
    return this.rt.callback(fn, a1, a2, a3, a4, a5);
  }
  tailCall(mapAddr: number, index: number): boolean {
    return this.rt.tailCall(mapAddr, index);
  }
  fault(message: string): never {
    throw new VmFaultSignal(vmFault('helper', this.rt.currentPc, message));
  }
}

/**
 * A compiled program bound to one arena: the Wasm instance, its stack and
 * helper-call area in that arena, and the imports that serve its helpers,
 * faults and memory checks.
 */
export class WasmProgramInstance {
  readonly #compiled: CompiledModule;
  readonly #arena: VmArena;
  readonly #api: WasmApi;
  readonly #area: number;
  readonly #scratch: number;
  readonly #stackTop: number;
  readonly #stackLow: number;
  /** Stack areas of runs inside a run of this program (tail calls, helpers running it again), by nesting level. */
  readonly #innerAreas: number[] = [];
  readonly #exports: Exports;
  readonly #callbacks = new Map<number, () => bigint>();
  readonly #henv: RunHelperEnv;
  readonly #calls: HelperCall[] = [];
  #callDepth = 0;
  #u32: Uint32Array;
  #f64: Float64Array;
  #registry: HelperRegistry | undefined;
  #resolved: (HelperDescriptor | undefined)[] = [];
  #env: RunEnv | undefined;
  #active = 0;
  #tailDone = false;
  #tailR0 = 0n;
  #limit = Infinity;
  /** Slot of the helper call under way (for `HelperEnv.fault`). */
  currentPc = 0;

  constructor(compiled: CompiledModule, module: WasmModule, arena: VmArena, api: WasmApi, image: ProgramImage, services: ProgramServices) {
    this.#compiled = compiled;
    this.#arena = arena;
    this.#api = api;
    this.#area = arena.alloc(64 + MAX_CALL_FRAMES * FRAME_BYTES, 64);
    this.#scratch = this.#area;
    this.#stackTop = this.#area + 64 + MAX_CALL_FRAMES * FRAME_BYTES;
    // A frame may call while the callee's frame still fits above the area's base.
    this.#stackLow = this.#area + 64 + 2 * FRAME_BYTES;
    this.#u32 = new Uint32Array(arena.bytes.buffer);
    this.#f64 = new Float64Array(arena.bytes.buffer);
    this.#henv = new RunHelperEnv(arena, this, image, services);
    const instance = new api.Instance(module, {
      env: {
        memory: arena.wasmMemory,
        scratch: this.#scratch,
        fault: (code: number, pc: number, lo: number, hi: number, size: number): never => this.#faultImport(code, pc, lo, hi, size),
        helper: (site: number): number => this.#helperImport(site),
        helperX: (site: number, id: number): number => this.#helperXImport(site, id),
        check: (lo: number, hi: number, size: number): number => (hi !== 0 || !this.#arena.contains(lo >>> 0, size) ? 1 : 0),
        loadSkb: (offset: number, size: number, pc: number): number => this.#loadSkbImport(offset, size, pc),
        limit: (startPc: number, insns: number): never => this.#limitImport(startPc, insns),
      },
    });
    this.#exports = instance.exports as unknown as Exports;
    this.#exports.refresh();
    this.#exports.stackLow.value = this.#stackLow;
    for (const [pc, name] of compiled.callbacks) {
      const f = instance.exports[name];
      if (typeof f === 'function') this.#callbacks.set(pc, f as () => bigint);
    }
  }

  /** Frees the stack and helper area. */
  release(): void {
    this.#arena.free(this.#area);
    for (const area of this.#innerAreas) this.#arena.free(area);
    this.#innerAreas.length = 0;
  }

  /** Runs the program once; never throws for anything the program does. */
  run(args: RunArgs, env: RunEnv): RunOutcome {
    if (runNesting > 0) return this.#runNested(args, env);
    // The common case, kept lean: an outermost run, nothing to save.
    tailCallsInChain = 0;
    runNesting = 1;
    this.#active = 1;
    this.#env = env;
    this.#henv.cpu = env.cpu;
    this.#henv.services = env.services;
    const limit = env.insnLimit ?? Infinity;
    this.#limit = limit;
    if (env.helpers !== this.#registry) this.#resolve(env.helpers);
    this.#view();
    // An unverified program may read stack it never wrote: it reads zeroes, as on the interpreter.
    if (!this.#compiled.verified) this.#view().fill(0, this.#stackTop / 4 - (MAX_CALL_FRAMES * FRAME_BYTES) / 4, this.#stackTop / 4);
    try {
      const r0 = this.#enter(args, this.#stackTop + FRAME_BYTES, limit);
      return { kind: 'exit', r0: r0 < 0n ? BigInt.asUintN(64, r0) : r0, insnsExecuted: this.#countOut() };
    } catch (e) {
      return this.#faultOutcome(e);
    } finally {
      this.#active = 0;
      runNesting = 0;
    }
  }

  /**
   * Runs from the main program (`enter`), or from the subprogram `args.entry`
   * through its callback export, set up as `enter` sets up a run: the stack
   * pointer, a zero count under the limit, r1–r3 in the scratch area the
   * callback export reads its arguments from.
   */
  #enter(args: RunArgs, sp0: number, limit: number): bigint {
    const entry = args.entry ?? 0;
    if (entry === 0) return this.#exports.enter(args.r1, args.r2 ?? 0, sp0, limit);
    const f = this.#callbacks.get(entry);
    if (f === undefined) throw new VmFaultSignal(vmFault('bad-jump', entry, `entry ${entry} is not the start of a subprogram`));
    this.#exports.sp.value = sp0;
    this.#exports.setCount(0, limit);
    const u32 = this.#view();
    const b = this.#scratch >>> 2;
    const regs = [args.r1, args.r2 ?? 0, args.r3 ?? 0, 0, 0];
    for (let i = 0; i < 5; i++) {
      const v = regs[i] ?? 0;
      u32[b + 2 + 2 * i] = v >>> 0;
      u32[b + 3 + 2 * i] = Math.floor(v / TWO_32) >>> 0;
    }
    const r0 = f();
    this.#view();
    this.#f64[(this.#scratch + SCRATCH_BYTES) >>> 3] = this.#exports.count();
    return r0;
  }

  /** The count `enter` left after the scratch area (as an f64: one load). */
  #countOut(): number {
    this.#view();
    return this.#f64[(this.#scratch + SCRATCH_BYTES) >>> 3] ?? 0;
  }

  #faultOutcome(e: unknown): RunOutcome {
    const fault = this.#toFault(e);
    // The faulting block was counted whole: take back what it did not get to.
    const executed = e instanceof VmFaultSignal && e.executed !== undefined ? e.executed : this.#exports.count() - (this.#compiled.restAfter[fault.pc] ?? 0);
    return { kind: 'fault', fault, insnsExecuted: executed };
  }

  /** A run inside another (a tail call): state of the outer run is saved and restored around it. */
  #runNested(args: RunArgs, env: RunEnv): RunOutcome {
    const nested = this.#active > 0;
    // A run inside a run of this program gets a stack area of its own, so a chain of tail calls
    // (each target may call deeper than the frame it replaces, as in the kernel) never runs out of frames.
    let sp0 = this.#stackTop + FRAME_BYTES;
    let stackLow = this.#stackLow;
    if (nested) {
      const level = this.#active - 1;
      let area = this.#innerAreas[level];
      if (area === undefined) {
        area = this.#arena.alloc(MAX_CALL_FRAMES * FRAME_BYTES, 64);
        this.#innerAreas[level] = area;
      }
      if (!this.#compiled.verified) this.#view().fill(0, area / 4, (area + MAX_CALL_FRAMES * FRAME_BYTES) / 4);
      sp0 = area + MAX_CALL_FRAMES * FRAME_BYTES + FRAME_BYTES;
      stackLow = area + 2 * FRAME_BYTES;
    }
    const prevEnv = this.#env;
    const prevCpu = this.#henv.cpu;
    const prevServices = this.#henv.services;
    const prevLimit = this.#limit;
    const savedCount = nested ? this.#exports.count() : 0;
    const savedSp = this.#exports.sp.value;
    const savedLow = this.#exports.stackLow.value;
    this.#exports.stackLow.value = stackLow;
    runNesting++;
    this.#active++;
    this.#env = env;
    this.#henv.cpu = env.cpu;
    this.#henv.services = env.services;
    this.#limit = env.insnLimit ?? Infinity;
    if (env.helpers !== this.#registry) this.#resolve(env.helpers);
    this.#view();
    try {
      const r0 = this.#enter(args, sp0, this.#limit);
      return { kind: 'exit', r0: BigInt.asUintN(64, r0), insnsExecuted: this.#countOut() };
    } catch (e) {
      return this.#faultOutcome(e);
    } finally {
      this.#active--;
      runNesting--;
      this.#env = prevEnv;
      this.#henv.cpu = prevCpu;
      this.#henv.services = prevServices;
      this.#limit = prevLimit;
      if (nested) {
        this.#exports.setCount(savedCount, prevLimit);
        // The frames of the inner run are gone, whether it exited or faulted.
        this.#exports.sp.value = savedSp;
        this.#exports.stackLow.value = savedLow;
      }
    }
  }

  #toFault(e: unknown): VmFault {
    if (e instanceof VmFaultSignal) return e.fault;
    if (e instanceof this.#api.RuntimeError) {
      // Traps the code does not expect (a verified program outside the arena's end, past the checks).
      const kind: VmFaultKind = /memory|bounds/i.test(e.message) ? 'memory' : 'invalid-insn';
      return vmFault(kind, this.currentPc, `WebAssembly trap: ${e.message}`);
    }
    if (e instanceof RangeError) return vmFault('call-depth', this.currentPc, `host stack exhausted: ${e.message}`);
    throw e;
  }

  #resolve(registry: HelperRegistry): void {
    this.#registry = registry;
    this.#resolved = this.#compiled.sites.map((site) => {
      if (site.kind === 'helper') return registry.get(site.id);
      if (site.kind === 'kfunc') return site.name === undefined ? undefined : registry.kfunc(site.name);
      return undefined;
    });
  }

  /**
   * The views over the arena. Only the arena grows the memory, and growing a
   * `WebAssembly.Memory` detaches its old buffer, so a view that reads as
   * empty means the arena grew: the views are made again and the module's
   * bounds checks follow (a length test, cheaper than asking the arena).
   */
  #view(): Uint32Array {
    if (this.#u32.length === 0) {
      const buffer = this.#arena.bytes.buffer;
      this.#u32 = new Uint32Array(buffer);
      this.#f64 = new Float64Array(buffer);
      this.#exports.refresh();
    }
    return this.#u32;
  }


  #faultImport(code: number, pc: number, lo: number, hi: number, size: number): never {
    const kind = KIND_BY_CODE[code] ?? 'invalid-insn';
    if (kind === 'memory') {
      const addr = (hi >>> 0) * TWO_32 + (lo >>> 0);
      throw new VmFaultSignal(vmFault('memory', pc, `invalid access of ${size} bytes at ${hex(addr)}`, addr, size));
    }
    const what: Record<VmFaultKind, string> = {
      memory: 'invalid access',
      'invalid-insn': 'invalid instruction',
      'bad-jump': 'jump or call outside the program',
      'insn-limit': 'instruction limit reached',
      'call-depth': `more than ${MAX_CALL_FRAMES} call frames`,
      helper: 'helper fault',
    };
    throw new VmFaultSignal(vmFault(kind, pc, what[kind]));
  }

  #limitImport(startPc: number, insns: number): never {
    // The block's count was added whole; the limit ran out at one of its instructions.
    const before = this.#exports.count() - insns;
    let pc = startPc;
    for (let i = 0; i < this.#limit - before; i++) pc = nextPc(this.#compiled.slots, pc);
    throw new VmFaultSignal(vmFault('insn-limit', pc, `instruction limit of ${this.#limit} reached`), this.#limit);
  }

  #loadSkbImport(offset: number, size: number, pc: number): number {
    const env = this.#env;
    if (env?.loadSkbBytes === undefined) throw new VmFaultSignal(vmFault('invalid-insn', pc, 'LD_ABS/LD_IND without a packet'));
    const v = env.loadSkbBytes(offset, size as 1 | 2 | 4);
    if (v < 0) return 1;
    this.#view()[this.#scratch >>> 2] = v >>> 0;
    return 0;
  }

  #helperImport(site: number): number {
    const s = this.#compiled.sites[site];
    const pc = s?.pc ?? 0;
    const d = this.#resolved[site];
    if (d === undefined) {
      const what = s?.kind === 'kfunc' ? `kfunc ${s.name ?? `#${s.id}`}` : `helper #${s?.id ?? -1}`;
      throw new VmFaultSignal(vmFault('helper', pc, `unknown ${what}`));
    }
    return this.#invoke(d, pc);
  }

  #helperXImport(site: number, id: number): number {
    const pc = this.#compiled.sites[site]?.pc ?? 0;
    const d = this.#env?.helpers.get(id >>> 0);
    if (d === undefined) throw new VmFaultSignal(vmFault('helper', pc, `unknown helper #${id >>> 0}`));
    if (this.#invoke(d, pc) !== 0) throw new VmFaultSignal(vmFault('helper', pc, 'bpf_tail_call through callx'));
    return 0;
  }

  #invoke(d: HelperDescriptor, pc: number): number {
    const depth = this.#callDepth;
    let call = this.#calls[depth];
    if (call === undefined) {
      call = { regs: new Uint32Array(12), env: this.#henv };
      this.#calls.push(call);
    }
    const regs = call.regs;
    let u32 = this.#view();
    const b = this.#scratch >>> 2;
    // r0 too: a helper that does not write it (tail_call with nothing to run) leaves it as spilled.
    for (let i = 0; i < 12; i++) regs[i] = u32[b + i] ?? 0;
    const savedPc = this.currentPc;
    this.currentPc = pc;
    this.#callDepth = depth + 1;
    this.#tailDone = false;
    try {
      d.call(call);
    } catch (e) {
      if (e instanceof VmFaultSignal) throw e;
      throw new VmFaultSignal(vmFault('helper', pc, `helper ${d.name} failed: ${e instanceof Error ? e.message : String(e)}`));
    } finally {
      this.#callDepth = depth;
      this.currentPc = savedPc;
    }
    // The helper may have grown the arena.
    u32 = this.#view();
    if (this.#tailDone) {
      this.#tailDone = false;
      // Straight from the BigInt into memory: no BigInt arithmetic per tail call.
      this.#arena.view.setBigUint64(this.#scratch, this.#tailR0, true);
      return 1;
    }
    u32[b] = regs[0] ?? 0;
    u32[b + 1] = regs[1] ?? 0;
    return 0;
  }

  /** `HelperEnv.callback`: runs the callback subprogram at slot `fn` in a new frame. */
  callback(fn: number, a1: number, a2: number, a3: number, a4: number, a5: number): bigint {
    const f = this.#callbacks.get(fn >>> 0);
    if (f === undefined) throw new VmFaultSignal(vmFault('helper', this.currentPc, `callback ${fn >>> 0} is not the start of a subprogram`));
    if (this.#exports.sp.value < this.#exports.stackLow.value) {
      throw new VmFaultSignal(vmFault('call-depth', this.currentPc, `callback beyond ${MAX_CALL_FRAMES} frames: too deep`));
    }
    // The helper may have allocated (grown the arena) before calling back.
    const u32 = this.#view();
    const b = this.#scratch >>> 2;
    u32[b + 2] = a1 >>> 0;
    u32[b + 3] = Math.floor(a1 / TWO_32) >>> 0;
    u32[b + 4] = a2 >>> 0;
    u32[b + 5] = Math.floor(a2 / TWO_32) >>> 0;
    u32[b + 6] = a3 >>> 0;
    u32[b + 7] = Math.floor(a3 / TWO_32) >>> 0;
    u32[b + 8] = a4 >>> 0;
    u32[b + 9] = Math.floor(a4 / TWO_32) >>> 0;
    u32[b + 10] = a5 >>> 0;
    u32[b + 11] = Math.floor(a5 / TWO_32) >>> 0;
    const r0 = f();
    return r0 < 0n ? BigInt.asUintN(64, r0) : r0;
  }

  /** `HelperEnv.tailCall`: runs the prog array's program in place of the caller. */
  tailCall(mapAddr: number, index: number): boolean {
    const env = this.#env;
    if (env === undefined) return false;
    const map = env.services.mapAt(mapAddr);
    if (map?.slots === undefined) return false;
    if (index >>> 0 >= map.info.maxEntries) return false;
    if (tailCallsInChain >= MAX_TAIL_CALL_CNT) return false;
    tailCallsInChain++;
    const target = map.slots.at(index >>> 0)?.target;
    if (!isRunnable(target)) return false;
    const regs = this.#calls[this.#callDepth - 1]?.regs;
    const r1 = (regs?.[2] ?? 0) + (regs?.[3] ?? 0) * TWO_32;
    const out = target.loaded.run({ r1 }, env);
    // The target's instructions count as this run's, as on the interpreter.
    this.#exports.setCount(this.#exports.count() + out.insnsExecuted, this.#limit);
    if (out.kind === 'fault') throw new VmFaultSignal(out.fault, this.#exports.count());
    this.#tailDone = true;
    this.#tailR0 = out.r0;
    return true;
  }
}
