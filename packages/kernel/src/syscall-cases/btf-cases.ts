import { BPF_F_LOCK, BPF_F_NO_PREALLOC, BpfCmd, BpfMapType as M, encodeInfoAttr } from '@bpfkit/uapi';
import { SPIN_LOCK_BTF, loadBtf } from './btf.js';
import { batchAttr, batchCount, concat, del, freeze, hex, lookup, lookupAndDelete, mapCreate, mapInfo, nextKey, u32, update } from './ops.js';
import type { SyscallCase } from './runner.js';

const LOCK = BigInt(BPF_F_LOCK);

/** A hash whose value holds a `bpf_spin_lock`: BPF_F_LOCK works, the lock never leaves the kernel, freeze is refused. */
const SPIN_LOCK: SyscallCase = {
  name: 'map btf: values with a bpf_spin_lock',
  run(r) {
    const btf = loadBtf(r, 'load BTF', SPIN_LOCK_BTF);
    if (btf === undefined) return;
    for (const [what, type] of [['hash', M.BPF_MAP_TYPE_HASH], ['array', M.BPF_MAP_TYPE_ARRAY]] as const) {
      const fd = mapCreate(r, `create a ${what}`, { map_type: type, key_size: 4, value_size: 8, max_entries: 4, btf_fd: btf, btf_key_type_id: 1, btf_value_type_id: 3 });
      if (fd === undefined) continue;
      const value = concat(u32(0xdead), u32(77));
      update(r, `${what}: update with BPF_F_LOCK`, fd, u32(1), value, LOCK);
      update(r, `${what}: update without BPF_F_LOCK`, fd, u32(2), value);
      update(r, `${what}: update with BPF_F_LOCK|BPF_NOEXIST on key 1`, fd, u32(1), value, LOCK | 1n);
      lookup(r, `${what}: lookup with BPF_F_LOCK (the lock reads as 0)`, fd, u32(1), 8, LOCK);
      lookup(r, `${what}: lookup without BPF_F_LOCK`, fd, u32(2), 8);
      lookupAndDelete(r, `${what}: lookup_and_delete with BPF_F_LOCK`, fd, u32(2), 8, LOCK);
      freeze(r, `${what}: freeze`, fd);
      mapInfo(r, `${what}: info names the BTF`, fd);
      const keys = r.mem(16);
      const values = r.mem(32);
      const a = batchAttr({ map_fd: fd, keys, values, count: 4, out_batch: r.mem(8), elem_flags: LOCK });
      r.call(`${what}: lookup batch with BPF_F_LOCK`, BpfCmd.BPF_MAP_LOOKUP_BATCH, a, () => ({ count: batchCount(a) }));
    }
    const plain = mapCreate(r, 'create a hash of a value without a lock', { map_type: M.BPF_MAP_TYPE_HASH, key_size: 4, value_size: 4, max_entries: 4, btf_fd: btf, btf_key_type_id: 1, btf_value_type_id: 4 });
    if (plain !== undefined) {
      update(r, 'no lock: update with BPF_F_LOCK', plain, u32(1), u32(5), LOCK);
      freeze(r, 'no lock: freeze', plain);
    }
    const info = r.mem(32);
    const attr = encodeInfoAttr({ bpf_fd: btf, info_len: 32, info });
    r.call('info of the loaded BTF', BpfCmd.BPF_OBJ_GET_INFO_BY_FD, attr, () => {
      const v = new DataView(r.read(info, 32).buffer);
      return { btf_size: v.getUint32(8, true), idNonZero: v.getUint32(12, true) !== 0, name_len: v.getUint32(24, true), kernel_btf: v.getUint32(28, true) };
    });
    const data = r.mem(SPIN_LOCK_BTF.length);
    const withData = new Uint8Array(32);
    const dv = new DataView(withData.buffer);
    dv.setBigUint64(0, data, true);
    dv.setUint32(8, SPIN_LOCK_BTF.length, true);
    r.call('the loaded BTF reads back as loaded', BpfCmd.BPF_OBJ_GET_INFO_BY_FD, encodeInfoAttr({ bpf_fd: btf, info_len: 32, info: r.mem(withData) }),
      () => ({ same: hex(r.read(data, SPIN_LOCK_BTF.length)) === hex(SPIN_LOCK_BTF) }));
  },
};

/** Local storages key by an fd of their owner (socket, task, inode, cgroup): what the syscall side makes of other fds. */
function storageCase(name: string, type: number): SyscallCase {
  return {
    name: `map ops: ${name} keyed by fds`,
    run(r) {
      const btf = loadBtf(r, 'load BTF', SPIN_LOCK_BTF);
      if (btf === undefined) return;
      const fd = mapCreate(r, 'create', { map_type: type, key_size: 4, value_size: 4, max_entries: 0, map_flags: BPF_F_NO_PREALLOC, btf_fd: btf, btf_key_type_id: 1, btf_value_type_id: 4 });
      if (fd === undefined) return;
      lookup(r, 'lookup with fd 9999', fd, u32(9999), 4);
      lookup(r, "lookup with the map's own fd", fd, u32(fd), 4);
      update(r, 'update with fd 9999', fd, u32(9999), u32(1));
      update(r, "update with the map's own fd", fd, u32(fd), u32(1));
      del(r, "delete with the map's own fd", fd, u32(fd));
      nextKey(r, 'get_next_key', fd, undefined, 4);
    },
  };
}

/** Maps whose values carry BTF-described special fields, and the local storages, recorded on Linux 6.18. */
export const BTF_MAP_CASES: readonly SyscallCase[] = [
  SPIN_LOCK,
  storageCase('sk_storage', M.BPF_MAP_TYPE_SK_STORAGE),
  storageCase('task_storage', M.BPF_MAP_TYPE_TASK_STORAGE),
  storageCase('inode_storage', M.BPF_MAP_TYPE_INODE_STORAGE),
  storageCase('cgrp_storage', M.BPF_MAP_TYPE_CGRP_STORAGE),
];
