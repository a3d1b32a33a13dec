import type { OpenFileKind } from '@bpfkit/kernel-api';
import type { BpfObject } from '../bpf/objects.js';
import type { SyscallContext } from '../task/syscall-context.js';
import { mapPutUref, type MapRecord } from '../bpf/map-record.js';

const LINK_TEXT: Partial<Record<OpenFileKind, string>> = {
  'bpf-map': 'anon_inode:bpf-map',
  'bpf-prog': 'anon_inode:bpf-prog',
  'bpf-btf': 'anon_inode:btf',
  'bpf-link': 'anon_inode:bpf_link',
};

/**
 * `bpf_map_new_fd` and friends: an anon-inode file holding the caller's
 * reference on `obj`, installed O_CLOEXEC. If the install fails the reference
 * is dropped, so nothing leaks. A map file is also a user reference on the map,
 * and its release is the map's `map_release`.
 */
export function installObjectFd(task: SyscallContext, kind: OpenFileKind, obj: BpfObject, flags = 2): number {
  const map = obj.kind === 'map' ? (obj.impl as MapRecord) : undefined;
  if (map !== undefined) map.urefs++;
  const file = task.core.newFile(kind, false, flags, { object: obj, linkText: LINK_TEXT[kind] ?? 'anon_inode:bpf' }, (dead) => {
    if (map === undefined) return;
    // bpf_map_release: the map's map_release (perf event arrays drop the slots filled through this file), then the uref.
    map.live?.mapRelease?.(dead);
    mapPutUref(map);
  });
  try {
    return task.fdTable.install(file, { cloexec: true });
  } catch (e) {
    file.get().put();
    throw e;
  }
}
