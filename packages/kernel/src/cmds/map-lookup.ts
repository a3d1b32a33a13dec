import { BpfCmd, BpfMapType as M, decodeMapElemAttr } from '@bpfkit/uapi';
import { checkAttr } from '../bpf/check.js';
import { mapGet, requireMapAccess } from '../bpf/fd-get.js';
import { mapValueSize } from '../bpf/map-record.js';
import type { SyscallContext } from '../task/syscall-context.js';
import { checkLockFlag, checkOnlyLockFlag, copyKey, flagsNumber, liveMap } from './map-elem.js';
import { bloomContains } from './map-program-ops.js';
import { checkStorageKeyFd, withOpenStorageKey } from './map-storage-key.js';

const ID = 'map_lookup_elem';

/**
 * BPF_MAP_LOOKUP_ELEM in the order of `map_lookup_elem()`: CHECK_ATTR, flags
 * (only BPF_F_LOCK), the fd, read access, BPF_F_LOCK needs a spin lock, the
 * key copy, then the map's lookup and the copy out. A bloom filter's lookup
 * tests the value the caller passes instead.
 */
export function mapLookupElem(task: SyscallContext, bytes: Uint8Array): number {
  const core = task.core;
  checkAttr(core, BpfCmd.BPF_MAP_LOOKUP_ELEM, bytes);
  const attr = decodeMapElemAttr(bytes);
  checkOnlyLockFlag(core, ID, 'flags', attr.flags);
  const m = mapGet(task, attr.map_fd, ID);
  requireMapAccess(core, m, ID, true, false);
  checkLockFlag(core, ID, m, attr.flags);
  const key = copyKey(task, attr.key, m.map.info.keySize);
  const size = mapValueSize(m.map.info, core.cpus);
  const live = liveMap(m);
  if (m.map.info.mapType === M.BPF_MAP_TYPE_BLOOM_FILTER) {
    bloomContains(core, live, task.memory.read(attr.value, size));
    return 0;
  }
  checkStorageKeyFd(task, m.map, key);
  const value = withOpenStorageKey(m.map, () => live.sysLookup(key, flagsNumber(attr.flags)));
  task.memory.write(attr.value, value.length === size ? value : value.subarray(0, size));
  return 0;
}
