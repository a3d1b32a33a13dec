import type { BpfMap, BpfTimerTable, DueTimer, ProgramHold } from '@bpfkit/kernel-api';
import { Errno } from '@bpfkit/uapi';

/** `MAX_CLOCKS`: `bpf_timer_init`'s flags are a clock id below it. */
const MAX_CLOCKS = 16n;
const CLOCK_REALTIME = 0n, CLOCK_MONOTONIC = 1n, CLOCK_BOOTTIME = 7n;
/** `BPF_F_TIMER_ABS`, `BPF_F_TIMER_CPU_PIN`: the only flags `bpf_timer_start` takes. */
const BPF_F_TIMER_ABS = 1n, BPF_F_TIMER_CPU_PIN = 2n;
/** `KTIME_MAX`: a relative expiry past it saturates (`ktime_add_safe`) and never comes. */
const KTIME_MAX = (1n << 63n) - 1n;

/** One initialised `bpf_timer` (`struct bpf_hrtimer`). */
class Timer {
  /** `cb->prog` and the reference held on it; `fn` is `cb->callback_fn`. */
  prog: ProgramHold | undefined = undefined;
  put: (() => void) | undefined = undefined;
  fn = 0;
  /** Expiry on the kernel clock while queued (`hrtimer_is_queued`). */
  expiresNs: bigint | undefined = undefined;
  cpu = 0;
  /** Which {@link BpfTimerTable.fireDue} call was the last before it was armed, and its arming order. */
  armedGen = 0;
  armedSeq = 0;

  constructor(readonly map: BpfMap, readonly valueAddr: number, readonly clockId: number) {}

  /** `drop_prog_refcnt`: the callback goes, and the timer's reference on its program. */
  dropProg(): void {
    const put = this.put;
    this.prog = undefined;
    this.put = undefined;
    this.fn = 0;
    put?.();
  }
}

/**
 * The kernel's `bpf_timer` state for one simulated machine, keyed by the
 * address of the element's `bpf_timer` field (where the kernel keeps its
 * pointer to the `bpf_hrtimer`). The field's bytes themselves stay zero, so
 * user space reads zeros there as it does on Linux.
 *
 * Runs are sequential, so the kernel's cross-CPU cases collapse: the only
 * `-EDEADLK` is a callback cancelling its own timer, and `hrtimer_cancel`
 * never waits.
 */
class TimerTable implements BpfTimerTable {
  readonly #timers = new Map<number, Timer>();
  /** The timer whose callback runs now (`hrtimer_running`). */
  #running: Timer | undefined = undefined;
  #gen = 0;
  #seq = 0;

  get size(): number {
    return this.#timers.size;
  }

  init(timerAddr: number, map: BpfMap, flags: bigint, mapHasUsers: (map: BpfMap) => boolean): number {
    const clock = flags & (MAX_CLOCKS - 1n);
    if (flags >= MAX_CLOCKS || (clock !== CLOCK_MONOTONIC && clock !== CLOCK_REALTIME && clock !== CLOCK_BOOTTIME)) return -Errno.EINVAL;
    if (this.#timers.has(timerAddr)) return -Errno.EBUSY;
    // Allocated, then refused when nothing in user space holds the map: map_release_uref would never free it.
    if (!mapHasUsers(map)) return -Errno.EPERM;
    this.#timers.set(timerAddr, new Timer(map, timerAddr - (map.asyncFields?.timerOff ?? 0), Number(clock)));
    return 0;
  }

  setCallback(timerAddr: number, fn: number, prog: ProgramHold | undefined, mapHasUsers: (map: BpfMap) => boolean): number {
    const t = this.#timers.get(timerAddr);
    if (t === undefined) return -Errno.EINVAL;
    if (!mapHasUsers(t.map)) return -Errno.EPERM;
    // A run the kernel cannot name the program of: there is nothing to call back later.
    if (prog === undefined) return -Errno.EOPNOTSUPP;
    if (t.prog?.runnable !== prog.runnable) {
      const put = prog.hold();
      t.dropProg();
      t.prog = prog;
      t.put = put;
    }
    t.fn = fn;
    return 0;
  }

  start(timerAddr: number, nsecs: bigint, flags: bigint, cpu: number, nowNs: bigint): number {
    if ((flags & ~(BPF_F_TIMER_ABS | BPF_F_TIMER_CPU_PIN)) !== 0n) return -Errno.EINVAL;
    const t = this.#timers.get(timerAddr);
    if (t?.prog === undefined) return -Errno.EINVAL;
    // ns_to_ktime: the u64 becomes a signed ktime; a relative one is added to now, saturating.
    const ns = BigInt.asIntN(64, nsecs);
    const abs = (flags & BPF_F_TIMER_ABS) !== 0n;
    const at = abs ? ns : nowNs + ns;
    t.expiresNs = at > KTIME_MAX ? KTIME_MAX : at;
    t.cpu = cpu;
    t.armedGen = this.#gen;
    t.armedSeq = ++this.#seq;
    return 0;
  }

  cancel(timerAddr: number): number {
    const t = this.#timers.get(timerAddr);
    if (t === undefined) return -Errno.EINVAL;
    // hrtimer_cancel would wait for the callback that is calling it.
    if (t === this.#running) return -Errno.EDEADLK;
    t.dropProg();
    const wasQueued = t.expiresNs !== undefined;
    t.expiresNs = undefined;
    return wasQueued ? 1 : 0;
  }

  free(timerAddr: number): void {
    const t = this.#timers.get(timerAddr);
    if (t === undefined) return;
    this.#timers.delete(timerAddr);
    t.expiresNs = undefined;
    t.dropProg();
  }

  freeMap(map: BpfMap): void {
    for (const [addr, t] of this.#timers) if (t.map === map) this.free(addr);
  }

  fireDue(nowNs: bigint, run: (t: DueTimer) => void): number {
    const gen = ++this.#gen;
    let ran = 0;
    for (;;) {
      const t = this.#nextDue(nowNs, gen);
      if (t === undefined) return ran;
      t.expiresNs = undefined;
      const prog = t.prog;
      if (prog === undefined) continue;
      // The run holds the program too: the callback may free its own timer (and the timer's reference).
      const put = prog.hold();
      this.#running = t;
      try {
        run({
          runnable: prog.runnable, fn: t.fn, cpu: t.cpu, mapAddr: t.map.address,
          keyAddr: t.map.asyncFields?.callbackKeyAddr(t.valueAddr) ?? 0, valueAddr: t.valueAddr,
        });
      } finally {
        this.#running = undefined;
        put();
      }
      ran++;
    }
  }

  /** The earliest timer due by `nowNs` among those armed before call `gen` began (ties: the first armed). */
  #nextDue(nowNs: bigint, gen: number): Timer | undefined {
    let best: Timer | undefined;
    for (const t of this.#timers.values()) {
      const at = t.expiresNs;
      if (at === undefined || at > nowNs || t.armedGen >= gen) continue;
      if (best === undefined || at < (best.expiresNs ?? 0n) || (at === best.expiresNs && t.armedSeq < best.armedSeq)) best = t;
    }
    return best;
  }
}

/**
 * A {@link BpfTimerTable}: the `bpf_timer` state one simulated kernel shares
 * between its maps (which free timers with their elements) and the timer helpers.
 *
 * @example
 * const timers = createTimerTable();
 * createMapTypes({ arena, timers }); // maps free timers on update, delete and uref drop
 */
export function createTimerTable(): BpfTimerTable {
  return new TimerTable();
}
