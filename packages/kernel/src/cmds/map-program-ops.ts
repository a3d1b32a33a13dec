import { BpfError, type BpfMap } from '@bpfkit/kernel-api';
import { errnoName } from '@bpfkit/uapi';
import type { KernelCore } from '../core.js';

/** The arena, which syscall paths that go through a map's program half need. */
function arenaOf(core: KernelCore): NonNullable<KernelCore['deps']['arena']> {
  const arena = core.deps.arena;
  if (arena === undefined) throw new BpfError('ENOTSUPP', 'kernel:no-arena', 'this kernel has no arena for map values');
  return arena;
}

/**
 * A bloom filter's syscall lookup (`map_peek_elem` on the caller's value):
 * the value is staged in the arena for the map's program-side membership test,
 * then freed. ENOENT when it is not in the filter.
 */
export function bloomContains(core: KernelCore, live: BpfMap, value: Uint8Array): void {
  const arena = arenaOf(core);
  const addr = arena.alloc(Math.max(1, value.length));
  try {
    arena.bytes.set(value, addr);
    const r = live.peekElem(addr);
    if (r < 0) {
      const name = errnoName(-r) ?? 'EINVAL';
      throw new BpfError(name, 'map:peek', `bloom filter peek gave ${name}`);
    }
  } finally {
    arena.free(addr);
  }
}
