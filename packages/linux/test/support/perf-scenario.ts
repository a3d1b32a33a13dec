import {
  isBpfError, MAP_PRIVATE, MAP_SHARED, PERF_ATTR_SIZE, PERF_COUNT_SW_BPF_OUTPUT, PERF_EVENT_IOC_DISABLE, PERF_EVENT_IOC_ENABLE,
  PERF_SAMPLE_RAW, PERF_TYPE_SOFTWARE,
  PerfAttrFlag, PerfAttrOffset as O, PerfMmapPage, PROT_READ, PROT_WRITE, type BpfSyscall, type MemoryMapping,
} from '@bpfkit/kernel-api';
import { BpfCmd, BpfMapType, BpfProgType, encodeAttrGroup, encodeMapCreateAttr, encodeMapElemAttr, encodeProgLoadAttr } from '@bpfkit/uapi';
import { insn } from './bpf-bytes.js';

/** What the scenario needs of a kernel: `Task` and `LinuxSyscall` both are one. */
export interface PerfHost extends BpfSyscall {
  perfEventOpen?(attr: Uint8Array, pid: number, cpu: number, groupFd: number, flags: number): number;
  perfEventIoctl?(fd: number, request: number, arg: number): void;
  mmap?(fd: number, length: number, prot: number, flags: number, offset?: number): MemoryMapping;
  munmap?(mapping: MemoryMapping): void;
}

const PAGE = 4096;

/** The attr libbpf's perf buffer opens, with edits. */
export function bpfOutputAttr(edit: (v: DataView, bytes: Uint8Array) => void = () => undefined, length = PERF_ATTR_SIZE): Uint8Array {
  const bytes = new Uint8Array(length);
  const v = new DataView(bytes.buffer);
  v.setUint32(O.type, PERF_TYPE_SOFTWARE, true);
  v.setUint32(O.size, Math.min(length, PERF_ATTR_SIZE), true);
  v.setBigUint64(O.config, BigInt(PERF_COUNT_SW_BPF_OUTPUT), true);
  v.setBigUint64(O.sampleType, BigInt(PERF_SAMPLE_RAW), true);
  v.setUint32(O.wakeupEvents, 1, true);
  edit(v, bytes);
  return bytes;
}

const ldImm64 = (dst: number, src: number, lo: number, hi: number): number[] => [...insn(0x18, dst, src, 0, lo), ...insn(0, 0, 0, 0, hi)];

/**
 * An XDP program: `return bpf_perf_event_output(ctx, map, flags, stack bytes 1..24, size)`,
 * flags = `index` (-1: BPF_F_CURRENT_CPU) with `ctxLen` packet bytes asked for (flags >> 32).
 */
function outputProgram(mapFd: number, size: number, index = -1, ctxLen = 0): number[] {
  return [
    ...insn(0xbf, 6, 1, 0, 0),
    ...ldImm64(1, 0, 0x04030201, 0x08070605), ...insn(0x7b, 10, 1, -24, 0),
    ...ldImm64(1, 0, 0x0c0b0a09, 0x100f0e0d), ...insn(0x7b, 10, 1, -16, 0),
    ...ldImm64(1, 0, 0x14131211, 0x18171615), ...insn(0x7b, 10, 1, -8, 0),
    ...insn(0xbf, 1, 6, 0, 0),
    ...ldImm64(2, 1, mapFd, 0),
    ...(ctxLen === 0 ? insn(0xb4, 3, 0, 0, index) : ldImm64(3, 0, index, ctxLen)), // index (0xffffffff: BPF_F_CURRENT_CPU), packet bytes
    ...insn(0xbf, 4, 10, 0, 0), ...insn(0x07, 4, 0, 0, -24),
    ...insn(0xb7, 5, 0, 0, size),
    ...insn(0x85, 0, 0, 0, 25),
    ...insn(0x95, 0, 0, 0, 0),
  ];
}

/** One step's outcome: a value, or the errno name. */
export type Outcome = number | string | boolean | readonly (number | string)[] | null;

/** Runs every step on `host`, recording what each gave; closes what it opened. */
export function runPerfScenario(host: PerfHost, cpus: number): Record<string, Outcome> {
  const out: Record<string, Outcome> = {};
  const fds: number[] = [];
  const maps: MemoryMapping[] = [];
  const open = host.perfEventOpen?.bind(host);
  const mmap = host.mmap?.bind(host);
  if (open === undefined || mmap === undefined) throw new Error('the host has no perfEventOpen or mmap');
  const step = (name: string, fn: () => Outcome): void => {
    try {
      out[name] = fn();
    } catch (e) {
      if (!isBpfError(e)) throw e;
      out[name] = e.code;
    }
  };
  const fd = (n: number): number => (fds.push(n), n);
  const ev = (attr: Uint8Array, cpu = 0, pid = -1, group = -1, flags = 8): number => fd(open(attr, pid, cpu, group, flags));
  const okOpen = (attr: Uint8Array, cpu = 0, pid = -1, group = -1, flags = 8): Outcome => (ev(attr, cpu, pid, group, flags), 'ok');
  const mm = (f: number, len: number, prot = PROT_READ | PROT_WRITE, flags = MAP_SHARED, off = 0): MemoryMapping => {
    const m = mmap(f, len, prot, flags, off);
    maps.push(m);
    return m;
  };
  const u64At = (m: MemoryMapping, off: number): number => Number(new DataView(m.read(off, 8).buffer).getBigUint64(0, true));
  const setTail = (m: MemoryMapping, v: number): void => {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt(v), true);
    m.write(PerfMmapPage.dataTail, b);
  };
  const mem = (b: Uint8Array): bigint => host.memory.alloc(b);
  const u32 = (v: number): Uint8Array => Uint8Array.of(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24);
  const update = (map: number, key: number, value: number, flags = 0n): Outcome =>
    host.bpf(BpfCmd.BPF_MAP_UPDATE_ELEM, encodeMapElemAttr({ map_fd: map, key: mem(u32(key)), value: mem(u32(value)), flags }));
  const load = (insns: number[], progType: number = BpfProgType.BPF_PROG_TYPE_XDP): number => fd(host.bpf(BpfCmd.BPF_PROG_LOAD, encodeProgLoadAttr({
    prog_type: progType, insn_cnt: insns.length / 8, insns: mem(Uint8Array.from(insns)), license: mem(new TextEncoder().encode('GPL\0')),
  })));
  const frame = Uint8Array.from({ length: 64 }, (_, i) => (i * 7) & 0xff);
  const run = (prog: number): number => {
    const attr = encodeAttrGroup('test', { prog_fd: prog, data_in: mem(frame), data_size_in: 64, repeat: 1 });
    host.bpf(BpfCmd.BPF_PROG_TEST_RUN, attr);
    return new DataView(attr.buffer).getInt32(4, true); // retval
  };
  const flag = (bit: bigint) => (v: DataView): void => { v.setBigUint64(O.flags, v.getBigUint64(O.flags, true) | bit, true); };
  try {
    // perf_event_open: the attr and its size.
    step('open: libbpf perf buffer attr, cpu 0', () => okOpen(bpfOutputAttr()));
    step('open: size 0 (PERF_ATTR_SIZE_VER0)', () => okOpen(bpfOutputAttr((v) => { v.setUint32(O.size, 0, true); })));
    const small = bpfOutputAttr((v) => { v.setUint32(O.size, 32, true); });
    step('open: size 32', () => okOpen(small));
    out['open: size 32 wrote back'] = new DataView(small.buffer).getUint32(O.size, true);
    step('open: size 4097', () => okOpen(bpfOutputAttr((v) => { v.setUint32(O.size, 4097, true); }, 4200)));
    step('open: size 144, zero tail', () => okOpen(bpfOutputAttr((v) => { v.setUint32(O.size, 144, true); }, 144)));
    step('open: size 144, tail byte set', () => okOpen(bpfOutputAttr((v, b) => { v.setUint32(O.size, 144, true); b[140] = 1; }, 144)));
    step('open: flags 0x10', () => okOpen(bpfOutputAttr(), 0, -1, -1, 0x18));
    step('open: reserved flag bit 63', () => okOpen(bpfOutputAttr(flag(1n << 63n))));
    step('open: __reserved_2', () => okOpen(bpfOutputAttr((v) => { v.setUint16(O.reserved2, 1, true); })));
    step('open: sample_type bit 25', () => okOpen(bpfOutputAttr((v) => { v.setBigUint64(O.sampleType, 1n << 25n, true); })));
    step('open: read_format bit 5', () => okOpen(bpfOutputAttr((v) => { v.setBigUint64(O.readFormat, 1n << 5n, true); })));
    const sampleType = (bits: bigint, edit: (v: DataView) => void = () => undefined) => (v: DataView): void => {
      v.setBigUint64(O.sampleType, BigInt(PERF_SAMPLE_RAW) | bits, true);
      edit(v);
    };
    step('open: PERF_SAMPLE_BRANCH_STACK, no branch types', () => okOpen(bpfOutputAttr(sampleType(1n << 11n))));
    step('open: PERF_SAMPLE_BRANCH_STACK, any branch', () => okOpen(bpfOutputAttr(sampleType(1n << 11n, (v) => { v.setBigUint64(O.branchSampleType, 8n, true); }))));
    step('open: PERF_SAMPLE_REGS_USER, no registers', () => okOpen(bpfOutputAttr(sampleType(1n << 12n))));
    step('open: PERF_SAMPLE_STACK_USER, 12 bytes', () => okOpen(bpfOutputAttr(sampleType(1n << 13n, (v) => { v.setUint32(O.sampleStackUser, 12, true); }))));
    step('open: PERF_SAMPLE_REGS_INTR, no registers', () => okOpen(bpfOutputAttr(sampleType(1n << 18n))));
    step('open: aux_output', () => okOpen(bpfOutputAttr(flag(1n << 31n))));
    for (const [bit, name] of [[0, 'aux_start_paused'], [1, 'aux_pause'], [2, 'aux_resume'], [3, 'aux_action bit 3']] as const) {
      step(`open: ${name}`, () => okOpen(bpfOutputAttr((v) => { v.setUint32(O.auxAction, 1 << bit, true); })));
    }
    step('open: inherit_thread without inherit', () => okOpen(bpfOutputAttr(flag(PerfAttrFlag.inheritThread))));
    step('open: sigtrap without remove_on_exec', () => okOpen(bpfOutputAttr(flag(PerfAttrFlag.sigtrap))));
    step('open: sample_period bit 63', () => okOpen(bpfOutputAttr((v) => { v.setBigUint64(O.samplePeriod, 1n << 63n, true); })));
    step('open: freq 10^9', () => okOpen(bpfOutputAttr((v) => { flag(PerfAttrFlag.freq)(v); v.setBigUint64(O.samplePeriod, 1_000_000_000n, true); })));
    step('open: cpu = possible CPUs', () => okOpen(bpfOutputAttr(), cpus));
    step('open: cpu -1, pid -1', () => okOpen(bpfOutputAttr(), -1));
    step('open: PERF_FLAG_PID_CGROUP with pid -1', () => okOpen(bpfOutputAttr(), 0, -1, -1, 8 | 4));
    step('open: software event 12', () => okOpen(bpfOutputAttr((v) => { v.setBigUint64(O.config, 12n, true); })));
    step('open: software event 2^32', () => okOpen(bpfOutputAttr((v) => { v.setBigUint64(O.config, 1n << 32n, true); })));
    const array = fd(host.bpf(BpfCmd.BPF_MAP_CREATE, encodeMapCreateAttr({ map_type: BpfMapType.BPF_MAP_TYPE_PERF_EVENT_ARRAY, key_size: 4, value_size: 4, max_entries: cpus })));
    step('open: group_fd is a map', () => okOpen(bpfOutputAttr(), 0, -1, array));

    // mmap of the event.
    const e0 = ev(bpfOutputAttr());
    step('mmap: 4 pages (3 data pages)', () => (mm(e0, 4 * PAGE), 'ok'));
    step('mmap: private', () => (mm(e0, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE), 'ok'));
    step('mmap: offset one page', () => (mm(e0, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, PAGE), 'ok'));
    const ring = mm(e0, 2 * PAGE);
    out['mmap: user page data_head, data_tail, data_offset, data_size'] = [PerfMmapPage.dataHead, PerfMmapPage.dataTail, PerfMmapPage.dataOffset, PerfMmapPage.dataSize].map((o) => u64At(ring, o));
    step('mmap: again with another size', () => (mm(e0, 3 * PAGE), 'ok'));
    step('mmap: again with the same size', () => (mm(e0, 2 * PAGE), 'ok'));
    step('mmap: 1 page (user page only) of a new event', () => (mm(ev(bpfOutputAttr()), PAGE), 'ok'));

    // The perf event array.
    step('update: a map fd', () => update(array, 0, array));
    step('update: index past max_entries', () => update(array, cpus, e0));
    step('update: BPF_NOEXIST', () => update(array, 0, e0, 1n));
    step('update: an inherited event', () => update(array, 0, ev(bpfOutputAttr(flag(PerfAttrFlag.inherit)))));
    const p8 = load(outputProgram(array, 8));
    step('output: empty slot', () => run(p8));
    const unmapped = ev(bpfOutputAttr());
    step('update: unmapped event at 0', () => update(array, 0, unmapped));
    step('output: event without a ring', () => run(p8));
    if (cpus > 1) {
      step('update: cpu 1 event at 0', () => update(array, 0, ev(bpfOutputAttr(), 1)));
      step('output: event on another CPU', () => run(p8));
    }
    const disabled = ev(bpfOutputAttr(flag(PerfAttrFlag.disabled)));
    step('update: disabled event at 0', () => update(array, 0, disabled));
    step('output: disabled event', () => run(p8));
    const ioctl = (f: number, request: number, arg = 0): Outcome => {
      host.perfEventIoctl?.(f, request, arg);
      return 'ok';
    };
    mm(disabled, 2 * PAGE);
    step('ioctl: PERF_EVENT_IOC_ENABLE (flags 5)', () => ioctl(disabled, PERF_EVENT_IOC_ENABLE, 5));
    step('output: enabled event', () => run(p8));
    step('ioctl: PERF_EVENT_IOC_DISABLE', () => ioctl(disabled, PERF_EVENT_IOC_DISABLE));
    step('output: disabled again', () => run(p8));
    step('ioctl: ENABLE on a map fd', () => ioctl(array, PERF_EVENT_IOC_ENABLE));
    step('ioctl: ENABLE on fd 9999', () => ioctl(9999, PERF_EVENT_IOC_ENABLE));
    step('update: the mapped event at 0', () => update(array, 0, e0));
    const sizes = [8, 1, 13, 20, 0];
    for (const n of sizes) step(`output: ${n} bytes`, () => run(n === 8 ? p8 : load(outputProgram(array, n))));
    step('output: explicit index 0', () => run(load(outputProgram(array, 4, 0))));
    step('output: xdp, 4 bytes and 8 packet bytes', () => run(load(outputProgram(array, 4, -1, 8))));
    step('output: xdp, 64 packet bytes (the whole frame)', () => run(load(outputProgram(array, 0, -1, 64))));
    step('output: xdp, 65 packet bytes', () => run(load(outputProgram(array, 4, -1, 65))));
    step('output: sched_cls, 3 bytes and 5 packet bytes', () => run(load(outputProgram(array, 3, -1, 5), BpfProgType.BPF_PROG_TYPE_SCHED_CLS)));
    step('output: sched_cls, 65 packet bytes', () => run(load(outputProgram(array, 3, -1, 65), BpfProgType.BPF_PROG_TYPE_SCHED_CLS)));
    step('output: index past max_entries', () => run(load(outputProgram(array, 4, cpus))));
    out['ring: data_head after outputs'] = u64At(ring, PerfMmapPage.dataHead);
    out['ring: records'] = [...ring.read(PAGE, u64At(ring, PerfMmapPage.dataHead))];
    // Fill the ring, drop some, then free room: a lost record comes first.
    let n = 0;
    while (n < 1000 && run(p8) === 0) n++;
    out['fill: outputs that fit'] = n;
    step('fill: one more', () => run(p8));
    step('fill: and another', () => run(p8));
    const head = u64At(ring, PerfMmapPage.dataHead);
    out['fill: data_head'] = head;
    setTail(ring, head - 48);
    step('after consuming 48 bytes: output', () => run(p8));
    const head2 = u64At(ring, PerfMmapPage.dataHead);
    out['after consuming: data_head'] = head2;
    const rec = [...Array(head2 - head).keys()].map((i) => ring.read(PAGE + ((head + i) % PAGE), 1)[0] ?? 0);
    // The lost record's id is the kernel's event id: not comparable.
    out['after consuming: new records, id masked'] = rec.map((b, i) => (i >= 8 && i < 16 ? 0 : b));
    // A read-only mapping overwrites: outputs never fail.
    const ro = ev(bpfOutputAttr());
    const roRing = mm(ro, 2 * PAGE, PROT_READ);
    step('update: read-only mapped event at 0', () => update(array, 0, ro));
    let fails = 0;
    for (let i = 0; i < 600; i++) if (run(p8) !== 0) fails++;
    out['overwrite: failures in 600 outputs'] = fails;
    out['overwrite: data_head'] = u64At(roRing, PerfMmapPage.dataHead);
    // Raw tracepoint test runs can run on another CPU (BPF_F_TEST_RUN_ON_CPU): BPF_F_CURRENT_CPU picks that CPU's slot.
    if (cpus > 1) {
      const array3 = fd(host.bpf(BpfCmd.BPF_MAP_CREATE, encodeMapCreateAttr({ map_type: BpfMapType.BPF_MAP_TYPE_PERF_EVENT_ARRAY, key_size: 4, value_size: 4, max_entries: cpus })));
      const rings = [0, 1].map((c) => {
        const e = ev(bpfOutputAttr(), c);
        update(array3, c, e);
        return mm(e, 2 * PAGE);
      });
      const rawTp = BpfProgType.BPF_PROG_TYPE_RAW_TRACEPOINT;
      const onCpu = (prog: number, cpu: number): number => {
        const attr = encodeAttrGroup('test', { prog_fd: prog, ctx_in: mem(new Uint8Array(8)), ctx_size_in: 8, flags: 1, cpu });
        host.bpf(BpfCmd.BPF_PROG_TEST_RUN, attr);
        return new DataView(attr.buffer).getInt32(4, true);
      };
      const current = load(outputProgram(array3, 8), rawTp);
      step('raw_tp on cpu 1: current CPU', () => onCpu(current, 1));
      step('raw_tp on cpu 0: current CPU', () => onCpu(current, 0));
      step('raw_tp on cpu 1: slot 0', () => onCpu(load(outputProgram(array3, 8, 0), rawTp), 1));
      out['raw_tp: data_head of the cpu 0 and cpu 1 rings'] = rings.map((m) => u64At(m, PerfMmapPage.dataHead));
      out['raw_tp: cpu 1 ring'] = [...(rings[1]?.read(PAGE, 24) ?? [])];
    }
    // A slot belongs to the map file it was filled through: closing that fd empties it (the program keeps the map).
    const array2 = host.bpf(BpfCmd.BPF_MAP_CREATE, encodeMapCreateAttr({ map_type: BpfMapType.BPF_MAP_TYPE_PERF_EVENT_ARRAY, key_size: 4, value_size: 4, max_entries: cpus }));
    const p2 = load(outputProgram(array2, 8));
    step('second array: update through its only fd', () => update(array2, 0, ro));
    step('second array: output', () => run(p2));
    host.close(array2);
    step('second array: output after its fd is closed', () => run(p2));
    // The last munmap detaches the ring.
    for (const m of maps.splice(0)) host.munmap?.(m);
    step('update: e0 again after munmap', () => update(array, 0, e0));
    step('output: after the last munmap', () => run(p8));
  } finally {
    for (const m of maps) host.munmap?.(m);
    for (const f of fds.reverse()) host.close(f);
  }
  return out;
}
