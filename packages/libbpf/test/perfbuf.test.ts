import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { BpfError, type PerfEventRecord } from '@bpfkit/kernel-api';
import { createLinuxSyscall, linuxBpfAvailability } from '@bpfkit/linux';
import { BpfObject, PerfBuffer, bpfMapLookupElem, type LibbpfHost } from '@bpfkit/libbpf';
import { hex, simKernel, u32 } from './helpers.js';

/** A frame of `n` bytes 0, 1, 2, …. */
const packet = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => i & 0xff);

const here = dirname(fileURLToPath(import.meta.url));
const object = (): Uint8Array => new Uint8Array(readFileSync(join(here, '..', '..', 'elf', 'test', 'fixtures', 'perf_output.o')));

function errnoOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (e) {
    if (e instanceof BpfError) return e.code;
    throw e;
  }
}

/** Records as comparable JSON: samples in hex, lost counts as numbers. */
const show = (records: PerfEventRecord[]): (string | number)[][] => records.map((r) => [r.cpu, r.data === undefined ? r.lost ?? -1 : hex(r.data)]);

/** The perf_output fixture on one kernel: samples of both programs, then a full ring and the lost record. */
function scenario(host: LibbpfHost): Record<string, unknown> {
  const obj = BpfObject.open(object(), { name: 'perf_output', host, possibleCpus: 2 });
  obj.load();
  const out: Record<string, unknown> = {};
  const pb = PerfBuffer.open(host, obj.map('events').fd, { pageCnt: 1 });
  try {
    out['buffers'] = pb.bufferCount;
    const records: PerfEventRecord[] = [];
    out['retvals'] = [
      obj.program('xdp_perf_event').testRun({ dataIn: packet(64) }).retval,
      obj.program('xdp_perf_event').testRun({ dataIn: packet(14) }).retval,
      obj.program('xdp_perf_packet').testRun({ dataIn: packet(64) }).retval,
    ];
    out['consumed'] = pb.consume((r) => records.push(r));
    out['samples'] = show(records);
    out['again'] = pb.consume(() => undefined);
    let fit = 0;
    while (fit < 500 && obj.program('xdp_perf_event').testRun({ dataIn: packet(64) }).retval === 2) fit++;
    out['fit in one page'] = fit;
    out['dropped'] = obj.program('xdp_perf_event').testRun({ dataIn: packet(64) }).retval;
    records.length = 0;
    pb.consume((r) => records.push(r));
    out['after full: records'] = records.length;
    out['then'] = [obj.program('xdp_perf_packet').testRun({ dataIn: packet(64) }).retval];
    records.length = 0;
    pb.consume((r) => records.push(r));
    out['lost then sample'] = show(records);
    // The ring wraps: keep writing and consuming, every sample comes back whole.
    const sizes: number[] = [];
    for (let i = 0; i < 300; i++) {
      obj.program('xdp_perf_event').testRun({ dataIn: packet(20 + (i % 40)) });
      pb.consume((r) => sizes.push(r.data?.[0] ?? -1));
    }
    out['wrapped lengths ok'] = sizes.every((n, i) => n === 20 + (i % 40));
  } finally {
    pb.close();
  }
  out['slot after close'] = errnoOf(() => bpfMapLookupElem(host, obj.map('events').fd, u32(0), 4));
  out['run after close'] = obj.program('xdp_perf_packet').testRun({ dataIn: packet(64) }).retval;
  obj.close();
  return out;
}

test('PerfBuffer on the simulated kernel: one event per CPU in the map, samples read back with their padded raw size, lost records, wrap-around', (t) => {
  const k = simKernel(2);
  const before = k.counts();
  const out = scenario(k.init);
  t.is(out['buffers'], 2);
  t.deepEqual(out['retvals'], [2, 2, 2]);
  t.deepEqual(out['samples'], [
    // len 64, ifindex 1, the first 6 packet bytes; 14 bytes padded to the raw size 20 (4 + 20 = 24).
    [0, '4000000001000000000102030405000000000000'],
    [0, '0e00000001000000000102030405000000000000'],
    // The 4-byte tag, then the 8 packet bytes flags >> 32 asked for.
    [0, '0df0edfe0001020304050607'],
  ]);
  t.is(out['again'], 0);
  t.is(out['fit in one page'], 127, '32-byte records; one byte of the ring always stays free');
  t.is(out['dropped'], 1, 'XDP_DROP: bpf_perf_event_output said -ENOSPC');
  t.is(out['after full: records'], 127);
  t.deepEqual(out['lost then sample'], [[0, 2], [0, '0df0edfe0001020304050607']]);
  t.true(out['wrapped lengths ok']);
  t.is(out['slot after close'], 'ENOTSUPP', 'perf event array slots cannot be read from user space');
  t.is(out['run after close'], 1, 'the slot was emptied: -ENOENT, XDP_DROP');
  t.deepEqual(k.counts().fds, before.fds);
});

test('PerfBuffer.open refuses a page count that is not a power of two, a map of another type, and a host without perf_event_open', (t) => {
  const k = simKernel(2);
  const obj = BpfObject.open(object(), { name: 'perf_output', host: k.init, possibleCpus: 2 });
  obj.load();
  t.is(errnoOf(() => PerfBuffer.open(k.init, obj.map('events').fd, { pageCnt: 3 })), 'EINVAL');
  const xdp = BpfObject.open(new Uint8Array(readFileSync(join(here, '..', '..', 'elf', 'test', 'fixtures', 'xdp_filter.o'))), { name: 'xdp_filter', host: k.init, possibleCpus: 2 });
  xdp.load();
  t.is(errnoOf(() => PerfBuffer.open(k.init, xdp.map('counts').fd, { pageCnt: 1 })), 'EINVAL');
  const bare: LibbpfHost = { bpf: (c, a) => k.init.bpf(c, a), close: (fd) => { k.init.close(fd); }, memory: k.init.memory };
  t.is(errnoOf(() => PerfBuffer.open(bare, obj.map('events').fd, { pageCnt: 1, possibleCpus: 2 })), 'EOPNOTSUPP');
  t.throws(() => PerfBuffer.open(k.init, obj.map('events').fd, { pages: 1 } as never), { instanceOf: TypeError });
  xdp.close();
  obj.close();
});

const availability = linuxBpfAvailability();
if (!availability.available) {
  test.skip(`linux: skipped, bpf() is not available here (${availability.error.code} ${availability.error.reason}) [perf buffers on both kernels]`, () => {});
} else {
  test('PerfBuffer: the perf_output fixture gives the same samples, lost records and errnos on both kernels', (t) => {
    const linux = createLinuxSyscall();
    linux.pinCpu(0);
    try {
      t.deepEqual(scenario(simKernel(2).init), scenario(linux));
    } finally {
      linux.pinCpu(-1);
    }
  });
}
