import type { HelperCall, HelperDescriptor, HelperEnv, HelperRegistry, ProgramServices, VmArena } from '@bpfkit/kernel-api';
import { createVmArena } from '@bpfkit/memory';

/**
 * A {@link HelperRegistry} that knows no helpers, with any method replaced.
 *
 * @example
 * const helpers = makeNoopHelpers({ get: (id) => (id === 5 ? myKtime : undefined) });
 */
export function makeNoopHelpers(partial: Partial<HelperRegistry> = {}): HelperRegistry {
  return { get: () => undefined, kfunc: () => undefined, all: () => [], ...partial };
}

/**
 * {@link ProgramServices} that find no maps and drop trace lines, with a fixed
 * clock (1000 ns), random 4 and task pid/tgid 1 `test`; replace what a test needs.
 *
 * @example
 * const lines: string[] = [];
 * const services = makeNoopServices({ trace: (l) => lines.push(l) });
 */
export function makeNoopServices(partial: Partial<ProgramServices> = {}): ProgramServices {
  return {
    clock: { nowNs: () => 1_000n },
    random: { u32: () => 4 },
    current: { pid: 1, tgid: 1, uid: 0, gid: 0, comm: 'test' },
    mapAt: () => undefined,
    trace: () => undefined,
    ...partial,
  };
}

/**
 * A helper fault raised by {@link makeNoopHelperEnv}'s `fault`.
 *
 * @example
 * t.throws(() => callHelper(helper, env, 0xdead), { instanceOf: HelperFault });
 */
export class HelperFault extends Error {}

/**
 * A {@link HelperEnv} for calling one helper outside any engine: a small
 * arena, CPU 0, program type 0, no callbacks or tail calls (both throw), and
 * `fault` throwing {@link HelperFault}.
 *
 * @example
 * const env = makeNoopHelperEnv({ progType: 6 });
 */
export function makeNoopHelperEnv(partial: Partial<HelperEnv> & { readonly arena?: VmArena } = {}): HelperEnv {
  return {
    arena: partial.arena ?? createVmArena({ initialBytes: 1 << 20, wasm: false }),
    cpu: 0,
    progType: 0,
    services: makeNoopServices(),
    callback: () => {
      throw new HelperFault('no callbacks in a noop helper env');
    },
    tailCall: () => false,
    fault: (message) => {
      throw new HelperFault(message);
    },
    ...partial,
  };
}

/**
 * Calls `helper` with r1–r5 (numbers or u64 bigints) and returns r0 as a
 * signed bigint: what a test of one helper needs.
 *
 * @example
 * callHelper(registry.get(5)!, env) // ktime_get_ns → 1000n
 */
export function callHelper(helper: HelperDescriptor, env: HelperEnv, ...args: readonly (number | bigint)[]): bigint {
  const regs = new Uint32Array(12);
  args.forEach((a, i) => {
    const v = BigInt.asUintN(64, BigInt(a));
    regs[2 * (i + 1)] = Number(v & 0xffff_ffffn);
    regs[2 * (i + 1) + 1] = Number(v >> 32n);
  });
  const call: HelperCall = { regs, env };
  helper.call(call);
  return BigInt.asIntN(64, (BigInt(regs[1] ?? 0) << 32n) | BigInt(regs[0] ?? 0));
}
