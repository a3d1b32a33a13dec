import type { BpfMap } from './bpf-map.js';
import type { Clock, Random } from './env.js';
import type { BpfTimerTable, ProgramHold } from './timers.js';
import type { LoadedProgram, ProgramImage } from './engine.js';
import type { VmArena } from './vm-arena.js';

/** The task a program runs on behalf of (`current` in the kernel): what the `get_current_*` helpers read. */
export interface CurrentTask {
  readonly pid: number;
  readonly tgid: number;
  /** Ids as the init user namespace sees them. */
  readonly uid: number;
  readonly gid: number;
  /** `task->comm`, at most 15 bytes. */
  readonly comm: string;
}

/** A program loaded in the kernel, as tail calls and the prog-array slots see it. */
export interface RunnableProgram {
  readonly id: number;
  readonly progType: number;
  readonly expectedAttachType: number;
  readonly loaded: LoadedProgram;
}

/** The kernel's side of helpers: what a run may ask of the rest of the system. */
export interface ProgramServices {
  readonly clock: Clock;
  readonly random: Random;
  readonly current: CurrentTask;
  /** The map whose {@link BpfMap.address} is `addr` (helpers get map pointers in r1). */
  mapAt(addr: number): BpfMap | undefined;
  /** Appends a line to the trace buffer (`bpf_trace_printk`, `/sys/kernel/tracing/trace_pipe`). */
  trace(line: string): void;
  /**
   * `probe_read_kernel`/`probe_read_user`: the simulated kernel's or task's
   * memory at `addr`, or undefined where nothing is mapped (the helper then
   * zeroes the destination and returns -EFAULT).
   */
  readKernel?(addr: bigint, size: number): Uint8Array | undefined;
  readUser?(addr: bigint, size: number): Uint8Array | undefined;
  /**
   * `bpf_seq_write`/`bpf_seq_printf` of an iterator program: appends `bytes` to the
   * `seq_file` at `seq` (the address the iterator's context gave the program). 0, or a
   * negative errno (-EINVAL for an address that is not the run's seq_file). Absent outside iterator runs.
   */
  seqWrite?(seq: number, bytes: Uint8Array): number;
  /** The kernel's `bpf_timer` state; absent on kernels without timers (the helpers then return -EOPNOTSUPP). */
  readonly timers?: BpfTimerTable;
  /** The program this run belongs to (what `bpf_timer_set_callback` binds a callback to). */
  readonly program?: ProgramHold;
  /** The loaded program an image belongs to (a tail call's target, when the helper's {@link HelperEnv.image} is not the run's). */
  programOf?(image: ProgramImage): ProgramHold | undefined;
  /** `atomic64_read(&map->usercnt) != 0`: fds or pins hold the map (timers need it). Absent: always true. */
  mapHasUsers?(map: BpfMap): boolean;
  /** `nr_cpu_ids`: the possible CPUs, each with its copy of a per-CPU object. Absent: 1. */
  readonly possibleCpus?: number;
  /** The kernel objects BTF pointers reach. Absent: none (the helpers and kfuncs that return them give NULL). */
  readonly kernelObjects?: KernelObjects;
}

/**
 * `task_struct`s in the run's arena, laid out as the kernel's BTF describes them, for
 * `bpf_get_current_task_btf` and the task kfuncs.
 */
export interface KernelObjects {
  /** The current task's `task_struct` (0 when the kernel has no BTF for it). */
  currentTask(): number;
  /** `bpf_task_from_pid`: the `task_struct` of the task with this pid, 0 when there is none. */
  taskByPid(pid: number): number;
}

/**
 * One helper call as the engine presents it. Registers are (low, high) u32
 * pairs so that no engine builds a BigInt per call: `regs[2*i]` is the low
 * word of r_i, `regs[2*i+1]` the high word. The helper reads r1–r5 and writes
 * r0 (both words) back.
 */
export interface HelperCall {
  readonly regs: Uint32Array;
  readonly env: HelperEnv;
}

/** What stays the same across a run's helper calls. */
export interface HelperEnv {
  readonly arena: VmArena;
  readonly cpu: number;
  readonly progType: number;
  readonly services: ProgramServices;
  /**
   * Calls a callback subprogram (the value a `BPF_PSEUDO_FUNC` ld_imm64
   * produced) with up to five arguments; returns its r0, or throws the
   * engine's own fault signal (never catch it in a helper).
   */
  callback(fn: number, a1: number, a2: number, a3: number, a4: number, a5: number): bigint;
  /**
   * `bpf_tail_call`: runs the program in slot `index` of the prog array at
   * `mapAddr` in place of the caller. Returns false when the slot is empty,
   * out of range or the 33-call budget is spent (the caller goes on).
   */
  tailCall(mapAddr: number, index: number): boolean;
  /** Marks an argument the helper cannot use (unverified programs): the run stops with a `helper` fault. */
  fault(message: string): never;
  /**
   * The program whose instruction made the call (`aux->prog` of the helpers the
   * verifier passes it to): the run's program, or a tail call's target while it runs.
   */
  readonly image?: ProgramImage;
}

/** One helper function (`struct bpf_func_proto` plus its body). */
export interface HelperDescriptor {
  /** `BPF_FUNC_*` id. */
  readonly id: number;
  /** Name without the `bpf_` prefix. */
  readonly name: string;
  call(c: HelperCall): void;
}

/** The helpers an engine can call, by id, and the kfuncs by name. */
export interface HelperRegistry {
  get(id: number): HelperDescriptor | undefined;
  kfunc(name: string): HelperDescriptor | undefined;
  all(): readonly HelperDescriptor[];
}
