import type { MapTypeDescriptor } from '@bpfkit/kernel-api';
import { BPF_F_MMAPABLE, BPF_F_NO_USER_CONV, BPF_F_SEGV_ON_FAULT, BpfMapType } from '@bpfkit/uapi';
import { defineMapType } from '../define.js';
import { arenaCheckBtf } from '../btf-checks.js';
import type { MapEnv } from '../deps.js';
import { allocated, reject, unknownFlags } from '../checks.js';
import { ArenaMap } from '../runtime/arena-map.js';

/** `BPF_MAP_TYPE_ARENA` (arena_map_ops): max_entries pages shared with user space; map_extra is the user VMA start. */
export function arenaMapType(env: MapEnv): MapTypeDescriptor {
  return defineMapType({
    type: BpfMapType.BPF_MAP_TYPE_ARENA, name: 'arena', capability: 'CAP_BPF',
    checkBtf: arenaCheckBtf,
    alloc: (req) => {
      if (!env.jitSupportsArena) reject('EOPNOTSUPP', 'arena-needs-jit', 'the JIT does not support arenas');
      if (req.keySize !== 0 || req.valueSize !== 0 || req.maxEntries === 0 || (req.mapFlags & BPF_F_MMAPABLE) === 0 ||
          unknownFlags(req.mapFlags, BPF_F_SEGV_ON_FAULT | BPF_F_MMAPABLE | BPF_F_NO_USER_CONV) !== 0) {
        reject('EINVAL', 'arena-attrs', 'need key_size 0, value_size 0, max_entries > 0, BPF_F_MMAPABLE and only SEGV_ON_FAULT/NO_USER_CONV besides');
      }
      const page = BigInt(env.pageSize);
      if (req.mapExtra % page !== 0n) reject('EINVAL', 'arena-map-extra-unaligned', 'map_extra must be page aligned');
      const vmRange = BigInt(req.maxEntries) * page;
      if (vmRange > 1n << 32n) reject('E2BIG', 'arena-too-big', 'an arena spans at most 4 GiB');
      if (req.mapExtra >> 32n !== (req.mapExtra + vmRange - 1n) >> 32n) {
        reject('ERANGE', 'arena-crosses-4g', 'the user VMA must not cross a 4 GiB boundary');
      }
      // arena_map_mem_usage: the pages are accounted as they are allocated, not up front.
      return allocated(req, 0);
    },
    create: (spec) => new ArenaMap(env, spec),
  });
}
