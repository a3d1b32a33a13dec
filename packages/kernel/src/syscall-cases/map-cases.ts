import { BPF_ANY, BPF_EXIST, BPF_F_LOCK, BPF_F_NO_PREALLOC, BPF_F_ZERO_SEED, BPF_NOEXIST, BpfCmd, BpfMapType as M, encodeMapElemAttr } from '@bpfkit/uapi';
import { allKeys, concat, del, lookup, lookupAndDelete, mapCreate, mapInfo, nextKey, objectId, percpu, u32, u64, update } from './ops.js';
import type { CaseRunner, SyscallCase } from './runner.js';

const k = u32;
const v8 = (n: number): Uint8Array => u64(BigInt(n) * 0x0101_0101_0101n);
const ANY = BigInt(BPF_ANY);
const NOEXIST = BigInt(BPF_NOEXIST);
const EXIST = BigInt(BPF_EXIST);
const LOCK = BigInt(BPF_F_LOCK);

/** Update, lookup, delete and iteration of a keyed map of `type` (4-byte keys, 8-byte values, 4 entries). */
function keyedCase(name: string, type: number, opts: { unordered: boolean; percpu: boolean; flags?: number; array: boolean }): SyscallCase {
  return {
    name: `map ops: ${name}`,
    run(r: CaseRunner) {
      const fd = mapCreate(r, 'create', { map_type: type, key_size: 4, value_size: 8, max_entries: 4, map_flags: opts.flags ?? 0 });
      if (fd === undefined) return;
      const val = (n: number): Uint8Array => (opts.percpu ? percpu(r, 8, (c) => v8(n + c)) : v8(n));
      const size = opts.percpu ? Math.ceil(8 / 8) * 8 * r.cpus : 8;
      lookup(r, 'lookup key 1 before any update', fd, k(1), size);
      update(r, 'update key 1 (BPF_ANY)', fd, k(1), val(1), ANY);
      lookup(r, 'lookup key 1', fd, k(1), size);
      update(r, 'update key 1 again with BPF_NOEXIST', fd, k(1), val(2), NOEXIST);
      update(r, 'update key 2 with BPF_EXIST', fd, k(2), val(2), EXIST);
      update(r, 'update key 3 (BPF_ANY)', fd, k(3), val(3), ANY);
      update(r, 'update key 0 (BPF_ANY)', fd, k(0), val(7), ANY);
      update(r, 'update key 2 (BPF_ANY)', fd, k(2), val(2), ANY);
      update(r, 'update key 9 (past max_entries / map full)', fd, k(9), val(9), ANY);
      update(r, 'update with flags 3 (unknown)', fd, k(1), val(1), 3n);
      update(r, 'update with BPF_F_LOCK and no spin lock', fd, k(1), val(1), LOCK);
      update(r, 'update with a flag bit above 32', fd, k(1), val(1), 1n << 40n);
      allKeys(r, 'all keys', fd, 4, opts.unordered);
      if (!opts.unordered) {
        nextKey(r, 'next key after NULL', fd, undefined, 4);
        nextKey(r, 'next key after 1', fd, k(1), 4);
        nextKey(r, 'next key after 3', fd, k(3), 4);
        nextKey(r, 'next key after 9 (not a key)', fd, k(9), 4);
      }
      lookup(r, 'lookup key 3', fd, k(3), size);
      lookup(r, 'lookup key 9', fd, k(9), size);
      lookup(r, 'lookup with flags 1', fd, k(1), size, 1n);
      lookup(r, 'lookup with BPF_F_LOCK and no spin lock', fd, k(1), size, LOCK);
      del(r, 'delete key 3', fd, k(3));
      del(r, 'delete key 3 again', fd, k(3));
      del(r, 'delete key 9', fd, k(9));
      lookup(r, 'lookup key 3 after delete', fd, k(3), size);
      lookupAndDelete(r, 'lookup_and_delete key 2', fd, k(2), size);
      lookup(r, 'lookup key 2 after lookup_and_delete', fd, k(2), size);
      lookupAndDelete(r, 'lookup_and_delete key 9', fd, k(9), size);
      lookupAndDelete(r, 'lookup_and_delete with flags 1', fd, k(1), size, 1n);
      if (opts.array) lookup(r, 'lookup key 0 again', fd, k(0), size);
      allKeys(r, 'all keys at the end', fd, 4, opts.unordered);
      mapInfo(r, 'info', fd);
    },
  };
}

/** LRU hashes: filling past max_entries evicts instead of failing. */
function lruCase(name: string, type: number, flags: number): SyscallCase {
  return {
    name: `map ops: ${name}`,
    run(r) {
      const percpuType = type === M.BPF_MAP_TYPE_LRU_PERCPU_HASH;
      const fd = mapCreate(r, 'create', { map_type: type, key_size: 4, value_size: 8, max_entries: 64, map_flags: flags });
      if (fd === undefined) return;
      const val = (n: number): Uint8Array => (percpuType ? percpu(r, 8, (c) => v8(n + c)) : v8(n));
      for (let i = 0; i < 4; i++) update(r, `update key ${i}`, fd, k(i), val(i));
      lookup(r, 'lookup key 2', fd, k(2), percpuType ? 8 * r.cpus : 8);
      update(r, 'update key 1 with BPF_NOEXIST', fd, k(1), val(1), NOEXIST);
      update(r, 'update key 7 with BPF_EXIST', fd, k(7), val(7), EXIST);
      del(r, 'delete key 0', fd, k(0));
      allKeys(r, 'all keys', fd, 4, true);
      lookupAndDelete(r, 'lookup_and_delete key 3', fd, k(3), percpuType ? 8 * r.cpus : 8);
      allKeys(r, 'all keys at the end', fd, 4, true);
      mapInfo(r, 'info', fd);
    },
  };
}

const lpmKey = (prefix: number, a: number, b: number, c: number, d: number): Uint8Array => concat(u32(prefix), Uint8Array.of(a, b, c, d));

const LPM: SyscallCase = {
  name: 'map ops: lpm_trie longest prefix match',
  run(r) {
    const fd = mapCreate(r, 'create', { map_type: M.BPF_MAP_TYPE_LPM_TRIE, key_size: 8, value_size: 4, max_entries: 8, map_flags: BPF_F_NO_PREALLOC });
    if (fd === undefined) return;
    update(r, 'insert 10.0.0.0/8', fd, lpmKey(8, 10, 0, 0, 0), u32(1));
    update(r, 'insert 10.1.0.0/16', fd, lpmKey(16, 10, 1, 0, 0), u32(2));
    update(r, 'insert 192.168.1.0/24', fd, lpmKey(24, 192, 168, 1, 0), u32(3));
    update(r, 'insert 10.1.0.0/16 with BPF_NOEXIST', fd, lpmKey(16, 10, 1, 0, 0), u32(4), NOEXIST);
    update(r, 'insert prefix 33 (too long)', fd, lpmKey(33, 10, 0, 0, 0), u32(5));
    lookup(r, 'lookup 10.1.2.3/32', fd, lpmKey(32, 10, 1, 2, 3), 4);
    lookup(r, 'lookup 10.2.0.1/32', fd, lpmKey(32, 10, 2, 0, 1), 4);
    lookup(r, 'lookup 11.0.0.1/32', fd, lpmKey(32, 11, 0, 0, 1), 4);
    lookup(r, 'lookup 192.168.1.77/32', fd, lpmKey(32, 192, 168, 1, 77), 4);
    allKeys(r, 'all keys (trie order)', fd, 8, false);
    nextKey(r, 'next key after a prefix not in the trie', fd, lpmKey(12, 10, 16, 0, 0), 8);
    del(r, 'delete 10.0.0.0/8', fd, lpmKey(8, 10, 0, 0, 0));
    del(r, 'delete 10.0.0.0/8 again', fd, lpmKey(8, 10, 0, 0, 0));
    lookup(r, 'lookup 10.2.0.1/32 after delete', fd, lpmKey(32, 10, 2, 0, 1), 4);
    lookupAndDelete(r, 'lookup_and_delete (not supported)', fd, lpmKey(16, 10, 1, 0, 0), 4);
    mapInfo(r, 'info', fd);
  },
};

/** Queue and stack: push with a NULL key, peek, pop, full, BPF_EXIST overwrites. */
function queueStackCase(name: string, type: number): SyscallCase {
  return {
    name: `map ops: ${name}`,
    run(r) {
      const fd = mapCreate(r, 'create', { map_type: type, key_size: 0, value_size: 4, max_entries: 3 });
      if (fd === undefined) return;
      lookup(r, 'peek empty', fd, undefined, 4);
      lookupAndDelete(r, 'pop empty', fd, undefined, 4);
      for (let i = 1; i <= 3; i++) update(r, `push ${i}`, fd, undefined, u32(i));
      update(r, 'push 4 into a full map', fd, undefined, u32(4));
      update(r, 'push 5 with BPF_EXIST (overwrite)', fd, undefined, u32(5), EXIST);
      update(r, 'push with flags 1', fd, undefined, u32(6), NOEXIST);
      update(r, 'push with a key pointer', fd, k(0), u32(7));
      lookup(r, 'peek', fd, undefined, 4);
      lookup(r, 'peek with a key pointer', fd, k(0), 4);
      lookupAndDelete(r, 'pop', fd, undefined, 4);
      lookupAndDelete(r, 'pop with flags BPF_F_LOCK', fd, undefined, 4, LOCK);
      lookupAndDelete(r, 'pop', fd, undefined, 4);
      lookupAndDelete(r, 'pop', fd, undefined, 4);
      lookupAndDelete(r, 'pop empty again', fd, undefined, 4);
      del(r, 'delete', fd, undefined);
      nextKey(r, 'get_next_key', fd, undefined, 4);
      mapInfo(r, 'info', fd);
    },
  };
}

const BLOOM: SyscallCase = {
  name: 'map ops: bloom_filter add and test',
  run(r) {
    const fd = mapCreate(r, 'create', { map_type: M.BPF_MAP_TYPE_BLOOM_FILTER, key_size: 0, value_size: 4, max_entries: 64, map_extra: 3n });
    if (fd === undefined) return;
    update(r, 'add 7', fd, undefined, u32(7));
    update(r, 'add 9', fd, undefined, u32(9));
    update(r, 'add with flags BPF_EXIST', fd, undefined, u32(1), EXIST);
    update(r, 'add with a key pointer', fd, k(0), u32(1));
    lookup(r, 'test 7', fd, undefined, 4, 0n, u32(7));
    lookup(r, 'test 9', fd, undefined, 4, 0n, u32(9));
    lookup(r, 'test 12345 (absent)', fd, undefined, 4, 0n, u32(12345));
    del(r, 'delete', fd, undefined);
    nextKey(r, 'get_next_key', fd, undefined, 4);
    lookupAndDelete(r, 'lookup_and_delete', fd, undefined, 4);
    mapInfo(r, 'info', fd);
  },
};

const RINGBUF: SyscallCase = {
  name: 'map ops: ringbuf has no element commands',
  run(r) {
    const fd = mapCreate(r, 'create', { map_type: M.BPF_MAP_TYPE_RINGBUF, max_entries: 4096 });
    if (fd === undefined) return;
    lookup(r, 'lookup', fd, undefined, 4);
    update(r, 'update', fd, undefined, u32(1));
    del(r, 'delete', fd, undefined);
    nextKey(r, 'get_next_key', fd, undefined, 4);
    mapInfo(r, 'info', fd);
  },
};

/** Map types whose values are other kernel objects or devices: what the syscall side accepts. */
function slotCase(name: string, type: number, keySize: number, valueSize: number, maxEntries: number, extra: (r: CaseRunner, fd: number) => void, holdsFds = true): SyscallCase {
  return {
    name: `map ops: ${name}`,
    run(r) {
      const fd = mapCreate(r, 'create', { map_type: type, key_size: keySize, value_size: valueSize, max_entries: maxEntries });
      if (fd === undefined) return;
      const key = new Uint8Array(keySize);
      lookup(r, 'lookup an empty slot', fd, key, valueSize);
      const fdValue = (n: number): Uint8Array => concat(u32(n), new Uint8Array(Math.max(0, valueSize - 4))).subarray(0, valueSize);
      update(r, 'update with value 9999 (an fd not open)', fd, key, fdValue(9999));
      // Only where values are fds: elsewhere the fd number would be compared as an ifindex or queue size.
      if (holdsFds) update(r, "update with the map's own fd", fd, key, fdValue(fd));
      del(r, 'delete an empty slot', fd, key);
      nextKey(r, 'next key after NULL', fd, undefined, keySize);
      extra(r, fd);
      mapInfo(r, 'info', fd);
    },
  };
}

const noExtra = (): void => undefined;

const DEVMAP: SyscallCase = slotCase('devmap of interfaces', M.BPF_MAP_TYPE_DEVMAP, 4, 4, 4, (r, fd) => {
  update(r, 'update slot 0 with ifindex 1 (lo)', fd, k(0), u32(1));
  lookup(r, 'lookup slot 0', fd, k(0), 4);
  update(r, 'update slot 9 (past max_entries)', fd, k(9), u32(1));
  update(r, 'update slot 1 with BPF_NOEXIST', fd, k(1), u32(1), NOEXIST);
  del(r, 'delete slot 0', fd, k(0));
  lookup(r, 'lookup slot 0 after delete', fd, k(0), 4);
}, false);

const CPUMAP: SyscallCase = slotCase('cpumap queue sizes', M.BPF_MAP_TYPE_CPUMAP, 4, 4, 2, (r, fd) => {
  update(r, 'update cpu 0 with qsize 192', fd, k(0), u32(192));
  lookup(r, 'lookup cpu 0', fd, k(0), 4);
  update(r, 'update cpu 5 (past max_entries)', fd, k(5), u32(192));
  update(r, 'update cpu 1 with qsize 0 (remove)', fd, k(1), u32(0));
  del(r, 'delete cpu 0', fd, k(0));
}, false);

const XSKMAP = slotCase('xskmap of AF_XDP sockets', M.BPF_MAP_TYPE_XSKMAP, 4, 4, 4, noExtra);
const SOCKMAP = slotCase('sockmap of sockets', M.BPF_MAP_TYPE_SOCKMAP, 4, 4, 4, noExtra);
const SOCKHASH = slotCase('sockhash of sockets', M.BPF_MAP_TYPE_SOCKHASH, 4, 4, 4, noExtra);
const PROG_ARRAY = slotCase('prog_array without programs', M.BPF_MAP_TYPE_PROG_ARRAY, 4, 4, 4, noExtra);
const PERF_EVENT_ARRAY = slotCase('perf_event_array without perf events', M.BPF_MAP_TYPE_PERF_EVENT_ARRAY, 4, 4, 4, noExtra);

/** Map-in-map: inner maps matching the template go in, their ids come out. */
function mapInMapCase(name: string, type: number): SyscallCase {
  return {
    name: `map ops: ${name}`,
    run(r) {
      const inner = mapCreate(r, 'create the inner map template', { map_type: M.BPF_MAP_TYPE_ARRAY, key_size: 4, value_size: 4, max_entries: 2 });
      const other = mapCreate(r, 'create a hash (not matching)', { map_type: M.BPF_MAP_TYPE_HASH, key_size: 4, value_size: 4, max_entries: 2 });
      const bigger = mapCreate(r, 'create a bigger array', { map_type: M.BPF_MAP_TYPE_ARRAY, key_size: 4, value_size: 4, max_entries: 8 });
      if (inner === undefined || other === undefined || bigger === undefined) return;
      const fd = mapCreate(r, 'create', { map_type: type, key_size: 4, value_size: 4, max_entries: 2, inner_map_fd: inner });
      if (fd === undefined) return;
      update(r, 'update slot 0 with the inner map', fd, k(0), u32(inner));
      update(r, 'update slot 1 with a hash map', fd, k(1), u32(other));
      update(r, 'update slot 1 with an array of another size', fd, k(1), u32(bigger));
      update(r, 'update slot 1 with fd 9999', fd, k(1), u32(9999));
      const innerId = objectId(r, inner, 104);
      const value = r.mem(4);
      r.call('lookup slot 0 gives the inner map id', BpfCmd.BPF_MAP_LOOKUP_ELEM, encodeMapElemAttr({ map_fd: fd, key: r.mem(k(0)), value }),
        () => ({ isInnerId: new DataView(r.read(value, 4).buffer).getUint32(0, true) === innerId }));
      del(r, 'delete slot 0', fd, k(0));
      lookup(r, 'lookup slot 0 after delete', fd, k(0), 4);
      del(r, 'delete slot 0 again', fd, k(0));
      mapInfo(r, 'info', fd);
    },
  };
}

const CGROUP_STORAGE: SyscallCase = {
  name: 'map ops: cgroup_storage without attached programs',
  run(r) {
    const fd = mapCreate(r, 'create', { map_type: M.BPF_MAP_TYPE_CGROUP_STORAGE, key_size: 8, value_size: 8, max_entries: 0 });
    if (fd === undefined) return;
    lookup(r, 'lookup', fd, new Uint8Array(8), 8);
    update(r, 'update', fd, new Uint8Array(8), v8(1));
    del(r, 'delete', fd, new Uint8Array(8));
    nextKey(r, 'get_next_key', fd, undefined, 8);
    mapInfo(r, 'info', fd);
  },
};

/** The remaining map types: what each element command gives on a fresh map. */
const OTHER_TYPES: SyscallCase = {
  name: 'map ops: stack_trace, cgroup_array, percpu_cgroup_storage, reuseport_sockarray, devmap_hash, user_ringbuf',
  run(r) {
    const types: [string, number, number, number, number, number, bigint][] = [
      ['stack_trace', M.BPF_MAP_TYPE_STACK_TRACE, 4, 32, 4, 0, 0n],
      ['cgroup_array', M.BPF_MAP_TYPE_CGROUP_ARRAY, 4, 4, 4, 0, 0n],
      ['percpu_cgroup_storage', M.BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE, 8, 8, 0, 0, 0n],
      ['reuseport_sockarray', M.BPF_MAP_TYPE_REUSEPORT_SOCKARRAY, 4, 8, 4, 0, 0n],
      ['devmap_hash', M.BPF_MAP_TYPE_DEVMAP_HASH, 4, 4, 4, 0, 0n],
      ['user_ringbuf', M.BPF_MAP_TYPE_USER_RINGBUF, 0, 0, 4096, 0, 0n],
    ];
    for (const [what, type, keySize, valueSize, maxEntries, flags, extra] of types) {
      const fd = mapCreate(r, `create a ${what}`, { map_type: type, key_size: keySize, value_size: valueSize, max_entries: maxEntries, map_flags: flags, map_extra: extra });
      if (fd === undefined) continue;
      const key = keySize === 0 ? undefined : new Uint8Array(keySize);
      const size = type === M.BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE ? 8 * r.cpus : Math.max(4, valueSize);
      lookup(r, `${what}: lookup`, fd, key, size);
      const value = new Uint8Array(size);
      // A reuseport array takes a socket fd; give it the map's own fd (never a socket), not fd 0, whose kind depends on how the test was started.
      if (type === M.BPF_MAP_TYPE_REUSEPORT_SOCKARRAY) new DataView(value.buffer).setUint32(0, fd, true);
      update(r, `${what}: update`, fd, key, value);
      del(r, `${what}: delete`, fd, key);
      nextKey(r, `${what}: get_next_key after NULL`, fd, undefined, Math.max(4, keySize));
      lookupAndDelete(r, `${what}: lookup_and_delete`, fd, key, size);
      mapInfo(r, `${what}: info`, fd);
    }
  },
};

/** An arena map (one page, BPF_F_MMAPABLE): no element commands from the syscall side. */
const ARENA: SyscallCase = {
  name: 'map ops: arena',
  run(r) {
    const fd = mapCreate(r, 'create a one-page arena', { map_type: M.BPF_MAP_TYPE_ARENA, max_entries: 1, map_flags: 1024 });
    if (fd === undefined) return;
    lookup(r, 'lookup', fd, undefined, 4);
    update(r, 'update', fd, undefined, new Uint8Array(4));
    nextKey(r, 'get_next_key', fd, undefined, 4);
    mapInfo(r, 'info', fd);
  },
};

/** Map-operation sequences for every map type the simulated kernel runs, recorded on Linux 6.18. */
export const MAP_OP_CASES: readonly SyscallCase[] = [
  keyedCase('array', M.BPF_MAP_TYPE_ARRAY, { unordered: false, percpu: false, array: true }),
  keyedCase('percpu_array', M.BPF_MAP_TYPE_PERCPU_ARRAY, { unordered: false, percpu: true, array: true }),
  keyedCase('hash', M.BPF_MAP_TYPE_HASH, { unordered: true, percpu: false, array: false }),
  keyedCase('hash without preallocation', M.BPF_MAP_TYPE_HASH, { unordered: true, percpu: false, array: false, flags: BPF_F_NO_PREALLOC }),
  keyedCase('percpu_hash', M.BPF_MAP_TYPE_PERCPU_HASH, { unordered: true, percpu: true, array: false }),
  // With BPF_F_ZERO_SEED the hash is jhash with seed 0: the iteration order is the kernel's, so it is compared as is.
  keyedCase('hash with BPF_F_ZERO_SEED (kernel order)', M.BPF_MAP_TYPE_HASH, { unordered: false, percpu: false, array: false, flags: BPF_F_ZERO_SEED }),
  lruCase('lru_hash', M.BPF_MAP_TYPE_LRU_HASH, 0),
  lruCase('lru_percpu_hash', M.BPF_MAP_TYPE_LRU_PERCPU_HASH, 0),
  LPM,
  queueStackCase('queue (FIFO)', M.BPF_MAP_TYPE_QUEUE),
  queueStackCase('stack (LIFO)', M.BPF_MAP_TYPE_STACK),
  BLOOM,
  RINGBUF,
  PROG_ARRAY,
  PERF_EVENT_ARRAY,
  mapInMapCase('array_of_maps', M.BPF_MAP_TYPE_ARRAY_OF_MAPS),
  mapInMapCase('hash_of_maps', M.BPF_MAP_TYPE_HASH_OF_MAPS),
  CGROUP_STORAGE,
  DEVMAP,
  CPUMAP,
  XSKMAP,
  SOCKMAP,
  SOCKHASH,
  OTHER_TYPES,
  ARENA,
];
