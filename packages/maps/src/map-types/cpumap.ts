import type { MapTypeDescriptor } from '@bpfkit/kernel-api';
import { BPF_F_NUMA_NODE, BpfMapType } from '@bpfkit/uapi';
import { defineMapType } from '../define.js';
import { mapCheckNoBtf } from '../btf-checks.js';
import type { MapEnv } from '../deps.js';
import { allocated, areaAlloc, reject, unknownFlags } from '../checks.js';
import { CpuMap } from '../runtime/cpumap.js';

/** `BPF_MAP_TYPE_CPUMAP` (cpu_map_ops): values are `struct bpf_cpumap_val` (qsize, optionally a prog fd); at most NR_CPUS entries. */
export function cpumapMapType(env: MapEnv): MapTypeDescriptor {
  return defineMapType({
    type: BpfMapType.BPF_MAP_TYPE_CPUMAP, name: 'cpumap', capability: 'CAP_BPF',
    checkBtf: mapCheckNoBtf,
    alloc: (req) => {
      if (req.maxEntries === 0 || req.keySize !== 4 || (req.valueSize !== 4 && req.valueSize !== 8) ||
          unknownFlags(req.mapFlags, BPF_F_NUMA_NODE) !== 0) {
        reject('EINVAL', 'cpumap-attrs', 'need max_entries > 0, key_size 4, value_size 4 or 8 and only BPF_F_NUMA_NODE');
      }
      if (req.maxEntries > env.nrCpus) reject('E2BIG', 'cpumap-max-entries-above-nr-cpus', `max_entries above NR_CPUS (${String(env.nrCpus)})`);
      return allocated(req, areaAlloc(env, req.maxEntries * 8, 'the CPU entries'));
    },
    create: (spec) => new CpuMap(env, spec),
  });
}
