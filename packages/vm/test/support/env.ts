import type { BpfMap, HelperCall, HelperDescriptor, HelperRegistry, ProgramServices, RunEnv, VmArena } from '@bpfkit/kernel-api';
import { createVmArena } from '@bpfkit/memory';

/** A helper for tests: `body` gets the call and writes r0 through `regs`. */
export function testHelper(id: number, name: string, body: (c: HelperCall) => void): HelperDescriptor {
  return { id, name, call: body };
}

/** A tiny registry of the given helpers and kfuncs (the real ones live in `src/helpers`). */
export function testRegistry(helpers: readonly HelperDescriptor[] = [], kfuncs: readonly HelperDescriptor[] = []): HelperRegistry {
  const byId = new Map(helpers.map((h) => [h.id, h]));
  const byName = new Map(kfuncs.map((k) => [k.name, k]));
  return {
    get: (id) => byId.get(id),
    kfunc: (name) => byName.get(name),
    all: () => [...helpers, ...kfuncs],
  };
}

/** Services that do nothing but find the given maps and collect trace lines. */
export function testServices(maps: readonly BpfMap[] = [], lines: string[] = []): ProgramServices {
  return {
    clock: { nowNs: () => 1_000n },
    random: { u32: () => 4 },
    current: { pid: 1, tgid: 1, uid: 0, gid: 0, comm: 'test' },
    mapAt: (addr) => maps.find((m) => m.address === addr),
    trace: (line) => lines.push(line),
  };
}

/** What {@link testEnv} takes; all optional. */
export interface TestEnvOptions {
  readonly arena?: VmArena;
  readonly helpers?: HelperRegistry;
  readonly maps?: readonly BpfMap[];
  readonly insnLimit?: number;
  readonly loadSkbBytes?: (offset: number, size: 1 | 2 | 4) => number;
}

/** A `RunEnv` over a fresh (small) arena unless one is given. */
export function testEnv(options: TestEnvOptions = {}): RunEnv {
  const arena = options.arena ?? createVmArena({ initialBytes: 1 << 20 });
  return {
    arena,
    cpu: 0,
    helpers: options.helpers ?? testRegistry(),
    services: testServices(options.maps),
    ...(options.insnLimit === undefined ? {} : { insnLimit: options.insnLimit }),
    ...(options.loadSkbBytes === undefined ? {} : { loadSkbBytes: options.loadSkbBytes }),
  };
}
