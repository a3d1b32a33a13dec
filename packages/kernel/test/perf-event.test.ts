import test from 'ava';
import {
  MAP_SHARED, PERF_ATTR_SIZE, PERF_COUNT_SW_BPF_OUTPUT, PERF_EVENT_IOC_DISABLE, PERF_EVENT_IOC_ENABLE, PERF_SAMPLE_RAW, PERF_TYPE_SOFTWARE, PerfAttrFlag, PerfAttrOffset as O,
  PerfMmapPage, PROT_READ, PROT_WRITE, type Kernel, type MemoryMapping, type Task,
} from '@bpfkit/kernel-api';
import { createDefaultKernel } from '@bpfkit/kernel/defaults';
import { BpfMapType, BpfProgType, encodeAttrGroup, BpfCmd } from '@bpfkit/uapi';
import { container } from './helpers.js';
import { createMap, errnoOf, insn, loadProg, u32, update } from './bpf-calls.js';

const PAGE = 4096;

function attr(edit: (v: DataView) => void = () => undefined): Uint8Array {
  const b = new Uint8Array(PERF_ATTR_SIZE);
  const v = new DataView(b.buffer);
  v.setUint32(O.type, PERF_TYPE_SOFTWARE, true);
  v.setUint32(O.size, PERF_ATTR_SIZE, true);
  v.setBigUint64(O.config, BigInt(PERF_COUNT_SW_BPF_OUTPUT), true);
  v.setBigUint64(O.sampleType, BigInt(PERF_SAMPLE_RAW), true);
  v.setUint32(O.wakeupEvents, 1, true);
  edit(v);
  return b;
}

function open(t: Task, a = attr(), cpu = 0): number {
  const open = t.perfEventOpen?.bind(t);
  if (open === undefined) throw new Error('no perfEventOpen');
  return open(a, -1, cpu, -1, 8);
}

const ld64 = (dst: number, src: number, lo: number, hi: number): number[] => [...insn(0x18, dst, src, 0, lo), ...insn(0, 0, 0, 0, hi)];

/** XDP: `return bpf_perf_event_output(ctx, map, BPF_F_CURRENT_CPU, &0x0807060504030201, size)`. */
function outputProg(t: Task, map: number, size: number): number {
  return loadProg(t, BpfProgType.BPF_PROG_TYPE_XDP, [
    ...insn(0xbf, 6, 1, 0, 0),
    ...ld64(1, 0, 0x04030201, 0x08070605), ...insn(0x7b, 10, 1, -8, 0),
    ...insn(0xbf, 1, 6, 0, 0), ...ld64(2, 1, map, 0), ...insn(0xb4, 3, 0, 0, -1),
    ...insn(0xbf, 4, 10, 0, 0), ...insn(0x07, 4, 0, 0, -8), ...insn(0xb7, 5, 0, 0, size),
    ...insn(0x85, 0, 0, 0, 25), ...insn(0x95, 0, 0, 0, 0),
  ]);
}

function run(t: Task, prog: number): number {
  const a = encodeAttrGroup('test', { prog_fd: prog, data_in: t.memory.alloc(new Uint8Array(64)), data_size_in: 64, repeat: 1 });
  t.bpf(BpfCmd.BPF_PROG_TEST_RUN, a);
  return new DataView(a.buffer).getInt32(4, true);
}

const u64At = (m: MemoryMapping, off: number): number => Number(new DataView(m.read(off, 8).buffer).getBigUint64(0, true));

function live(k: Kernel): unknown {
  const { objects, fds, files, mappings } = k.counts();
  return { objects, fds, files, mappings };
}

test('perf_event_open gives an anon_inode:[perf_event] fd; bad attrs, flags and CPUs get the kernel\'s errno', (t) => {
  const k = createDefaultKernel({ cpus: 2 });
  const before = live(k);
  const fd = open(k.init);
  t.is(k.init.readlink(`/proc/self/fd/${fd}`), 'anon_inode:[perf_event]');
  t.is(k.init.getFdFlags(fd), 1, 'PERF_FLAG_FD_CLOEXEC');
  k.init.close(fd);
  const short = attr((v) => { v.setUint32(O.size, 32, true); });
  t.is(errnoOf(() => open(k.init, short)), 'E2BIG');
  t.is(new DataView(short.buffer).getUint32(O.size, true), PERF_ATTR_SIZE, 'the kernel wrote its size back');
  t.is(errnoOf(() => open(k.init, new Uint8Array(4))), 'EFAULT');
  t.is(errnoOf(() => open(k.init, attr((v) => { v.setUint32(O.size, 200, true); }))), 'EFAULT', 'size past the bytes given');
  t.is(errnoOf(() => open(k.init, attr((v) => { v.setBigUint64(O.flags, 1n << 40n, true); }))), 'EINVAL', 'reserved bit');
  t.is(errnoOf(() => open(k.init, attr(), 2)), 'EINVAL', 'cpu past the possible CPUs');
  t.is(errnoOf(() => open(k.init, attr((v) => { v.setBigUint64(O.config, 12n, true); }))), 'ENOENT');
  t.is(errnoOf(() => open(k.init, attr((v) => { v.setUint32(O.type, 0, true); }))), 'ENOENT', 'no hardware PMU');
  t.is(errnoOf(() => k.init.perfEventOpen?.(attr(), -1, 0, -1, 0x10)), 'EINVAL');
  t.is(errnoOf(() => open(k.init, attr((v) => { v.setBigUint64(O.config, 0n, true); }))), 'EOPNOTSUPP', 'cpu-clock: not modelled');
  t.deepEqual(live(k), before, 'failures leave nothing behind');
});

test('perf_event_open of a kernel-counting event needs CAP_PERFMON (perf_event_paranoid 2); exclude_kernel does not', (t) => {
  const k = createDefaultKernel({ cpus: 2 });
  const c = container(k);
  t.is(errnoOf(() => open(c)), 'EACCES');
  const fd = open(c, attr((v) => { v.setBigUint64(O.flags, PerfAttrFlag.excludeKernel, true); }));
  t.true(fd >= 0);
});

test('mmap of a perf event: 1 + 2^n pages, shared, at offset 0; the user page describes the ring', (t) => {
  const k = createDefaultKernel({ cpus: 2 });
  const fd = open(k.init);
  const rw = PROT_READ | PROT_WRITE;
  t.is(errnoOf(() => k.init.mmap(fd, 4 * PAGE, rw, MAP_SHARED)), 'EINVAL');
  t.is(errnoOf(() => k.init.mmap(fd, 3 * PAGE, rw, 2)), 'EINVAL', 'MAP_PRIVATE');
  t.is(errnoOf(() => k.init.mmap(fd, 2 * PAGE, rw, MAP_SHARED, PAGE)), 'EINVAL', 'the AUX area');
  const m = k.init.mmap(fd, 3 * PAGE, rw, MAP_SHARED);
  t.deepEqual([PerfMmapPage.dataHead, PerfMmapPage.dataTail, PerfMmapPage.dataOffset, PerfMmapPage.dataSize].map((o) => u64At(m, o)), [0, 0, PAGE, 2 * PAGE]);
  t.is(errnoOf(() => k.init.mmap(fd, 5 * PAGE, rw, MAP_SHARED)), 'EINVAL', 'another size than the ring');
  k.init.close(fd);
  t.is(k.counts().mappings, 1, 'the mapping keeps the event');
  k.init.munmap(m);
  t.is(k.counts().files, createDefaultKernel().counts().files);
});

test('a perf event array takes perf event fds; bpf_perf_event_output writes samples and lost records into the mapped ring', (t) => {
  const k = createDefaultKernel({ cpus: 2 });
  const task = k.init;
  const before = live(k);
  const map = createMap(task, { map_type: BpfMapType.BPF_MAP_TYPE_PERF_EVENT_ARRAY, key_size: 4, value_size: 4, max_entries: 2 });
  t.is(errnoOf(() => update(task, map, u32(0), u32(map))), 'EBADF', 'a map fd is not a perf event');
  const inherited = open(task, attr((v) => { v.setBigUint64(O.flags, PerfAttrFlag.inherit, true); }));
  t.is(errnoOf(() => update(task, map, u32(0), u32(inherited))), 'EOPNOTSUPP');
  const prog = outputProg(task, map, 8);
  t.is(run(task, prog), -2, 'empty slot');
  const fd = open(task);
  update(task, map, u32(0), u32(fd));
  t.is(run(task, prog), -28, 'no ring mapped yet');
  const ring = task.mmap(fd, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED);
  t.is(run(task, prog), 0);
  t.is(u64At(ring, PerfMmapPage.dataHead), 24);
  t.deepEqual([...ring.read(PAGE, 24)], [9, 0, 0, 0, 1, 0, 24, 0, 12, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0],
    'PERF_RECORD_SAMPLE, misc KERNEL, size 24; raw size 12 (padded); data then 4 bytes of padding');
  let n = 1;
  while (run(task, prog) === 0) n++;
  t.is(n, 170, 'a 4096-byte ring holds 170 records of 24 bytes');
  t.is(run(task, prog), -28);
  const head = u64At(ring, PerfMmapPage.dataHead);
  const tail = new Uint8Array(8);
  new DataView(tail.buffer).setBigUint64(0, BigInt(head), true);
  ring.write(PerfMmapPage.dataTail, tail);
  t.is(run(task, prog), 0, 'room again once user space moves data_tail');
  const lost = Uint8Array.from({ length: 24 }, (_, i) => ring.read(PAGE + ((head + i) % PAGE), 1)[0] ?? 0);
  t.deepEqual([...lost.subarray(0, 8)], [2, 0, 0, 0, 0, 0, 24, 0], 'PERF_RECORD_LOST first');
  t.is(new DataView(lost.buffer).getUint32(16, true), 2, 'two records lost');
  task.close(fd);
  t.is(run(task, prog), 0, 'the slot keeps the event alive after its fd is closed');
  task.munmap(ring);
  t.is(run(task, prog), -28, 'the last munmap detaches the ring');
  task.close(prog);
  task.close(inherited);
  task.close(map);
  t.deepEqual(live(k), before, 'closing the map drops the slot\'s reference on the event');
});

test('releasing the map file a perf event slot was filled through empties the slot (perf_event_fd_array_release)', (t) => {
  const k = createDefaultKernel({ cpus: 2 });
  const task = k.init;
  const map = createMap(task, { map_type: BpfMapType.BPF_MAP_TYPE_PERF_EVENT_ARRAY, key_size: 4, value_size: 4, max_entries: 2 });
  const prog = outputProg(task, map, 8);
  const fd = open(task);
  const ring = task.mmap(fd, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED);
  const child = task.fork();
  update(task, map, u32(0), u32(fd));
  child.exit();
  t.is(run(task, prog), 0, 'closing another task\'s copy of the fd does not release the file');
  task.close(map);
  t.is(run(task, prog), -2, 'the slot went with the file (the program still holds the map)');
  task.munmap(ring);
});

test('perf_event_open and mmap of random attrs and arguments fail only with BpfError and leave nothing behind', (t) => {
  const k = createDefaultKernel({ cpus: 2 });
  const before = live(k);
  let seed = 12345;
  const rnd = (n: number): number => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed % n;
  };
  const picks = [-2, -1, 0, 1, 2, 3, 0x7fff_ffff, 2 ** 31, 1.5, Number.NaN];
  let opened = 0;
  for (let i = 0; i < 2000; i++) {
    const a = attr((v) => {
      for (let j = rnd(4); j > 0; j--) v.setUint8(rnd(PERF_ATTR_SIZE), rnd(256));
    }).subarray(0, rnd(5) === 0 ? rnd(PERF_ATTR_SIZE) : PERF_ATTR_SIZE);
    const arg = (): number => (rnd(3) === 0 ? picks[rnd(picks.length)] ?? 0 : rnd(3) - 1);
    try {
      const fd = k.init.perfEventOpen?.(a, arg(), arg(), rnd(2) === 0 ? -1 : arg(), rnd(2) === 0 ? 8 : arg()) ?? -1;
      opened++;
      try {
        k.init.munmap(k.init.mmap(fd, rnd(6) * PAGE + rnd(2), PROT_READ | (rnd(2) * PROT_WRITE), rnd(3), rnd(3) === 0 ? PAGE : 0));
      } catch (e) {
        t.true(errnoOf(() => { throw e; }) !== undefined, String(e));
      }
      k.init.close(fd);
    } catch (e) {
      t.true(errnoOf(() => { throw e; }) !== undefined, String(e));
    }
  }
  t.true(opened > 0);
  t.deepEqual(live(k), before);
});

test('PERF_EVENT_IOC_ENABLE/DISABLE put an event on its CPU and take it off; other files are ENOTTY', (t) => {
  const k = createDefaultKernel({ cpus: 2 });
  const task = k.init;
  const map = createMap(task, { map_type: BpfMapType.BPF_MAP_TYPE_PERF_EVENT_ARRAY, key_size: 4, value_size: 4, max_entries: 2 });
  const prog = outputProg(task, map, 8);
  const fd = open(task, attr((v) => { v.setBigUint64(O.flags, PerfAttrFlag.disabled, true); }));
  const ring = task.mmap(fd, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED);
  update(task, map, u32(0), u32(fd));
  t.is(run(task, prog), -95, 'attr.disabled: on no CPU');
  task.perfEventIoctl?.(fd, PERF_EVENT_IOC_ENABLE, 0);
  t.is(run(task, prog), 0);
  task.perfEventIoctl?.(fd, PERF_EVENT_IOC_DISABLE, 1);
  t.is(run(task, prog), -95);
  t.is(errnoOf(() => task.perfEventIoctl?.(map, PERF_EVENT_IOC_ENABLE, 0)), 'ENOTTY');
  t.is(errnoOf(() => task.perfEventIoctl?.(fd, 0x2402, 0)), 'ENOTTY');
  t.is(errnoOf(() => task.perfEventIoctl?.(999, PERF_EVENT_IOC_ENABLE, 0)), 'EBADF');
  task.munmap(ring);
});
