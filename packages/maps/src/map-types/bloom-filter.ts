import type { MapTypeDescriptor } from '@bpfkit/kernel-api';
import { BPF_F_NUMA_NODE, BPF_F_ZERO_SEED, BpfMapType } from '@bpfkit/uapi';
import { defineMapType } from '../define.js';
import { bloomCheckBtf } from '../btf-checks.js';
import type { MapEnv } from '../deps.js';
import { allocated, areaAlloc, flagsAccessOk, reject, roundUp, roundUpPow2, unknownFlags } from '../checks.js';
import { BPF_F_ACCESS_MASK } from '../flags.js';
import { BloomFilterMap } from '../runtime/bloom-filter.js';

/** `BLOOM_CREATE_FLAG_MASK`. */
const BLOOM_CREATE_FLAG_MASK = BPF_F_NUMA_NODE | BPF_F_ZERO_SEED | BPF_F_ACCESS_MASK;
const U32_MAX = 0xffffffff;

/** `BPF_MAP_TYPE_BLOOM_FILTER` (bloom_filter_map_ops): no keys; map_extra's low 4 bits are the hash count (0 = 5). */
export function bloomFilterMapType(env: MapEnv): MapTypeDescriptor {
  return defineMapType({
    type: BpfMapType.BPF_MAP_TYPE_BLOOM_FILTER, name: 'bloom_filter', capability: 'CAP_BPF',
    checkBtf: bloomCheckBtf,
    allocCheck: (req) => {
      if (req.valueSize > env.kmallocMaxSize) reject('E2BIG', 'bloom-value-too-big', 'value_size above KMALLOC_MAX_SIZE');
    },
    alloc: (req) => {
      if (req.keySize !== 0 || req.valueSize === 0 || req.maxEntries === 0 ||
          unknownFlags(req.mapFlags, BLOOM_CREATE_FLAG_MASK) !== 0 || !flagsAccessOk(req.mapFlags) ||
          (req.mapExtra & ~0xfn) !== 0n) {
        reject('EINVAL', 'bloom-attrs', 'need key_size 0, value_size > 0, max_entries > 0, map_extra <= 15 and only NUMA/ZERO_SEED/access flags');
      }
      const nrHashFuncs = Number(req.mapExtra) === 0 ? 5 : Number(req.mapExtra);
      // Optimal bit count is n * k / ln 2, approximated as n * k * 7 / 5 in u32 arithmetic.
      let nrBits = req.maxEntries * nrHashFuncs;
      let bitsetBytes: number;
      if (nrBits > U32_MAX || Math.floor(nrBits / 5) * 7 > U32_MAX || Math.floor(nrBits / 5) * 7 > 2 ** 31) {
        bitsetBytes = Math.ceil(U32_MAX / 8);
      } else {
        nrBits = Math.floor(nrBits / 5) * 7;
        nrBits = nrBits <= 64 ? 64 : roundUpPow2(nrBits);
        bitsetBytes = nrBits / 8;
      }
      return allocated(req, areaAlloc(env, 64 + roundUp(bitsetBytes, 8), 'the bit array'));
    },
    create: (spec) => new BloomFilterMap(env, spec),
  });
}
