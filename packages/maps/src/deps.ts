import type { Random, VmArena } from '@bpfkit/kernel-api';
import { createVmArena } from '@bpfkit/memory';
import { createSeededRandom } from './runtime/random.js';
import type { MapTimerHooks } from './runtime/value-layout.js';

/** The simulated machine the map types are created on. Every field is optional. */
export interface MapTypesDeps {
  /** `PAGE_SIZE` (default 4096). */
  readonly pageSize?: number;
  /** `num_possible_cpus()` (default 2). */
  readonly possibleCpus?: number;
  /** `NR_CPUS`, the build-time CPU limit cpumap checks (default 256, as on the reference kernel). */
  readonly nrCpus?: number;
  /** `sysctl kernel.perf_event_max_stack` (default 127). */
  readonly perfEventMaxStack?: number;
  /** `KMALLOC_MAX_SIZE` (default 4 MiB: x86-64, 4 KiB pages, MAX_PAGE_ORDER 10). */
  readonly kmallocMaxSize?: number;
  /** Largest allocation `bpf_map_area_alloc` can satisfy before ENOMEM (default 16 GiB). */
  readonly memoryLimitBytes?: number;
  /** `bpf_jit_supports_arena()` (default true, as on x86-64). */
  readonly jitSupportsArena?: boolean;
  /** The memory map values live in, shared with the VM (default: a fresh `createVmArena()`, made on first use). */
  readonly arena?: VmArena;
  /** `get_random_u32()` for hash and bloom filter seeds (default: a deterministic seeded generator). */
  readonly random?: Random;
  /** The kernel's `bpf_timer` state: values that hold a timer free it when overwritten or deleted (default: none). */
  readonly timers?: MapTimerHooks;
}

/** {@link MapTypesDeps} with defaults applied. */
export interface MapEnv {
  readonly pageSize: number;
  readonly possibleCpus: number;
  readonly nrCpus: number;
  readonly perfEventMaxStack: number;
  readonly kmallocMaxSize: number;
  readonly memoryLimitBytes: number;
  readonly jitSupportsArena: boolean;
  /** The arena, created on first use when none was injected. */
  readonly arena: VmArena;
  readonly random: Random;
  readonly timers: MapTimerHooks | undefined;
}

const KNOWN = new Set(['pageSize', 'possibleCpus', 'nrCpus', 'perfEventMaxStack', 'kmallocMaxSize', 'memoryLimitBytes', 'jitSupportsArena', 'arena', 'random', 'timers']);

/**
 * Applies the defaults and rejects unknown fields.
 *
 * @example
 * const env = resolveDeps({ possibleCpus: 4 }); // env.arena is made on first use
 */
export function resolveDeps(deps: MapTypesDeps): MapEnv {
  for (const key of Object.keys(deps)) {
    if (!KNOWN.has(key)) throw new TypeError(`createMapTypes: unknown option '${key}'`);
  }
  let arena = deps.arena;
  const random = deps.random ?? createSeededRandom(0x62706621);
  return {
    get arena(): VmArena {
      arena ??= createVmArena();
      return arena;
    },
    random,
    timers: deps.timers,
    pageSize: deps.pageSize ?? 4096,
    possibleCpus: deps.possibleCpus ?? 2,
    nrCpus: deps.nrCpus ?? 256,
    perfEventMaxStack: deps.perfEventMaxStack ?? 127,
    kmallocMaxSize: deps.kmallocMaxSize ?? 4 * 1024 * 1024,
    memoryLimitBytes: deps.memoryLimitBytes ?? 16 * 1024 ** 3,
    jitSupportsArena: deps.jitSupportsArena ?? true,
  };
}
