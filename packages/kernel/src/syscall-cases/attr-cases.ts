import {
  BPF_ATTR_SIZE,
  BPF_F_RDONLY,
  BPF_F_RDONLY_PROG,
  BPF_F_WRONLY,
  BpfCmd,
  BpfMapType as M,
  encodeGetIdAttr,
  encodeInfoAttr,
  encodeMapElemAttr,
} from '@bpfkit/uapi';
import {
  allKeys,
  batchAttr,
  batchCount,
  del,
  fdById,
  freeze,
  hex,
  lookup,
  lookupAndDelete,
  mapCreate,
  mapInfo,
  nextKey,
  objectId,
  u32,
  u64,
  update,
} from './ops.js';
import type { CaseRunner, SyscallCase } from './runner.js';

const array = (r: CaseRunner, step = 'create', flags = 0): number | undefined =>
  mapCreate(r, step, { map_type: M.BPF_MAP_TYPE_ARRAY, key_size: 4, value_size: 8, max_entries: 4, map_flags: flags });
const hash = (r: CaseRunner, step = 'create'): number | undefined =>
  mapCreate(r, step, { map_type: M.BPF_MAP_TYPE_HASH, key_size: 4, value_size: 8, max_entries: 8 });

/** Bad fds, NULL pointers, CHECK_ATTR and flags on the element commands. */
const BAD_ATTRS: SyscallCase = {
  name: 'map elem: bad fds, pointers and attrs',
  run(r) {
    const fd = array(r);
    const h = hash(r, 'create a hash');
    if (fd === undefined || h === undefined) return;
    lookup(r, 'lookup on fd 9999', 9999, u32(0), 8);
    lookup(r, 'lookup with a NULL key', fd, undefined, 8);
    r.call('lookup with a NULL value', BpfCmd.BPF_MAP_LOOKUP_ELEM, encodeMapElemAttr({ map_fd: fd, key: r.mem(u32(0)), value: 0n }));
    r.call('lookup of a missing hash key with a NULL value', BpfCmd.BPF_MAP_LOOKUP_ELEM, encodeMapElemAttr({ map_fd: h, key: r.mem(u32(0)), value: 0n }));
    r.call('update with a NULL value', BpfCmd.BPF_MAP_UPDATE_ELEM, encodeMapElemAttr({ map_fd: fd, key: r.mem(u32(0)), value: 0n }));
    update(r, 'update a hash with a NULL key', h, undefined, u64(1));
    del(r, 'delete with a NULL key', h, undefined);
    r.call('get_next_key into a NULL next_key', BpfCmd.BPF_MAP_GET_NEXT_KEY, encodeMapElemAttr({ map_fd: fd, key: 0n, next_key: 0n }));
    const tail = encodeMapElemAttr({ map_fd: fd, key: r.mem(u32(0)), value: r.mem(8) }, BPF_ATTR_SIZE);
    tail[40] = 1;
    r.call('lookup with a non-zero byte past flags', BpfCmd.BPF_MAP_LOOKUP_ELEM, tail);
    r.call('delete with a value pointer (past its last field)', BpfCmd.BPF_MAP_DELETE_ELEM, encodeMapElemAttr({ map_fd: fd, key: r.mem(u32(0)), value: r.mem(8) }));
    r.call('get_next_key with flags (past its last field)', BpfCmd.BPF_MAP_GET_NEXT_KEY, encodeMapElemAttr({ map_fd: fd, key: 0n, next_key: r.mem(4), flags: 1n }));
    r.call('freeze with a key (past its last field)', BpfCmd.BPF_MAP_FREEZE, encodeMapElemAttr({ map_fd: fd, key: 1n }));
    const btf = fdById(r, 'BTF_GET_FD_BY_ID 1 (vmlinux)', BpfCmd.BPF_BTF_GET_FD_BY_ID, 1);
    if (btf !== undefined) {
      lookup(r, 'lookup on a BTF fd', btf, u32(0), 8);
      update(r, 'update on a BTF fd', btf, u32(0), u64(0));
      freeze(r, 'freeze a BTF fd', btf);
    }
    r.call('lookup with a short attr (map_fd and key only)', BpfCmd.BPF_MAP_LOOKUP_ELEM, encodeMapElemAttr({ map_fd: fd, key: r.mem(u32(0)) }, 16));
  },
};

/** fd access modes: BPF_F_RDONLY / BPF_F_WRONLY maps, and fds by id with open_flags. */
const FD_MODES: SyscallCase = {
  name: 'map elem: read-only and write-only fds',
  run(r) {
    const ro = array(r, 'create with BPF_F_RDONLY', BPF_F_RDONLY);
    const wo = array(r, 'create with BPF_F_WRONLY', BPF_F_WRONLY);
    if (ro === undefined || wo === undefined) return;
    lookup(r, 'lookup through the read-only fd', ro, u32(0), 8);
    update(r, 'update through the read-only fd', ro, u32(0), u64(1));
    del(r, 'delete through the read-only fd', ro, u32(0));
    nextKey(r, 'get_next_key through the read-only fd', ro, undefined, 4);
    lookup(r, 'lookup through the write-only fd', wo, u32(0), 8);
    update(r, 'update through the write-only fd', wo, u32(0), u64(1));
    nextKey(r, 'get_next_key through the write-only fd', wo, undefined, 4);
    lookupAndDelete(r, 'lookup_and_delete through the write-only fd', wo, u32(0), 8);
    freeze(r, 'freeze through the read-only fd', ro);
    mapInfo(r, 'info of the read-only map (no RDONLY in map_flags)', ro);
    const id = objectId(r, wo, 104);
    const rw = fdById(r, 'MAP_GET_FD_BY_ID read-write', BpfCmd.BPF_MAP_GET_FD_BY_ID, id);
    if (rw !== undefined) lookup(r, 'lookup through the read-write fd by id', rw, u32(0), 8);
    const rdonly = fdById(r, 'MAP_GET_FD_BY_ID with BPF_F_RDONLY', BpfCmd.BPF_MAP_GET_FD_BY_ID, id, BPF_F_RDONLY);
    if (rdonly !== undefined) update(r, 'update through the BPF_F_RDONLY fd by id', rdonly, u32(0), u64(2));
    fdById(r, 'MAP_GET_FD_BY_ID with RDONLY|WRONLY', BpfCmd.BPF_MAP_GET_FD_BY_ID, id, BPF_F_RDONLY | BPF_F_WRONLY);
    fdById(r, 'MAP_GET_FD_BY_ID with open_flags 0x20', BpfCmd.BPF_MAP_GET_FD_BY_ID, id, 0x20);
    fdById(r, 'MAP_GET_FD_BY_ID of id 0', BpfCmd.BPF_MAP_GET_FD_BY_ID, 0);
    fdById(r, 'MAP_GET_FD_BY_ID of id 0x7ffffffe', BpfCmd.BPF_MAP_GET_FD_BY_ID, 0x7fff_fffe);
    fdById(r, 'PROG_GET_FD_BY_ID of id 0', BpfCmd.BPF_PROG_GET_FD_BY_ID, 0);
    fdById(r, 'PROG_GET_FD_BY_ID of id 0x7ffffffe', BpfCmd.BPF_PROG_GET_FD_BY_ID, 0x7fff_fffe);
    fdById(r, 'BTF_GET_FD_BY_ID of id 0x7ffffffe', BpfCmd.BPF_BTF_GET_FD_BY_ID, 0x7fff_fffe);
  },
};

/** BPF_MAP_FREEZE: writes from the syscall side stop; a second freeze fails. */
const FREEZE: SyscallCase = {
  name: 'map freeze',
  run(r) {
    const fd = array(r);
    const prog = array(r, 'create with BPF_F_RDONLY_PROG', BPF_F_RDONLY_PROG);
    if (fd === undefined || prog === undefined) return;
    update(r, 'update before freeze', fd, u32(1), u64(7));
    freeze(r, 'freeze', fd);
    update(r, 'update after freeze', fd, u32(1), u64(8));
    del(r, 'delete after freeze', fd, u32(1));
    lookup(r, 'lookup after freeze', fd, u32(1), 8);
    nextKey(r, 'get_next_key after freeze', fd, undefined, 4);
    freeze(r, 'freeze again', fd);
    r.call('batch update after freeze', BpfCmd.BPF_MAP_UPDATE_BATCH, batchAttr({ map_fd: fd, keys: r.mem(u32(0)), values: r.mem(8), count: 1 }));
    freeze(r, 'freeze a BPF_F_RDONLY_PROG map', prog);
    update(r, 'update a BPF_F_RDONLY_PROG map from the syscall side', prog, u32(0), u64(1));
    const q = mapCreate(r, 'create a queue', { map_type: M.BPF_MAP_TYPE_QUEUE, value_size: 4, max_entries: 2 });
    if (q !== undefined) {
      update(r, 'push before freeze', q, undefined, u32(1));
      freeze(r, 'freeze the queue', q);
      update(r, 'push after freeze', q, undefined, u32(2));
      lookupAndDelete(r, 'pop after freeze', q, undefined, 4);
    }
  },
};

/** Batch commands on an array and a hash: counts written back, ENOENT at the end, elem_flags and flags. */
const BATCH: SyscallCase = {
  name: 'map batch: array and hash',
  run(r) {
    const fd = array(r);
    const h = hash(r, 'create a hash');
    if (fd === undefined || h === undefined) return;
    const keys = r.mem(new Uint8Array([...u32(0), ...u32(1), ...u32(2)]));
    const values = r.mem(new Uint8Array([...u64(10), ...u64(11), ...u64(12)]));
    const attr = (cmd: number, fields: Parameters<typeof batchAttr>[0], step: string): void => {
      const a = batchAttr(fields);
      r.call(step, cmd, a, () => ({ count: batchCount(a) }));
    };
    attr(BpfCmd.BPF_MAP_UPDATE_BATCH, { map_fd: fd, keys, values, count: 3 }, 'array update batch of 3');
    attr(BpfCmd.BPF_MAP_UPDATE_BATCH, { map_fd: fd, keys, values, count: 0 }, 'array update batch of 0');
    attr(BpfCmd.BPF_MAP_UPDATE_BATCH, { map_fd: fd, keys, values, count: 3, elem_flags: 1n }, 'array update batch with elem_flags 1');
    attr(BpfCmd.BPF_MAP_UPDATE_BATCH, { map_fd: fd, keys, values, count: 3, elem_flags: 4n }, 'array update batch with BPF_F_LOCK');
    attr(BpfCmd.BPF_MAP_UPDATE_BATCH, { map_fd: fd, keys, values: 0n, count: 2 }, 'array update batch with NULL values');
    const badKeys = r.mem(new Uint8Array([...u32(1), ...u32(7), ...u32(2)]));
    attr(BpfCmd.BPF_MAP_UPDATE_BATCH, { map_fd: fd, keys: badKeys, values, count: 3 }, 'array update batch stopping at key 7');
    const outKeys = r.mem(4 * 8);
    const outValues = r.mem(8 * 8);
    const outBatch = r.mem(8);
    const lookupAll = (step: string, m: number, count: number, inBatch: bigint, cmd: number = BpfCmd.BPF_MAP_LOOKUP_BATCH, flags = 0n): void => {
      const a = batchAttr({ map_fd: m, keys: outKeys, values: outValues, count, in_batch: inBatch, out_batch: outBatch, flags });
      const more = (): Record<string, string | number | string[]> => {
        const n = batchCount(a);
        const pairs: string[] = [];
        for (let i = 0; i < Math.min(n, 8); i++) pairs.push(`${hex(r.read(outKeys + BigInt(i * 4), 4))}=${hex(r.read(outValues + BigInt(i * 8), 8))}`);
        return { count: n, pairs: m === h ? pairs.sort() : pairs };
      };
      r.call(step, cmd, a, more);
    };
    lookupAll('array lookup batch of 8 (all 4, then ENOENT)', fd, 8, 0n);
    lookupAll('array lookup batch of 2', fd, 2, 0n);
    r.record('array out_batch after 2', hex(r.read(outBatch, 4)));
    lookupAll('array lookup batch of 2 from out_batch', fd, 2, outBatch);
    lookupAll('array lookup batch of 8 from out_batch', fd, 8, outBatch);
    lookupAll('array lookup batch of 0', fd, 0, 0n);
    r.call('array delete batch (no such op)', BpfCmd.BPF_MAP_DELETE_BATCH, batchAttr({ map_fd: fd, keys, count: 1 }));
    r.call('array lookup_and_delete batch (no such op)', BpfCmd.BPF_MAP_LOOKUP_AND_DELETE_BATCH, batchAttr({ map_fd: fd, keys: outKeys, values: outValues, count: 1, out_batch: outBatch }));
    attr(BpfCmd.BPF_MAP_UPDATE_BATCH, { map_fd: h, keys, values, count: 3 }, 'hash update batch of 3');
    lookupAll('hash lookup batch of 8 (all, then ENOENT)', h, 8, 0n);
    lookupAll('hash lookup batch with flags 1', h, 8, 0n, BpfCmd.BPF_MAP_LOOKUP_BATCH, 1n);
    const far = r.mem(u32(1000));
    lookupAll('hash lookup batch from bucket 1000', h, 8, far);
    const nullKeys = (step: string, m: number): void => {
      const a = batchAttr({ map_fd: m, keys: 0n, values: outValues, count: 8, out_batch: outBatch });
      r.call(step, BpfCmd.BPF_MAP_LOOKUP_BATCH, a, () => ({ count: batchCount(a) }));
    };
    nullKeys('array lookup batch into NULL keys', fd);
    nullKeys('hash lookup batch into NULL keys', h);
    r.call('hash lookup batch with a NULL out_batch', BpfCmd.BPF_MAP_LOOKUP_BATCH, batchAttr({ map_fd: h, keys: outKeys, values: outValues, count: 8 }));
    attr(BpfCmd.BPF_MAP_DELETE_BATCH, { map_fd: h, keys, count: 1 }, 'hash delete batch of key 0');
    attr(BpfCmd.BPF_MAP_DELETE_BATCH, { map_fd: h, keys, count: 2 }, 'hash delete batch of keys 0 (gone) and 1');
    lookupAll('hash lookup_and_delete batch of 8', h, 8, 0n, BpfCmd.BPF_MAP_LOOKUP_AND_DELETE_BATCH);
    allKeys(r, 'hash keys after lookup_and_delete batch', h, 4, true);
    const q = mapCreate(r, 'create a queue', { map_type: M.BPF_MAP_TYPE_QUEUE, value_size: 4, max_entries: 2 });
    if (q !== undefined) attr(BpfCmd.BPF_MAP_LOOKUP_BATCH, { map_fd: q, keys, values, count: 1 }, 'queue lookup batch (no such op)');
    attr(BpfCmd.BPF_MAP_LOOKUP_BATCH, { map_fd: 9999, keys, values, count: 1 }, 'lookup batch on fd 9999');
  },
};

/** Every map type with batch operations: update, lookup and delete in batches. */
const BATCH_TYPES: SyscallCase = {
  name: 'map batch: per-CPU, LRU and trie maps',
  run(r) {
    const slot = 8 * r.cpus;
    const types: [string, number, number, number, boolean][] = [
      ['percpu_array', M.BPF_MAP_TYPE_PERCPU_ARRAY, 4, slot, false],
      ['percpu_hash', M.BPF_MAP_TYPE_PERCPU_HASH, 4, slot, true],
      ['lru_hash', M.BPF_MAP_TYPE_LRU_HASH, 4, 8, true],
      ['lru_percpu_hash', M.BPF_MAP_TYPE_LRU_PERCPU_HASH, 4, slot, true],
      ['lpm_trie', M.BPF_MAP_TYPE_LPM_TRIE, 8, 8, false],
    ];
    for (const [what, type, keySize, valueSize, unordered] of types) {
      const fd = mapCreate(r, `create a ${what}`, {
        map_type: type, key_size: keySize, value_size: 8, max_entries: 16, map_flags: type === M.BPF_MAP_TYPE_LPM_TRIE ? 1 : 0,
      });
      if (fd === undefined) continue;
      const keyOf = (i: number): Uint8Array => (keySize === 4 ? u32(i) : new Uint8Array([...u32(32), 10, 0, 0, i]));
      const keys = r.mem(new Uint8Array([0, 1, 2].flatMap((i) => [...keyOf(i)])));
      const values = r.mem(new Uint8Array(3 * valueSize).map((_, i) => (i * 13 + 1) & 0xff));
      const up = batchAttr({ map_fd: fd, keys, values, count: 3 });
      r.call(`${what}: update batch of 3`, BpfCmd.BPF_MAP_UPDATE_BATCH, up, () => ({ count: batchCount(up) }));
      const outKeys = r.mem(keySize * 16);
      const outValues = r.mem(valueSize * 16);
      const look = batchAttr({ map_fd: fd, keys: outKeys, values: outValues, count: 16, out_batch: r.mem(8) });
      r.call(`${what}: lookup batch of 16`, BpfCmd.BPF_MAP_LOOKUP_BATCH, look, () => {
        const n = batchCount(look);
        const pairs: string[] = [];
        for (let i = 0; i < n; i++) {
          pairs.push(`${hex(r.read(outKeys + BigInt(i * keySize), keySize))}=${hex(r.read(outValues + BigInt(i * valueSize), valueSize))}`);
        }
        return { count: n, pairs: unordered ? pairs.sort() : pairs };
      });
      const dl = batchAttr({ map_fd: fd, keys, count: 2 });
      r.call(`${what}: delete batch of 2`, BpfCmd.BPF_MAP_DELETE_BATCH, dl, () => ({ count: batchCount(dl) }));
      allKeys(r, `${what}: keys left`, fd, keySize, unordered);
    }
  },
};

/** BPF_OBJ_GET_INFO_BY_FD on maps: info_len handling and bad fds. */
const INFO: SyscallCase = {
  name: 'obj info: map info_len handling',
  run(r) {
    const fd = mapCreate(r, 'create', { map_type: M.BPF_MAP_TYPE_HASH, key_size: 4, value_size: 8, max_entries: 8, map_name: 'my_map' });
    if (fd === undefined) return;
    mapInfo(r, 'info', fd);
    const call = (step: string, bpfFd: number, infoLen: number, init?: Uint8Array, nullInfo = false): void => {
      const info = nullInfo ? 0n : r.mem(init ?? Math.max(1, infoLen));
      const attr = encodeInfoAttr({ bpf_fd: bpfFd, info_len: infoLen, info });
      r.call(step, BpfCmd.BPF_OBJ_GET_INFO_BY_FD, attr, () => ({
        info_len: new DataView(attr.buffer).getUint32(4, true),
        head: nullInfo || infoLen === 0 ? '' : hex(r.read(info, Math.min(infoLen, 24)).map((b, i) => (i >= 4 && i < 8 ? 0 : b))),
      }));
    };
    call('info_len 0', fd, 0);
    call('info_len 8 (type and id only)', fd, 8);
    call('info_len 200, zero tail', fd, 200);
    const dirty = new Uint8Array(200);
    dirty[150] = 1;
    call('info_len 200, non-zero tail', fd, 200, dirty);
    call('info_len 5000', fd, 5000);
    call('NULL info with info_len 104', fd, 104, undefined, true);
    call('NULL info with info_len 0', fd, 0, undefined, true);
    call('bpf_fd 9999', 9999, 104);
    const withHashSize = new Uint8Array(104);
    withHashSize[96] = 32;
    call('hash_size without hash', fd, 104, withHashSize);
    const withHash = new Uint8Array(104);
    new DataView(withHash.buffer).setBigUint64(88, r.mem(32), true);
    withHash[96] = 32;
    call('hash of a hash map', fd, 104, withHash);
    const arr = array(r, 'create an array to hash');
    if (arr !== undefined) {
      update(r, 'array: update key 1', arr, u32(1), u64(0x1122334455667788n));
      const out = r.mem(32);
      const ask = new Uint8Array(104);
      new DataView(ask.buffer).setBigUint64(88, out, true);
      ask[96] = 32;
      const hashOf = (step: string): void => {
        r.call(step, BpfCmd.BPF_OBJ_GET_INFO_BY_FD, encodeInfoAttr({ bpf_fd: arr, info_len: 104, info: r.mem(ask) }), () => ({ hash: hex(r.read(out, 32)) }));
      };
      hashOf('hash of an array before freeze');
      freeze(r, 'freeze the array', arr);
      hashOf('hash of the frozen array');
      const short = ask.slice();
      short[96] = 20;
      r.call('hash with hash_size 20', BpfCmd.BPF_OBJ_GET_INFO_BY_FD, encodeInfoAttr({ bpf_fd: arr, info_len: 104, info: r.mem(short) }));
    }
    const btf = fdById(r, 'BTF_GET_FD_BY_ID 1 (vmlinux)', BpfCmd.BPF_BTF_GET_FD_BY_ID, 1);
    if (btf !== undefined) {
      const info = r.mem(32);
      const attr = encodeInfoAttr({ bpf_fd: btf, info_len: 32, info });
      r.call('vmlinux BTF info', BpfCmd.BPF_OBJ_GET_INFO_BY_FD, attr, () => {
        const b = r.read(info, 32);
        const v = new DataView(b.buffer);
        return { id: v.getUint32(12, true), kernel_btf: v.getUint32(28, true), name_len: v.getUint32(24, true) };
      });
      const name = r.mem(4);
      const small = new Uint8Array(32);
      new DataView(small.buffer).setBigUint64(16, name, true);
      small[24] = 4;
      const sattr = encodeInfoAttr({ bpf_fd: btf, info_len: 32, info: r.mem(small) });
      r.call('vmlinux BTF info with a 4-byte name buffer', BpfCmd.BPF_OBJ_GET_INFO_BY_FD, sattr, () => ({ name: hex(r.read(name, 4)) }));
      const bad = new Uint8Array(32);
      bad[24] = 4;
      call('BTF info with name_len but no name', btf, 32, bad);
    }
  },
};

/** BPF_*_GET_NEXT_ID: the INT_MAX bound and the end of the walk. */
const NEXT_ID: SyscallCase = {
  name: 'obj ids: next id bounds',
  run(r) {
    for (const [what, cmd] of [['prog', BpfCmd.BPF_PROG_GET_NEXT_ID], ['map', BpfCmd.BPF_MAP_GET_NEXT_ID], ['btf', BpfCmd.BPF_BTF_GET_NEXT_ID], ['link', BpfCmd.BPF_LINK_GET_NEXT_ID]] as const) {
      r.call(`${what} next id after 0x7fffffff`, cmd, encodeGetIdAttr({ start_id: 0x7fff_ffff }));
      r.call(`${what} next id after 0x7ffffffe`, cmd, encodeGetIdAttr({ start_id: 0x7fff_fffe }));
      const tail = encodeGetIdAttr({ start_id: 0 }, BPF_ATTR_SIZE);
      tail[12] = 1;
      r.call(`${what} next id with a non-zero byte past next_id`, cmd, tail);
    }
    const a = encodeGetIdAttr({ start_id: 0 });
    r.call('btf next id after 0 is the vmlinux BTF', BpfCmd.BPF_BTF_GET_NEXT_ID, a, () => ({ next_id: new DataView(a.buffer).getUint32(4, true) }));
    const fd = array(r);
    if (fd === undefined) return;
    const id = objectId(r, fd, 104);
    const b = encodeGetIdAttr({ start_id: id - 1 });
    r.call('map next id after (own id - 1) is our map', BpfCmd.BPF_MAP_GET_NEXT_ID, b, () => ({ isOwn: new DataView(b.buffer).getUint32(4, true) === id }));
  },
};

/** Bad input, access modes, freeze, batch, info and id commands, recorded on Linux 6.18. */
export const ATTR_CASES: readonly SyscallCase[] = [BAD_ATTRS, FD_MODES, FREEZE, BATCH, BATCH_TYPES, INFO, NEXT_ID];
