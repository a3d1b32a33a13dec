import { BpfCmd, decodeMapElemAttr } from '@bpfkit/uapi';
import { checkAttr } from '../bpf/check.js';
import { mapGet, requireMapAccess } from '../bpf/fd-get.js';
import type { SyscallContext } from '../task/syscall-context.js';
import { copyKey, liveMap } from './map-elem.js';

const ID = 'map_get_next_key';

/**
 * BPF_MAP_GET_NEXT_KEY in the order of `map_get_next_key()`: CHECK_ATTR, the
 * fd, read access, the key copy (a NULL key asks for the first key), the map's
 * next key (ENOENT after the last), the copy out to `next_key`.
 */
export function mapGetNextKey(task: SyscallContext, bytes: Uint8Array): number {
  const core = task.core;
  checkAttr(core, BpfCmd.BPF_MAP_GET_NEXT_KEY, bytes);
  const attr = decodeMapElemAttr(bytes);
  const m = mapGet(task, attr.map_fd, ID);
  requireMapAccess(core, m, ID, true, false);
  const key = attr.key === 0n ? undefined : copyKey(task, attr.key, m.map.info.keySize);
  const next = liveMap(m).sysGetNextKey(key);
  task.memory.write(attr.next_key, next.subarray(0, m.map.info.keySize));
  return 0;
}
