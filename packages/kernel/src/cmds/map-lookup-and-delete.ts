import { BpfError } from '@bpfkit/kernel-api';
import { BpfCmd, BpfMapType as M, decodeMapElemAttr } from '@bpfkit/uapi';
import { check, checkAttr } from '../bpf/check.js';
import { mapGet, requireMapAccess } from '../bpf/fd-get.js';
import { mapValueSize } from '../bpf/map-record.js';
import type { SyscallContext } from '../task/syscall-context.js';
import { checkLockFlag, checkOnlyLockFlag, copyKey, flagsNumber, liveMap } from './map-elem.js';

const ID = 'map_lookup_and_delete_elem';

/** Queues and stacks pop; these types look up and delete by key; every other type is ENOTSUPP. */
const POP_TYPES = new Set<number>([M.BPF_MAP_TYPE_QUEUE, M.BPF_MAP_TYPE_STACK]);
const KEYED_TYPES = new Set<number>([
  M.BPF_MAP_TYPE_HASH, M.BPF_MAP_TYPE_PERCPU_HASH, M.BPF_MAP_TYPE_LRU_HASH, M.BPF_MAP_TYPE_LRU_PERCPU_HASH, M.BPF_MAP_TYPE_STACK_TRACE,
]);

/**
 * BPF_MAP_LOOKUP_AND_DELETE_ELEM in the order of `map_lookup_and_delete_elem()`:
 * CHECK_ATTR, flags (only BPF_F_LOCK), the fd, read and write access, no flags
 * for queues and stacks, BPF_F_LOCK needs a spin lock, the key copy, then pop
 * (queue, stack) or lookup-and-delete (hashes), ENOTSUPP for other types.
 */
export function mapLookupAndDeleteElem(task: SyscallContext, bytes: Uint8Array): number {
  const core = task.core;
  checkAttr(core, BpfCmd.BPF_MAP_LOOKUP_AND_DELETE_ELEM, bytes);
  const attr = decodeMapElemAttr(bytes);
  checkOnlyLockFlag(core, ID, 'flags', attr.flags);
  const m = mapGet(task, attr.map_fd, ID);
  requireMapAccess(core, m, ID, true, true);
  const type = m.map.info.mapType;
  const pops = POP_TYPES.has(type);
  check(core, `${ID}:pop-flags`, !(pops && attr.flags !== 0n), 'EINVAL', 'map:pop-flags', {
    pass: pops ? 'no flags for a queue/stack pop' : 'flags are checked by the map type',
    fail: 'a queue/stack pop takes no flags',
  });
  checkLockFlag(core, ID, m, attr.flags);
  const key = copyKey(task, attr.key, m.map.info.keySize);
  const size = mapValueSize(m.map.info, core.cpus);
  if (!pops && (!KEYED_TYPES.has(type) || m.map.ifindex !== 0)) {
    throw new BpfError('ENOTSUPP', 'map:no-lookup-and-delete', `map type ${type} has no lookup-and-delete`);
  }
  const value = liveMap(m).sysLookupAndDelete(pops ? undefined : key, flagsNumber(attr.flags));
  task.memory.write(attr.value, value.subarray(0, size));
  return 0;
}
