import test from 'ava';
import { isBpfError, MAP_SHARED, PROT_READ, PROT_WRITE, type Task } from '@bpfkit/kernel-api';
import { createDefaultKernel } from '@bpfkit/kernel/defaults';
import { BPF_F_MMAPABLE, BPF_F_RDONLY_PROG, BpfCmd, BpfMapType, BpfProgType, encodeProgLoadAttr } from '@bpfkit/uapi';
import { createMap, errnoOf, freeze, insn, u32, u64, update } from './bpf-calls.js';

/** r1 = &value[0]; r0 = *(u32 *)(r1 + 0); if r0 != 5 goto +1; r0 = 1; r0 = 0; exit. */
function branchOnValue(mapFd: number): number[] {
  return [
    ...insn(0x18, 1, 2, 0, mapFd), ...insn(0, 0, 0, 0, 0),
    ...insn(0x61, 0, 1, 0, 0),
    ...insn(0x55, 0, 0, 1, 5),
    ...insn(0xb7, 0, 0, 0, 1),
    ...insn(0xb7, 0, 0, 0, 0),
    ...insn(0x95, 0, 0, 0, 0),
  ];
}

/** r1 = map; *(u32 *)(r10 - 4) = 0; r0 = bpf_map_lookup_elem(r1, r10 - 4); if r0 == 0 goto +1; r0 = *(u32 *)(r0 + 0); exit. */
function lookupValue(mapFd: number): number[] {
  return [
    ...insn(0x62, 10, 0, -4, 0), ...insn(0xbf, 2, 10, 0, 0), ...insn(0x07, 2, 0, 0, -4),
    ...insn(0x18, 1, 1, 0, mapFd), ...insn(0, 0, 0, 0, 0),
    ...insn(0x85, 0, 0, 0, 1),
    ...insn(0x15, 0, 0, 1, 0),
    ...insn(0x61, 0, 0, 0, 0),
    ...insn(0x95, 0, 0, 0, 0),
  ];
}

/** BPF_PROG_LOAD at log level 2: the verdict and the log. */
function verify(t: Task, insns: number[]): { code: string; log: string } {
  const size = 1 << 16;
  const buf = t.memory.alloc(size);
  let code = 'ok';
  try {
    t.close(t.bpf(BpfCmd.BPF_PROG_LOAD, encodeProgLoadAttr({
      prog_type: BpfProgType.BPF_PROG_TYPE_SOCKET_FILTER, insn_cnt: insns.length / 8, insns: t.memory.alloc(Uint8Array.from(insns)),
      license: t.memory.alloc(new TextEncoder().encode('GPL\0')), log_level: 2, log_size: size, log_buf: buf,
    })));
  } catch (e) {
    if (!isBpfError(e)) throw e;
    code = e.code;
  }
  const log = new TextDecoder().decode(t.memory.read(buf, size));
  return { code, log: log.slice(0, log.indexOf('\0')) };
}

const LOADED_CONST = /r0 = \*\(u32 \*\)\(r1 \+0\) +; R0=5 /;
const LOADED_UNKNOWN = /r0 = \*\(u32 \*\)\(r1 \+0\) +; R0=scalar\(smin=0,smax=umax=0xffffffff,var_off=\(0x0; 0xffffffff\)\)/;

function array(t: Task, flags: number, mapType: number = BpfMapType.BPF_MAP_TYPE_ARRAY, maxEntries = 1): number {
  const fd = createMap(t, { map_type: mapType, key_size: 4, value_size: 8, max_entries: maxEntries, map_flags: flags });
  if (mapType === BpfMapType.BPF_MAP_TYPE_ARRAY) update(t, fd, u32(0), u64(5));
  return fd;
}

test('a frozen BPF_F_RDONLY_PROG array is read as constants: the dead arm is not walked (6 insns, as on 6.18)', (t) => {
  const task = createDefaultKernel().init;
  const fd = array(task, BPF_F_RDONLY_PROG);
  freeze(task, fd);
  const r = verify(task, branchOnValue(fd));
  t.is(r.code, 'ok');
  t.regex(r.log, LOADED_CONST);
  t.regex(r.log, /processed 6 insns/);
});

test('the value read is the one the map holds when the program loads', (t) => {
  const task = createDefaultKernel().init;
  const fd = array(task, BPF_F_RDONLY_PROG);
  update(task, fd, u32(0), u64(0x1234));
  freeze(task, fd);
  t.regex(verify(task, branchOnValue(fd)).log, /; R0=4660 /);
});

test('not frozen, or frozen but writable by programs: the load is an unknown u32 and both arms are walked (8 insns)', (t) => {
  const task = createDefaultKernel().init;
  const notFrozen = array(task, BPF_F_RDONLY_PROG);
  const writable = array(task, 0);
  freeze(task, writable);
  for (const fd of [notFrozen, writable]) {
    const r = verify(task, branchOnValue(fd));
    t.is(r.code, 'ok');
    t.regex(r.log, LOADED_UNKNOWN);
    t.regex(r.log, /processed 8 insns/);
  }
});

test('an mmapable read-only array: a read-only mapping keeps it constant, a writable one is never granted', (t) => {
  const task = createDefaultKernel().init;
  const fd = array(task, BPF_F_RDONLY_PROG | BPF_F_MMAPABLE);
  t.is(errnoOf(() => task.mmap(fd, 4096, PROT_READ | PROT_WRITE, MAP_SHARED)), 'EACCES');
  freeze(task, fd);
  const m = task.mmap(fd, 4096, PROT_READ, MAP_SHARED);
  t.regex(verify(task, branchOnValue(fd)).log, LOADED_CONST);
  task.munmap(m);
});

test('only arrays with a direct value address fold: per-CPU arrays stay unknown, arrays of two entries fail with ENOTSUPP', (t) => {
  const task = createDefaultKernel().init;
  const percpu = array(task, BPF_F_RDONLY_PROG, BpfMapType.BPF_MAP_TYPE_PERCPU_ARRAY);
  freeze(task, percpu);
  const p = verify(task, lookupValue(percpu));
  t.is(p.code, 'ok');
  t.regex(p.log, /r0 = \*\(u32 \*\)\(r0 \+0\) +; R0=scalar\(smin=0,smax=umax=0xffffffff/);
  const two = array(task, BPF_F_RDONLY_PROG, BpfMapType.BPF_MAP_TYPE_ARRAY, 2);
  freeze(task, two);
  const r = verify(task, lookupValue(two));
  t.is(r.code, 'ENOTSUPP');
  t.regex(r.log, /\(61\) r0 = \*\(u32 \*\)\(r0 \+0\)\nprocessed 7 insns/);
});
