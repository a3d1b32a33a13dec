import { BpfCmd, BpfMapType, decodeMapElemAttr } from '@bpfkit/uapi';
import { checkAttr } from '../bpf/check.js';
import { mapGet, requireMapAccess } from '../bpf/fd-get.js';
import { mapValueSize } from '../bpf/map-record.js';
import type { SyscallContext } from '../task/syscall-context.js';
import { checkLockFlag, copyKey, flagsNumber, liveMap, syscallContext } from './map-elem.js';
import { checkStorageKeyFd } from './map-storage-key.js';
import { structOpsMapUpdate } from './map-struct-ops.js';

const ID = 'map_update_elem';

/**
 * BPF_MAP_UPDATE_ELEM in the order of `map_update_elem()`: CHECK_ATTR, the fd,
 * write access (a frozen map is not writable), BPF_F_LOCK needs a spin lock,
 * the key and value copies, then the map's update, which checks the flags
 * itself (BPF_ANY/NOEXIST/EXIST per type).
 */
export function mapUpdateElem(task: SyscallContext, bytes: Uint8Array): number {
  const core = task.core;
  checkAttr(core, BpfCmd.BPF_MAP_UPDATE_ELEM, bytes);
  const attr = decodeMapElemAttr(bytes);
  const m = mapGet(task, attr.map_fd, ID);
  requireMapAccess(core, m, ID, false, true);
  checkLockFlag(core, ID, m, attr.flags);
  const key = copyKey(task, attr.key, m.map.info.keySize);
  const value = task.memory.read(attr.value, mapValueSize(m.map.info, core.cpus));
  if (m.map.info.mapType === BpfMapType.BPF_MAP_TYPE_STRUCT_OPS) {
    structOpsMapUpdate(task, m, key, value, flagsNumber(attr.flags));
    return 0;
  }
  checkStorageKeyFd(task, m.map, key);
  liveMap(m).sysUpdate(key, value, flagsNumber(attr.flags), syscallContext(task, m));
  return 0;
}
