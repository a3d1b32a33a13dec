import { BpfCmd, BpfMapType, decodeMapElemAttr } from '@bpfkit/uapi';
import { checkAttr } from '../bpf/check.js';
import { mapGet, requireMapAccess } from '../bpf/fd-get.js';
import type { SyscallContext } from '../task/syscall-context.js';
import { copyKey, liveMap } from './map-elem.js';
import { checkStorageKeyFd, withOpenStorageKey } from './map-storage-key.js';
import { structOpsMapDelete } from './map-struct-ops.js';

const ID = 'map_delete_elem';

/** BPF_MAP_DELETE_ELEM in the order of `map_delete_elem()`: CHECK_ATTR, the fd, write access, the key copy, the map's delete. */
export function mapDeleteElem(task: SyscallContext, bytes: Uint8Array): number {
  const core = task.core;
  checkAttr(core, BpfCmd.BPF_MAP_DELETE_ELEM, bytes);
  const attr = decodeMapElemAttr(bytes);
  const m = mapGet(task, attr.map_fd, ID);
  requireMapAccess(core, m, ID, false, true);
  const key = copyKey(task, attr.key, m.map.info.keySize);
  if (m.map.info.mapType === BpfMapType.BPF_MAP_TYPE_STRUCT_OPS) {
    structOpsMapDelete(task, m, key);
    return 0;
  }
  const live = liveMap(m);
  checkStorageKeyFd(task, m.map, key);
  withOpenStorageKey(m.map, () => { live.sysDelete(key); });
  return 0;
}
