import type { BpfSyscall } from '@bpfkit/kernel-api';
import { BpfCmd, attrField, decodeProgLoadAttr } from '@bpfkit/uapi';
import { replayCorpusLoad, type CaseFileContext, type CorpusLoadResult, type ReplayTarget } from './replay.js';
import type { CorpusCase, CorpusReplayLine } from './schema.js';

/** One `BPF_PROG_LOAD` seen by a timed target. */
interface TimedLoad {
  readonly insnCnt: number;
  readonly ms: number;
}

/** Options of {@link timeCorpusLoad}; unknown keys are rejected. */
export interface CorpusLoadTimingOptions {
  /** How many loads to time at most; the best counts (default 3). */
  readonly repetitions?: number;
  /** No further repetition once one load took longer than this (default 1000 ms). */
  readonly budgetMs?: number;
  /**
   * Keep loading past `repetitions` until the timed loads add up to this many ms
   * (at most 2,000 loads), so a short load is timed warm, as the
   * kernel's always is, rather than through a JIT still compiling it (default 0).
   */
  readonly warmMs?: number;
}

/** The most loads `warmMs` repeats a case (and `pnpm bench` any other warm timing). */
export const MAX_WARM_LOADS = 2000;

/** What {@link timeCorpusLoad} measured. */
export interface CorpusLoadTiming {
  /** The replay line of the last repetition (its log is empty: loads are at log level 0). */
  readonly line: CorpusReplayLine;
  /** The fastest `BPF_PROG_LOAD` of the case itself, in ms; undefined when the case could not be set up. */
  readonly ms: number | undefined;
  /** How many loads were timed. */
  readonly repetitions: number;
}

const KNOWN = new Set(['repetitions', 'budgetMs', 'warmMs']);

/** `target` whose tasks make `BPF_PROG_LOAD` through `progLoad` (every other command as they are). */
function wrappedTarget(target: ReplayTarget, progLoad: (sys: BpfSyscall, attr: Uint8Array) => number): ReplayTarget {
  const inner = new Map<BpfSyscall, BpfSyscall>();
  return {
    open(drop) {
      const sys = target.open(drop);
      const wrapped: BpfSyscall = {
        memory: sys.memory,
        close: (fd) => {
          sys.close(fd);
        },
        bpf: (cmd, attr) => (cmd === BpfCmd.BPF_PROG_LOAD ? progLoad(sys, attr) : sys.bpf(cmd, attr)),
      };
      inner.set(wrapped, sys);
      return wrapped;
    },
    close(wrapped) {
      const sys = inner.get(wrapped);
      inner.delete(wrapped);
      target.close(sys ?? wrapped);
    },
  };
}

/** `target` with every `BPF_PROG_LOAD` of its tasks timed into `loads`. */
function timedTarget(target: ReplayTarget, loads: TimedLoad[]): ReplayTarget {
  return wrappedTarget(target, (sys, attr) => {
    const insnCnt = decodeProgLoadAttr(attr).insn_cnt;
    const start = performance.now();
    try {
      return sys.bpf(BpfCmd.BPF_PROG_LOAD, attr);
    } finally {
      loads.push({ insnCnt, ms: performance.now() - start });
    }
  });
}

/**
 * The case's own load among those of one replay: the first with its
 * instruction count (dummy tail-call programs load before it, `__auxiliary`
 * ones after), else the largest.
 */
function caseLoad(c: CorpusCase, loads: readonly TimedLoad[]): TimedLoad | undefined {
  const want = c.insns?.length;
  const exact = loads.find((l) => l.insnCnt === want);
  if (exact !== undefined) return exact;
  let largest: TimedLoad | undefined;
  for (const l of loads) if (largest === undefined || l.insnCnt > largest.insnCnt) largest = l;
  return largest;
}

/**
 * Times how long `BPF_PROG_LOAD` of one verifier-corpus case takes on
 * `target`: the case is set up and loaded as {@link replayCorpusLoad} does,
 * but at log level 0 (no log: the speed that matters), and only the case's
 * own `BPF_PROG_LOAD` call is timed (not its maps, BTF or aux programs).
 * The best of a few repetitions counts; a slow case is loaded fewer times.
 *
 * @example
 * const { ms, line } = timeCorpusLoad(simulatedReplayTarget(kernel), c, file.context);
 * console.log(c.id, 'verdict' in line ? line.verdict : line.error, ms);
 */
export function timeCorpusLoad(target: ReplayTarget, c: CorpusCase, ctx: CaseFileContext, options: CorpusLoadTimingOptions = {}): CorpusLoadTiming {
  for (const k of Object.keys(options)) if (!KNOWN.has(k)) throw new TypeError(`timeCorpusLoad: unknown option ${k}`);
  const repetitions = options.repetitions ?? 3;
  const budgetMs = options.budgetMs ?? 1000;
  if (!Number.isInteger(repetitions) || repetitions < 1) throw new RangeError(`timeCorpusLoad: repetitions must be a positive integer, not ${repetitions}`);
  const warmMs = options.warmMs ?? 0;
  if (!(budgetMs >= 0)) throw new RangeError(`timeCorpusLoad: budgetMs must be ≥ 0, not ${budgetMs}`);
  if (!(warmMs >= 0)) throw new RangeError(`timeCorpusLoad: warmMs must be ≥ 0, not ${warmMs}`);
  let best: number | undefined;
  let line: CorpusReplayLine | undefined;
  let done = 0;
  let total = 0;
  while (done < repetitions || (total < warmMs && done < MAX_WARM_LOADS)) {
    const loads: TimedLoad[] = [];
    line = replayCorpusLoad(timedTarget(target, loads), c, ctx, { logSize: 0 }).line;
    done++;
    const own = 'error' in line ? undefined : caseLoad(c, loads);
    if (own === undefined) break;
    best = best === undefined ? own.ms : Math.min(best, own.ms);
    total += own.ms;
    if (own.ms > budgetMs) break;
  }
  return { line: line ?? { id: c.id, error: 'not loaded' }, ms: best, repetitions: done };
}

const LOG_LEVEL = attrField('prog_load', 'log_level')?.offset ?? 24;
const BPF_LOG_STATS = 4;

/**
 * Loads one verifier-corpus case as {@link replayCorpusLoad} does, with its
 * log at `BPF_LOG_STATS` only (whatever level the harness used), so the line
 * carries the verifier's `processed N insns` without the cost of a verbose
 * log. What a benchmark reads the instruction count from, untimed.
 *
 * @example
 * const { line } = statsCorpusLoad(target, c, file.context);
 * if ('processed' in line) console.log(line.processed);
 */
export function statsCorpusLoad(target: ReplayTarget, c: CorpusCase, ctx: CaseFileContext): CorpusLoadResult {
  const stats = wrappedTarget(target, (sys, attr) => {
    const view = new DataView(attr.buffer, attr.byteOffset, attr.byteLength);
    if (attr.length >= LOG_LEVEL + 4 && view.getUint32(LOG_LEVEL, true) !== 0) view.setUint32(LOG_LEVEL, BPF_LOG_STATS, true);
    return sys.bpf(BpfCmd.BPF_PROG_LOAD, attr);
  });
  return replayCorpusLoad(stats, c, ctx, { logSize: 1 << 20 });
}
