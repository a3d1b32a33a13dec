import type { OpenFileKind } from '@bpfkit/kernel-api';
import type { BpfObject } from '../bpf/objects.js';
import type { TaskImpl } from '../task/task.js';

const LINK_TEXT: Partial<Record<OpenFileKind, string>> = {
  'bpf-map': 'anon_inode:bpf-map',
  'bpf-prog': 'anon_inode:bpf-prog',
  'bpf-btf': 'anon_inode:btf',
};

/**
 * `bpf_map_new_fd` and friends: an anon-inode file holding the caller's
 * reference on `obj`, installed O_CLOEXEC. If the install fails the reference
 * is dropped, so nothing leaks.
 */
export function installObjectFd(task: TaskImpl, kind: OpenFileKind, obj: BpfObject, flags = 2): number {
  const file = task.core.newFile(kind, false, flags, { object: obj, linkText: LINK_TEXT[kind] ?? 'anon_inode:bpf' });
  try {
    return task.fdTable.install(file, { cloexec: true });
  } catch (e) {
    file.get().put();
    throw e;
  }
}
