import type { HelperDescriptor } from '@bpfkit/kernel-api';
import { defineHelper } from './define.js';
import { setR0, setR0Big } from './regs.js';

// The simulated kernel has one clock; the kernel's variants differ only in
// what they count across suspend and leap seconds, which a simulation has neither of.
/** `CONFIG_HZ` of the reference kernel. */
const HZ = 250;
/** `INITIAL_JIFFIES`: jiffies start 300 s before wrapping 32 bits. */
const INITIAL_JIFFIES = BigInt(0x1_0000_0000 - 300 * HZ);

const now = (name: string): HelperDescriptor => defineHelper(name, (c) => setR0Big(c, c.env.services.clock.nowNs()));

/**
 * `ktime_get_ns`, `ktime_get_boot_ns`, `ktime_get_coarse_ns`, `ktime_get_tai_ns`
 * (all from `services.clock`), `get_prandom_u32` (`services.random`) and
 * `get_smp_processor_id` (the run's CPU) and `jiffies64` (the clock at HZ 250).
 *
 * @example
 * for (const h of timeHelpers()) registry.set(h.id, h);
 */
export function timeHelpers(): HelperDescriptor[] {
  return [
    now('ktime_get_ns'),
    now('ktime_get_boot_ns'),
    now('ktime_get_coarse_ns'),
    now('ktime_get_tai_ns'),
    defineHelper('get_prandom_u32', (c) => setR0(c, c.env.services.random.u32() >>> 0)),
    defineHelper('get_smp_processor_id', (c) => setR0(c, c.env.cpu)),
    // get_jiffies_64() of a CONFIG_HZ=250 kernel (the reference machine's), counted from INITIAL_JIFFIES.
    defineHelper('jiffies64', (c) => setR0Big(c, BigInt.asUintN(64, INITIAL_JIFFIES + (c.env.services.clock.nowNs() * BigInt(HZ)) / 1_000_000_000n))),
  ];
}
