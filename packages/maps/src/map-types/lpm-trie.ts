import type { MapTypeDescriptor } from '@bpfkit/kernel-api';
import { BPF_F_NO_PREALLOC, BPF_F_NUMA_NODE, BpfMapType } from '@bpfkit/uapi';
import { defineMapType } from '../define.js';
import { trieCheckBtf } from '../btf-checks.js';
import type { MapEnv } from '../deps.js';
import { allocated, flagsAccessOk, reject, unknownFlags } from '../checks.js';
import { BPF_F_ACCESS_MASK } from '../flags.js';
import { LpmTrieMap } from '../runtime/lpm-trie.js';

/** `LPM_CREATE_FLAG_MASK`. */
const LPM_CREATE_FLAG_MASK = BPF_F_NO_PREALLOC | BPF_F_NUMA_NODE | BPF_F_ACCESS_MASK;
/** `LPM_DATA_SIZE_MAX`: the longest prefix data, in bytes. */
const LPM_DATA_SIZE_MAX = 256;
/** `sizeof(struct lpm_trie_node)` (measured: values up to KMALLOC_MAX_SIZE - 256 - 24 fit). */
const LPM_NODE_SIZE = 24;
/** Keys are `struct bpf_lpm_trie_key_u8`: a u32 prefix length then 1..256 data bytes. */
const LPM_KEY_SIZE_MIN = 4 + 1;
const LPM_KEY_SIZE_MAX = 4 + LPM_DATA_SIZE_MAX;

/** `BPF_MAP_TYPE_LPM_TRIE` (trie_map_ops): must be created with BPF_F_NO_PREALLOC. */
export function lpmTrieMapType(env: MapEnv): MapTypeDescriptor {
  return defineMapType({
    type: BpfMapType.BPF_MAP_TYPE_LPM_TRIE, name: 'lpm_trie', capability: 'CAP_BPF',
    checkBtf: trieCheckBtf,
    alloc: (req) => {
      const valueSizeMax = env.kmallocMaxSize - LPM_DATA_SIZE_MAX - LPM_NODE_SIZE;
      if (req.maxEntries === 0) reject('EINVAL', 'lpm-max-entries-zero', 'max_entries must be > 0');
      if ((req.mapFlags & BPF_F_NO_PREALLOC) === 0) reject('EINVAL', 'lpm-needs-no-prealloc', 'LPM tries need BPF_F_NO_PREALLOC');
      if (unknownFlags(req.mapFlags, LPM_CREATE_FLAG_MASK) !== 0) reject('EINVAL', 'lpm-flags', 'map_flags has bits LPM tries do not take');
      if (!flagsAccessOk(req.mapFlags)) reject('EINVAL', 'flags-rdonly-and-wronly-prog', 'BPF_F_RDONLY_PROG and BPF_F_WRONLY_PROG together');
      if (req.keySize < LPM_KEY_SIZE_MIN || req.keySize > LPM_KEY_SIZE_MAX) reject('EINVAL', 'lpm-key-size', 'key_size must be 5..260');
      if (req.valueSize < 1 || req.valueSize > valueSizeMax) reject('EINVAL', 'lpm-value-size', `value_size must be 1..${String(valueSizeMax)}`);
      return allocated(req, 512);
    },
    create: (spec) => new LpmTrieMap(env, spec),
  });
}
