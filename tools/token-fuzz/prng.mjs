// A small seeded PRNG (splitmix32): the same seed always gives the same scenarios.

/** A generator of random choices from one 32-bit seed. */
export class Prng {
  constructor(seed) {
    this.state = seed >>> 0;
  }

  /** A uniform 32-bit unsigned integer. */
  u32() {
    this.state = (this.state + 0x9e3779b9) >>> 0;
    let z = this.state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  }

  /** An integer in [0, n). */
  int(n) {
    return this.u32() % n;
  }

  /** True with probability p. */
  chance(p) {
    return this.u32() / 2 ** 32 < p;
  }

  /** One element of a non-empty array. */
  pick(xs) {
    return xs[this.int(xs.length)];
  }

  /** One element, by weight: `[[weight, value], ...]`. */
  weighted(pairs) {
    let total = 0;
    for (const [w] of pairs) total += w;
    let r = this.int(total);
    for (const [w, v] of pairs) {
      if (r < w) return v;
      r -= w;
    }
    return pairs[pairs.length - 1][1];
  }

  /** A random subset (each element with probability p). */
  subset(xs, p = 0.5) {
    return xs.filter(() => this.chance(p));
  }
}

/** The seed of scenario `index` of a run with `seed`, so that one scenario can be regenerated alone. */
export function scenarioSeed(seed, index) {
  const p = new Prng((seed ^ Math.imul(index + 1, 0x27d4eb2d)) >>> 0);
  p.u32();
  return p.u32();
}
