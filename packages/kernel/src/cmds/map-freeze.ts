import { BpfCmd, BpfMapType as M, decodeMapElemAttr } from '@bpfkit/uapi';
import { check, checkAttr } from '../bpf/check.js';
import { mapGet, requireMapAccess } from '../bpf/fd-get.js';
import type { SyscallContext } from '../task/syscall-context.js';

const ID = 'map_freeze';

/**
 * BPF_MAP_FREEZE in the order of `map_freeze()`: CHECK_ATTR, the fd, no
 * struct_ops map and no special fields in the value (ENOTSUPP), write access
 * (so freezing twice is EPERM: a frozen map is no longer writable), no
 * writable mmap alive (EBUSY), then the map is frozen for good.
 */
export function mapFreeze(task: SyscallContext, bytes: Uint8Array): number {
  const core = task.core;
  checkAttr(core, BpfCmd.BPF_MAP_FREEZE, bytes);
  const attr = decodeMapElemAttr(bytes);
  const m = mapGet(task, attr.map_fd, ID);
  const rec = m.map;
  check(core, `${ID}:supported`, rec.info.mapType !== M.BPF_MAP_TYPE_STRUCT_OPS && rec.fields.length === 0, 'ENOTSUPP', 'map:freeze-not-supported', {
    pass: `map #${m.obj.id} may be frozen (no struct_ops, no special fields in its value)`,
    fail: `map #${m.obj.id} cannot be frozen: ${rec.fields.length === 0 ? 'a struct_ops map' : 'its value has special fields'}`,
  });
  requireMapAccess(core, m, ID, false, true);
  check(core, `${ID}:writecnt`, rec.writeActive === 0, 'EBUSY', 'map:freeze-while-mapped', {
    pass: `map #${m.obj.id} has no writable mmap`,
    fail: `map #${m.obj.id} has ${rec.writeActive} writable mmap(s)`,
  });
  check(core, `${ID}:frozen`, !rec.frozen, 'EBUSY', 'map:already-frozen', {
    pass: `map #${m.obj.id} is still writable (never frozen)`,
    fail: `map #${m.obj.id} is already frozen`,
  });
  rec.frozen = true;
  return 0;
}
