import type { MapTypeDescriptor } from '@bpfkit/kernel-api';
import { BPF_F_NUMA_NODE, BPF_F_RDONLY, BPF_F_WRONLY, BpfMapType } from '@bpfkit/uapi';
import { defineMapType } from '../define.js';
import { mapCheckNoBtf } from '../btf-checks.js';
import type { MapEnv } from '../deps.js';
import { allocated, areaAlloc, MAX_BPF_STACK, reject, roundUpPow2, unknownFlags } from '../checks.js';
import { SockHash } from '../runtime/sockhash.js';

/** `sizeof(struct bpf_shtab_bucket)`. */
const SHTAB_BUCKET_SIZE = 16;

/** `BPF_MAP_TYPE_SOCKHASH` (sock_hash_ops): sockets by key; keys up to MAX_BPF_STACK bytes. */
export function sockhashMapType(env: MapEnv): MapTypeDescriptor {
  return defineMapType({
    type: BpfMapType.BPF_MAP_TYPE_SOCKHASH, name: 'sockhash', capability: 'CAP_NET_ADMIN',
    checkBtf: mapCheckNoBtf,
    alloc: (req) => {
      if (req.maxEntries === 0 || req.keySize === 0 || (req.valueSize !== 4 && req.valueSize !== 8) ||
          unknownFlags(req.mapFlags, BPF_F_NUMA_NODE | BPF_F_RDONLY | BPF_F_WRONLY) !== 0) {
        reject('EINVAL', 'sockhash-attrs', 'need max_entries > 0, key_size > 0, value_size 4 or 8 and only NUMA/RDONLY/WRONLY flags');
      }
      if (req.keySize > MAX_BPF_STACK) reject('E2BIG', 'sockhash-key-too-big', 'key_size above MAX_BPF_STACK (512)');
      // The bucket count is a u32: 2^32 wraps to 0, which the kernel refuses like an overflow.
      const buckets = roundUpPow2(req.maxEntries) % 2 ** 32;
      if (buckets === 0 || buckets > Math.floor(0xffffffff / SHTAB_BUCKET_SIZE)) {
        reject('EINVAL', 'sockhash-too-many-buckets', 'bucket array would overflow u32');
      }
      return allocated(req, areaAlloc(env, buckets * SHTAB_BUCKET_SIZE, 'the buckets'));
    },
    create: (spec) => new SockHash(env, spec),
  });
}
