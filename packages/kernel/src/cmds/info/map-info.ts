import { BpfError } from '@bpfkit/kernel-api';
import { BpfMapType as M } from '@bpfkit/uapi';
import type { MapRecord } from '../../bpf/map-record.js';
import type { BpfObject } from '../../bpf/objects.js';
import type { SyscallContext } from '../../task/syscall-context.js';
import { sha256 } from '../../bpf/prog-tag.js';
import { BPF_MAP_INFO, InfoStruct } from './layout.js';
import { finishInfo, infoTailZero, nameBytes, readUserInfo } from './user-info.js';

const SHA256_DIGEST_SIZE = 32;

/**
 * `array_map_get_hash`: SHA-256 over every element, each `round_up(value_size, 8)`
 * bytes (the padding is never written, so it is zero).
 */
function arrayHash(map: MapRecord): Uint8Array {
  const { valueSize, maxEntries } = map.info;
  const elem = Math.ceil(valueSize / 8) * 8;
  const all = new Uint8Array(elem * maxEntries);
  const live = map.live;
  if (live !== undefined) {
    const key = new Uint8Array(4);
    const kv = new DataView(key.buffer);
    for (let i = 0; i < maxEntries; i++) {
      kv.setUint32(0, i, true);
      all.set(live.sysLookup(key, 0).subarray(0, valueSize), i * elem);
    }
  }
  return sha256(all);
}

/**
 * `bpf_map_get_info_by_fd`: the tail check, the caller's struct read in (for
 * `hash`/`hash_size`), the map's attributes filled, the struct and `info_len`
 * written back. A `hash` request needs an array map (EINVAL), a 32-byte
 * digest size (EINVAL) and a frozen map (EPERM); the SHA-256 of the values
 * then goes to `hash`.
 */
export function mapGetInfo(task: SyscallContext, obj: BpfObject, uinfo: bigint, infoLen: number, uattr: Uint8Array): number {
  const map = obj.impl as MapRecord;
  const len = infoTailZero(task, uinfo, BPF_MAP_INFO.size, infoLen);
  const info = new InfoStruct(BPF_MAP_INFO, readUserInfo(task, uinfo, len));
  const i = map.info;
  info.set('type', i.mapType);
  info.set('id', obj.id);
  info.set('key_size', i.keySize);
  info.set('value_size', i.valueSize);
  info.set('max_entries', i.maxEntries);
  info.set('map_flags', i.mapFlags);
  info.set('map_extra', map.mapExtra);
  info.setBytes('name', nameBytes(map.name));
  if (map.btf !== undefined) {
    info.set('btf_id', map.btf.btfId);
    info.set('btf_key_type_id', map.btf.keyTypeId);
    info.set('btf_value_type_id', map.btf.valueTypeId);
  }
  info.set('btf_vmlinux_value_type_id', map.btfVmlinuxValueTypeId);
  // bpf_map_struct_ops_info_fill: the BTF object the value type lives in (vmlinux).
  if (i.mapType === M.BPF_MAP_TYPE_STRUCT_OPS) info.set('btf_vmlinux_id', 1);
  if (info.get('hash') !== 0n) {
    if (i.mapType !== M.BPF_MAP_TYPE_ARRAY) throw new BpfError('EINVAL', 'info:map-hash-not-supported', 'only array maps have a hash');
    if (info.getU32('hash_size') !== SHA256_DIGEST_SIZE) throw new BpfError('EINVAL', 'info:map-hash-size', `hash_size must be ${SHA256_DIGEST_SIZE}`);
    if (!map.frozen) throw new BpfError('EPERM', 'info:map-hash-not-frozen', 'the map must be frozen before its hash is taken');
    task.memory.write(info.get('hash'), arrayHash(map));
  } else if (info.getU32('hash_size') !== 0) {
    throw new BpfError('EINVAL', 'info:map-hash-size-without-hash', 'hash_size given without hash');
  }
  finishInfo(task, uattr, uinfo, info.bytes, len);
  return 0;
}
