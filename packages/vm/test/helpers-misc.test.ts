import test from 'ava';
import type { BpfMap } from '@bpfkit/kernel-api';
import { createVmArena } from '@bpfkit/memory';
import { bpfFuncId, Errno } from '@bpfkit/uapi';
import { BPF_MAX_LOOPS, createHelperRegistry } from '@bpfkit/vm';
import { callHelper, HelperFault, makeNoopHelperEnv, makeNoopServices } from '@bpfkit/vm/testing';

const helpers = createHelperRegistry();
const h = (name: string) => {
  const d = helpers.get(bpfFuncId(name) ?? -1) ?? helpers.kfunc(name);
  if (d === undefined) throw new Error(`no helper ${name}`);
  return d;
};
const env = (over: Parameters<typeof makeNoopHelperEnv>[0] = {}) => makeNoopHelperEnv({ arena: createVmArena({ initialBytes: 1 << 20, wasm: false }), ...over });

test('the registry finds helpers by BPF_FUNC id and kfuncs by name, and lists helpers in id order', (t) => {
  t.is(helpers.get(1)?.name, 'map_lookup_elem');
  t.is(helpers.get(181)?.name, 'loop');
  t.is(helpers.kfunc('bpf_iter_num_next')?.name, 'bpf_iter_num_next');
  t.is(helpers.get(9999), undefined);
  const ids = helpers.all().map((d) => d.id);
  t.deepEqual(ids, [...ids].sort((a, b) => a - b));
});

test('createHelperRegistry takes extra helpers that replace built-in ones, and rejects unknown options', (t) => {
  const mine = { id: 5, name: 'ktime_get_ns', call: () => undefined };
  t.is(createHelperRegistry({ extra: [mine] }).get(5), mine);
  t.throws(() => createHelperRegistry({ nope: 1 } as never), { instanceOf: TypeError });
});

test('bpf_loop calls back nr_loops times with (i, ctx) and returns the count', (t) => {
  const calls: number[][] = [];
  const e = env({ callback: (fn, a1, a2) => (calls.push([fn, a1, a2]), 0n) });
  t.is(callHelper(h('loop'), e, 3, 9, 0x1000, 0), 3n);
  t.deepEqual(calls, [[9, 0, 0x1000], [9, 1, 0x1000], [9, 2, 0x1000]]);
});

test('bpf_loop stops when the callback returns 1 and returns i + 1', (t) => {
  const e = env({ callback: (_fn, i) => (i === 4 ? 1n : 0n) });
  t.is(callHelper(h('loop'), e, 100, 1, 0, 0), 5n);
});

test('bpf_loop refuses flags with -EINVAL and more than 1 << 23 loops with -E2BIG', (t) => {
  const e = env({ callback: () => 0n });
  t.is(callHelper(h('loop'), e, 1, 1, 0, 1), BigInt(-Errno.EINVAL));
  t.is(callHelper(h('loop'), e, 1, 1, 0, 1n << 40n), BigInt(-Errno.EINVAL));
  t.is(callHelper(h('loop'), e, BPF_MAX_LOOPS + 1, 1, 0, 0), BigInt(-Errno.E2BIG));
  t.is(BPF_MAX_LOOPS, 1 << 23);
});

test('the ktime helpers read services.clock as a u64', (t) => {
  const e = env({ services: makeNoopServices({ clock: { nowNs: () => 0x1_2345_6789n } }) });
  for (const name of ['ktime_get_ns', 'ktime_get_boot_ns', 'ktime_get_coarse_ns', 'ktime_get_tai_ns']) t.is(callHelper(h(name), e), 0x1_2345_6789n, name);
});

test('get_prandom_u32 reads services.random, get_smp_processor_id the run\'s CPU', (t) => {
  const e = env({ cpu: 3, services: makeNoopServices({ random: { u32: () => 0xdead_beef } }) });
  t.is(callHelper(h('get_prandom_u32'), e), 0xdead_beefn);
  t.is(callHelper(h('get_smp_processor_id'), e), 3n);
});

test('get_current_pid_tgid and uid_gid pack the task ids high:low', (t) => {
  const e = env({ services: makeNoopServices({ current: { pid: 12, tgid: 10, uid: 1000, gid: 100, comm: 'bash' } }) });
  t.is(callHelper(h('get_current_pid_tgid'), e), (10n << 32n) | 12n);
  t.is(callHelper(h('get_current_uid_gid'), e), (100n << 32n) | 1000n);
});

test('get_current_comm copies at most size - 1 bytes and pads with NULs', (t) => {
  const e = env({ services: makeNoopServices({ current: { pid: 1, tgid: 1, uid: 0, gid: 0, comm: 'systemd-journald' } }) });
  const buf = e.arena.alloc(32);
  e.arena.bytes.fill(0xee, buf, buf + 32);
  t.is(callHelper(h('get_current_comm'), e, buf, 16), 0n);
  t.is(Buffer.from(e.arena.bytes.subarray(buf, buf + 16)).toString('latin1'), 'systemd-journal\0');
  t.is(callHelper(h('get_current_comm'), e, buf, 4), 0n);
  t.deepEqual([...e.arena.bytes.subarray(buf, buf + 5)], [0x73, 0x79, 0x73, 0, 0x65]);
});

test('spin_lock sets the lock word and spin_unlock clears it', (t) => {
  const e = env();
  const lock = e.arena.alloc(8);
  t.is(callHelper(h('spin_lock'), e, lock), 0n);
  t.is(e.arena.view.getUint32(lock, true), 1);
  t.is(callHelper(h('spin_unlock'), e, lock), 0n);
  t.is(e.arena.view.getUint32(lock, true), 0);
});

test('probe_read_kernel copies from services.readKernel', (t) => {
  const e = env({ services: makeNoopServices({ readKernel: (addr, size) => (addr === 0xffff_8880_0000_1000n ? Uint8Array.from({ length: size }, (_, i) => i + 1) : undefined) }) });
  const dst = e.arena.alloc(8);
  t.is(callHelper(h('probe_read_kernel'), e, dst, 4, 0xffff_8880_0000_1000n), 0n);
  t.deepEqual([...e.arena.bytes.subarray(dst, dst + 4)], [1, 2, 3, 4]);
});

test('probe_read_kernel of unmapped memory zeroes the destination and returns -EFAULT', (t) => {
  const e = env();
  const dst = e.arena.alloc(8);
  e.arena.bytes.fill(0xee, dst, dst + 8);
  t.is(callHelper(h('probe_read_kernel'), e, dst, 8, 0xffff_ffff_0000_0000n), BigInt(-Errno.EFAULT));
  t.deepEqual([...e.arena.bytes.subarray(dst, dst + 8)], [0, 0, 0, 0, 0, 0, 0, 0]);
});

test('probe_read_kernel of a user-space address (NULL included) is -ERANGE, as copy_from_kernel_nofault refuses it', (t) => {
  const e = env();
  const dst = e.arena.alloc(8);
  t.is(callHelper(h('probe_read_kernel'), e, dst, 8, 0), BigInt(-Errno.ERANGE));
  t.is(callHelper(h('probe_read_kernel_str'), e, dst, 8, 0x1000), BigInt(-Errno.ERANGE));
  t.is(callHelper(h('probe_read_user'), e, dst, 8, 0), BigInt(-Errno.EFAULT));
});

test('probe_read_kernel reads arena memory (BPF stacks and maps are kernel memory)', (t) => {
  const e = env();
  const src = e.arena.alloc(8);
  const dst = e.arena.alloc(8);
  e.arena.bytes.set([9, 8, 7], src);
  t.is(callHelper(h('probe_read_kernel'), e, dst, 3, src), 0n);
  t.deepEqual([...e.arena.bytes.subarray(dst, dst + 3)], [9, 8, 7]);
});

test('probe_read_user reads only services.readUser', (t) => {
  const e = env({ services: makeNoopServices({ readUser: (addr, size) => (addr === 0x7000n ? new Uint8Array(size).fill(5) : undefined) }) });
  const dst = e.arena.alloc(8);
  t.is(callHelper(h('probe_read_user'), e, dst, 2, 0x7000), 0n);
  t.deepEqual([...e.arena.bytes.subarray(dst, dst + 2)], [5, 5]);
  t.is(callHelper(h('probe_read_user'), e, dst, 2, dst), BigInt(-Errno.EFAULT));
});

test('probe_read_kernel_str copies up to the NUL and returns the length with it', (t) => {
  const text = new TextEncoder().encode('init\0garbage');
  const e = env({ services: makeNoopServices({ readKernel: (addr, size) => (addr >= 0x5000n && addr + BigInt(size) <= 0x5000n + 12n ? text.slice(Number(addr - 0x5000n), Number(addr - 0x5000n) + size) : undefined) }) });
  const dst = e.arena.alloc(16);
  t.is(callHelper(h('probe_read_kernel_str'), e, dst, 16, 0x5000), 5n);
  t.is(Buffer.from(e.arena.bytes.subarray(dst, dst + 5)).toString('latin1'), 'init\0');
});

test('probe_read_kernel_str truncates to size - 1 bytes plus a NUL', (t) => {
  const e = env({ services: makeNoopServices({ readKernel: (_a, size) => new Uint8Array(size).fill(0x41) }) });
  const dst = e.arena.alloc(8);
  t.is(callHelper(h('probe_read_kernel_str'), e, dst, 4, 0x5000), 4n);
  t.deepEqual([...e.arena.bytes.subarray(dst, dst + 4)], [0x41, 0x41, 0x41, 0]);
});

test('probe_read_user_str of unmapped memory is -EFAULT with the destination zeroed', (t) => {
  const e = env();
  const dst = e.arena.alloc(8);
  e.arena.bytes.fill(0xee, dst, dst + 8);
  t.is(callHelper(h('probe_read_user_str'), e, dst, 8, 0x9000), BigInt(-Errno.EFAULT));
  t.deepEqual([...e.arena.bytes.subarray(dst, dst + 8)], [0, 0, 0, 0, 0, 0, 0, 0]);
});

test('bpf_iter_num_new/next/destroy count from start to end - 1, then NULL', (t) => {
  const e = env();
  const it = e.arena.alloc(8);
  t.is(callHelper(h('bpf_iter_num_new'), e, it, 2, 5), 0n);
  const seen: number[] = [];
  for (;;) {
    const p = Number(callHelper(h('bpf_iter_num_next'), e, it));
    if (p === 0) break;
    seen.push(e.arena.view.getInt32(p, true));
  }
  t.deepEqual(seen, [2, 3, 4]);
  t.is(callHelper(h('bpf_iter_num_next'), e, it), 0n);
  t.is(callHelper(h('bpf_iter_num_destroy'), e, it), 0n);
  t.is(e.arena.view.getBigUint64(it, true), 0n);
});

test('bpf_iter_num_new refuses start > end (-EINVAL) and ranges above BPF_MAX_LOOPS (-E2BIG), leaving an empty iterator', (t) => {
  const e = env();
  const it = e.arena.alloc(8);
  t.is(callHelper(h('bpf_iter_num_new'), e, it, 5, 2), BigInt(-Errno.EINVAL));
  t.is(callHelper(h('bpf_iter_num_next'), e, it), 0n);
  t.is(callHelper(h('bpf_iter_num_new'), e, it, -0x8000_0000, 0x7fff_ffff), BigInt(-Errno.E2BIG));
  t.is(callHelper(h('bpf_iter_num_next'), e, it), 0n);
  t.is(callHelper(h('bpf_iter_num_new'), e, it, 0, BPF_MAX_LOOPS), 0n);
});

test('an empty range is legal: the first next is NULL', (t) => {
  const e = env();
  const it = e.arena.alloc(8);
  t.is(callHelper(h('bpf_iter_num_new'), e, it, 7, 7), 0n);
  t.is(callHelper(h('bpf_iter_num_next'), e, it), 0n);
});

test('tail_call hands the prog array and index to the engine and leaves r0 alone when nothing runs', (t) => {
  const asked: number[][] = [];
  const e = env({ tailCall: (m, i) => (asked.push([m, i]), false) });
  const regs = new Uint32Array(12);
  regs[0] = 0x55;
  regs[4] = 0x2000;
  regs[6] = 3;
  const tail = h('tail_call');
  tail.call({ regs, env: e });
  t.deepEqual(asked, [[0x2000, 3]]);
  t.is(regs[0], 0x55);
});

test('a helper pointer argument with a high word set is a helper fault', (t) => {
  const e = env();
  t.throws(() => callHelper(h('spin_lock'), e, 1n << 33n), { instanceOf: HelperFault });
});

test('socket lookups find nothing in the simulated namespace, and sk_release has nothing to drop', (t) => {
  const e = env();
  for (const name of ['sk_lookup_tcp', 'sk_lookup_udp', 'skc_lookup_tcp', 'sk_release']) t.is(callHelper(h(name), e, 0, 0, 0, 0, 0), 0n, name);
});

test('jiffies64 counts HZ=250 ticks of the clock from INITIAL_JIFFIES', (t) => {
  const e = env({ services: makeNoopServices({ clock: { nowNs: () => 2_000_000_000n } }) });
  t.is(callHelper(h('jiffies64'), e), BigInt(0x1_0000_0000 - 75_000 + 500));
});

test('bpf_iter_bits_new/next walk the set bits of one or more words; new refuses NULL, 0 and > 511 words', (t) => {
  const e = env();
  const it = e.arena.alloc(16);
  const words = e.arena.alloc(16);
  e.arena.view.setBigUint64(words, 0x8000_0000_0000_0011n, true);
  e.arena.view.setBigUint64(words + 8, 0x2n, true);
  const walk = (): number[] => {
    const out: number[] = [];
    for (;;) {
      const p = Number(callHelper(h('bpf_iter_bits_next'), e, it));
      if (p === 0) return out;
      out.push(e.arena.view.getInt32(p, true));
    }
  };
  t.is(callHelper(h('bpf_iter_bits_new'), e, it, words, 1), 0n);
  t.deepEqual(walk(), [0, 4, 63]);
  t.is(callHelper(h('bpf_iter_bits_new'), e, it, words, 2), 0n);
  t.deepEqual(walk(), [0, 4, 63, 65]);
  t.is(callHelper(h('bpf_iter_bits_destroy'), e, it), 0n);
  t.is(callHelper(h('bpf_iter_bits_new'), e, it, 0, 1), BigInt(-Errno.EINVAL));
  t.is(callHelper(h('bpf_iter_bits_new'), e, it, words, 0), BigInt(-Errno.EINVAL));
  t.is(callHelper(h('bpf_iter_bits_new'), e, it, words, 512), BigInt(-Errno.E2BIG));
  t.is(callHelper(h('bpf_iter_bits_next'), e, it), 0n);
});

test('sk_fullsock returns a full socket itself, NULL for time-wait; tcp_sock is NULL for a socket that is not TCP', (t) => {
  const e = env();
  const sk = e.arena.alloc(80);
  e.arena.view.setUint32(sk + 72, 7, true);
  t.is(callHelper(h('sk_fullsock'), e, sk), BigInt(sk));
  t.is(callHelper(h('tcp_sock'), e, sk), 0n);
  e.arena.view.setUint32(sk + 72, 6, true);
  t.is(callHelper(h('sk_fullsock'), e, sk), 0n);
});

test('sk_storage_get creates a socket\'s storage only with F_CREATE (from value or zeroed); sk_storage_delete removes it', (t) => {
  const e = env();
  const map = { info: { mapType: 24, keySize: 4, valueSize: 8, maxEntries: 0, mapFlags: 1, isMapInMap: false }, address: e.arena.alloc(8) } as unknown as BpfMap;
  const e2 = makeNoopHelperEnv({ arena: e.arena, services: makeNoopServices({ mapAt: () => map }) });
  const sk = e.arena.alloc(80);
  e.arena.view.setUint32(sk + 72, 7, true);
  const init = e.arena.alloc(8);
  e.arena.view.setUint32(init, 77, true);
  t.is(callHelper(h('sk_storage_get'), e2, map.address, sk, 0, 0), 0n);
  const v = Number(callHelper(h('sk_storage_get'), e2, map.address, sk, init, 1));
  t.is(e.arena.view.getUint32(v, true), 77);
  t.is(callHelper(h('sk_storage_get'), e2, map.address, sk, 0, 0), BigInt(v));
  t.is(callHelper(h('sk_storage_get'), e2, map.address, sk, 0, 2), 0n, 'unknown flags');
  t.is(callHelper(h('sk_storage_delete'), e2, map.address, sk), 0n);
  t.is(callHelper(h('sk_storage_delete'), e2, map.address, sk), BigInt(-Errno.ENOENT));
});

test('bpf_user_ringbuf_drain hands each sample to the callback as a local dynptr, skips discarded ones and stops on 1', (t) => {
  const arena = createVmArena({ initialBytes: 1 << 20, wasm: false });
  const samples: (number | { addr: number; size: number })[] = [{ addr: 0x100, size: 5 }, -11, { addr: 0x200, size: 7 }, { addr: 0x300, size: 1 }];
  const released: number[] = [];
  const map = { address: 0x40, userRingbuf: { peek: () => samples.shift() ?? -61, release: (n: number) => { released.push(n); } } } as unknown as BpfMap;
  const seen: number[][] = [];
  const e = env({
    arena,
    services: makeNoopServices({ mapAt: (addr) => (addr === 0x40 ? map : undefined) }),
    callback: (_fn, dynptr, ctx) => {
      seen.push([arena.view.getUint32(dynptr, true), arena.view.getUint32(dynptr + 8, true) & 0xffffff, ctx]);
      return seen.length === 2 ? 1n : 0n;
    },
  });
  t.is(callHelper(h('user_ringbuf_drain'), e, 0x40, 7, 0x99, 0), 2n, 'three samples peeked, one of them discarded');
  t.deepEqual(seen, [[0x100, 5, 0x99], [0x200, 7, 0x99]]);
  t.deepEqual(released, [5, 7]);
  t.is(callHelper(h('user_ringbuf_drain'), e, 0x40, 7, 0, 4), BigInt(-Errno.EINVAL), 'unknown flags');
});
