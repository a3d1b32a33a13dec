import type { Random } from '@bpfkit/kernel-api';

/**
 * A deterministic {@link Random} (mulberry32): the default source of hash
 * seeds, so two runs of the same program see the same bucket layout.
 *
 * @example
 * const random = createSeededRandom(1);
 * random.u32(); // the same number on every run
 */
export function createSeededRandom(seed: number): Random {
  let state = seed >>> 0;
  return {
    u32() {
      state = (state + 0x6d2b79f5) >>> 0;
      let t = state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return (t ^ (t >>> 14)) >>> 0;
    },
  };
}
