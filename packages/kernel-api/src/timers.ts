import type { BpfMap } from './bpf-map.js';
import type { RunnableProgram } from './helpers.js';

/**
 * The program a run belongs to, as `bpf_timer_set_callback` records it
 * (`aux->prog`): the timer keeps a reference so that its callback can run
 * after the program's fds are gone.
 */
export interface ProgramHold {
  readonly runnable: RunnableProgram;
  /** `bpf_prog_inc`: a new reference, dropped by calling the function it returns (`bpf_prog_put`). */
  hold(): () => void;
}

/** A timer whose time came: what `bpf_timer_cb` calls, with the arguments it passes. */
export interface DueTimer {
  /** The program whose subprogram the callback is. */
  readonly runnable: RunnableProgram;
  /** The callback's instruction index (the `BPF_PSEUDO_FUNC` value's target). */
  readonly fn: number;
  /** The CPU the timer was started on (its hrtimer base). */
  readonly cpu: number;
  /** r1–r3 of the callback: the map, the element's key, the element's value. */
  readonly mapAddr: number;
  readonly keyAddr: number;
  readonly valueAddr: number;
}

/**
 * `bpf_timer`'s kernel side (`struct bpf_hrtimer` per initialised timer, kernel/bpf/helpers.c).
 * A timer lives with its map element: it is found by the arena address of the
 * element's `bpf_timer` field, the helpers answer with the kernel's return
 * values, and the maps free it (`bpf_obj_free_timer`) when the element is
 * updated or deleted, and all of a map's timers when its last user reference goes.
 *
 * @example
 * table.init(timerAddr, map, 1n, true);   // 0, then -EBUSY
 * table.fireDue(clock.nowNs(), (t) => t.runnable.loaded.run({ r1: t.mapAddr, r2: t.keyAddr, r3: t.valueAddr, entry: t.fn }, env));
 */
export interface BpfTimerTable {
  /** `bpf_timer_init`: 0, -EINVAL (clock), -EBUSY (initialised), -EPERM (`mapHasUsers` false, checked last). */
  init(timerAddr: number, map: BpfMap, flags: bigint, mapHasUsers: (map: BpfMap) => boolean): number;
  /** `bpf_timer_set_callback`: 0, -EINVAL (not initialised), -EPERM (its map has no user reference). */
  setCallback(timerAddr: number, fn: number, prog: ProgramHold | undefined, mapHasUsers: (map: BpfMap) => boolean): number;
  /** `bpf_timer_start` on `cpu` at `nowNs`: 0, or -EINVAL (flags, not initialised, no callback). */
  start(timerAddr: number, nsecs: bigint, flags: bigint, cpu: number, nowNs: bigint): number;
  /** `bpf_timer_cancel`: 1 when it took a pending timer off, 0, -EINVAL (not initialised), -EDEADLK (from its own callback). */
  cancel(timerAddr: number): number;
  /** `bpf_obj_free_timer`: the element whose `bpf_timer` is at `timerAddr` is overwritten or freed. */
  free(timerAddr: number): void;
  /** `map_release_uref` (and the map's free): every timer of `map` is cancelled and freed. */
  freeMap(map: BpfMap): void;
  /**
   * Runs the callbacks of the timers due by `nowNs` through `run`, earliest
   * first; returns how many ran. Like one softirq run of the hrtimer queue,
   * it takes only timers armed before it began: a callback that re-arms its
   * timer runs again at the next call, never in a loop here.
   */
  fireDue(nowNs: bigint, run: (t: DueTimer) => void): number;
  /** Initialised timers (for tests and leak checks). */
  readonly size: number;
}
