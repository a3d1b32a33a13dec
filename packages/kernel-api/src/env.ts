/**
 * A monotonic clock in nanoseconds since an arbitrary start, as the kernel's
 * `ktime_get_boottime_ns()` is. Injected so that a simulated kernel is
 * deterministic in tests and works in any JavaScript host.
 *
 * @example
 * const fixed: Clock = { nowNs: () => 42_000_000_000n };
 * createDefaultKernel({ clock: fixed }).init.readFile('/proc/uptime'); // '0.00 0.00\n'
 */
export interface Clock {
  /** Nanoseconds; never decreases between calls. */
  nowNs(): bigint;
}

/**
 * A source of random numbers, as the kernel's `get_random_u32()` is (hash
 * seeds, JIT blinding constants). Injected so runs can be replayed.
 *
 * @example
 * const zeros: Random = { u32: () => 0 };
 */
export interface Random {
  /** A uniformly distributed integer in 0..2^32-1. */
  u32(): number;
}
