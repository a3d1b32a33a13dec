import type { Clock, Random } from '@bpfkit/kernel-api';

/**
 * The host's monotonic clock (`performance.now()`, in Node and browsers alike),
 * in nanoseconds.
 *
 * @example
 * createKernel({ ...deps, clock: systemClock });
 */
export const systemClock: Clock = {
  nowNs: () => BigInt(Math.round(performance.now() * 1e6)),
};

/**
 * A deterministic {@link Random} (mulberry32): the same seed gives the same
 * sequence, so a run can be replayed.
 *
 * @example
 * const r = seededRandom(1);
 * r.u32(); // the same number on every run
 */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return {
    u32() {
      state = (state + 0x6d2b79f5) >>> 0;
      let z = state;
      z = Math.imul(z ^ (z >>> 15), z | 1);
      z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
      return (z ^ (z >>> 14)) >>> 0;
    },
  };
}
