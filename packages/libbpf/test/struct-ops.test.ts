import test, { type ExecutionContext, type ImplementationFn } from 'ava';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BtfBuilder, BtfIntEncoding, type Btf } from '@bpfkit/btf';
import { isBpfError, type BpfError } from '@bpfkit/kernel-api';
import type { ErrnoName } from '@bpfkit/uapi';
import { createLinuxSyscall, linuxBpfAvailability } from '@bpfkit/linux';
import { BpfObject, findVmlinuxBtf, structOpsValue, type LibbpfHost } from '@bpfkit/libbpf';
import { simKernel } from './helpers.js';

const FIXTURE = new Uint8Array(readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'elf', 'test', 'fixtures', 'struct_ops.o')));

function open(host: LibbpfHost, targetBtf?: Uint8Array): BpfObject {
  return BpfObject.open(FIXTURE, { name: 'struct_ops', host, ...(targetBtf === undefined ? {} : { targetBtf }) });
}

interface KernelShape {
  /** The type of tcp_congestion_ops.flags. */
  flags?: 'u32' | 'u64';
  /** Members the kernel struct lacks. */
  drop?: readonly string[];
  /** cong_avoid as a plain u64 instead of a function pointer. */
  congAvoidScalar?: boolean;
  /** bpf_struct_ops_tcp_congestion_ops without a `data` of the struct's type. */
  noData?: boolean;
}

/**
 * A kernel BTF with `struct tcp_congestion_ops` (its own member order: ssthresh, cong_avoid,
 * undo_cwnd, name, flags, init, release) and `bpf_struct_ops_tcp_congestion_ops { u64 refcnt; …; data @16 }`.
 */
function kernelBtf(shape: KernelShape = {}): Uint8Array {
  const b = new BtfBuilder();
  const uint = b.add({ kind: 'INT', name: 'unsigned int', size: 4, encoding: 0, bitsOffset: 0, bits: 32 });
  const u64 = b.add({ kind: 'INT', name: 'long long unsigned int', size: 8, encoding: 0, bitsOffset: 0, bits: 64 });
  const char = b.add({ kind: 'INT', name: 'char', size: 1, encoding: BtfIntEncoding.SIGNED, bitsOffset: 0, bits: 8 });
  const sock = b.add({ kind: 'STRUCT', name: 'sock', size: 8, kflag: false, members: [] });
  const sockPtr = b.add({ kind: 'PTR', name: '', type: sock });
  const proto = b.add({ kind: 'FUNC_PROTO', name: '', type: 0, params: [{ name: '', type: sockPtr }] });
  const fn = b.add({ kind: 'PTR', name: '', type: proto });
  const name = b.add({ kind: 'ARRAY', name: '', type: char, indexType: uint, nelems: 16 });
  const m = (n: string, type: number, off: number): { name: string; type: number; bitsOffset: number; bitfieldSize: number } => ({ name: n, type, bitsOffset: off * 8, bitfieldSize: 0 });
  const members = [
    m('ssthresh', fn, 0), m('cong_avoid', shape.congAvoidScalar === true ? u64 : fn, 8), m('undo_cwnd', fn, 16), m('name', name, 24),
    m('flags', shape.flags === 'u64' ? u64 : uint, 40), m('init', fn, 48), m('release', fn, 56),
  ].filter((x) => !(shape.drop ?? []).includes(x.name));
  const ops = b.add({ kind: 'STRUCT', name: 'tcp_congestion_ops', size: 64, kflag: false, members });
  b.add({ kind: 'STRUCT', name: 'bpf_struct_ops_tcp_congestion_ops', size: 80, kflag: false, members: [m('refcnt', u64, 0), m('data', shape.noData === true ? u64 : ops, 16)] });
  return b.encode();
}

function cString(bytes: Uint8Array): string {
  const end = bytes.indexOf(0);
  return new TextDecoder().decode(end < 0 ? bytes : bytes.subarray(0, end));
}

test('the object\'s struct is laid into the kernel\'s value by member name; programs get the kernel member index as expected_attach_type', (t) => {
  const obj = open(simKernel().init, kernelBtf());
  // The value type id comes from this made-up BTF, not the simulated kernel's: map creation refuses it afterwards.
  const e = t.throws<BpfError>(() => {
    obj.load();
  });
  t.true(isBpfError(e, 'ENOTSUPP'));
  const value = structOpsValue(obj.map('kit'));
  if (value === undefined) return t.fail('no value prepared');
  t.is(value.length, 80);
  t.is(obj.map('kit').valueSize, 80);
  const v = new DataView(value.buffer);
  t.is(cString(value.subarray(16 + 24, 16 + 40)), 'bpfkit');
  t.is(v.getUint32(16 + 40, true), 1);
  t.is(cString(structOpsValue(obj.map('kit_link'))?.subarray(40, 56) ?? new Uint8Array(0)), 'bpfkit_link');
  t.deepEqual(obj.programs.map((p) => [p.name, p.expectedAttachType, p.autoload]), [['kit_init', 5, true], ['kit_ssthresh', 0, true], ['kit_cong_avoid', 1, true]]);
  t.deepEqual(value.subarray(0, 16), new Uint8Array(16));
});

test('struct_ops mismatches are refused as libbpf: EOPNOTSUPP for sizes, kinds and non-zero members the kernel lacks; EINVAL without a data member', (t) => {
  const cases: [KernelShape, ErrnoName, RegExp][] = [
    [{ flags: 'u64' }, 'EOPNOTSUPP', /Error in size of member flags: 4 != 8\(kernel\)/],
    [{ drop: ['name'] }, 'EOPNOTSUPP', /Cannot find member name in kernel BTF/],
    [{ congAvoidScalar: true }, 'EOPNOTSUPP', /Unmatched member type cong_avoid PTR != INT\(kernel\)/],
    [{ noData: true }, 'EINVAL', /struct tcp_congestion_ops data is not found in struct bpf_struct_ops_tcp_congestion_ops/],
  ];
  for (const [shape, code, message] of cases) {
    const obj = open(simKernel().init, kernelBtf(shape));
    const e = t.throws<BpfError>(() => {
      obj.load();
    });
    t.is(e.code, code, JSON.stringify(shape));
    t.regex(e.message, message);
  }
});

test('a zero member the kernel lacks is skipped, and a callback slot it lacks stops that program from loading', (t) => {
  const obj = open(simKernel().init, kernelBtf({ drop: ['release', 'init'] }));
  t.throws(() => {
    obj.load();
  }, { code: 'ENOTSUPP' });
  t.deepEqual(obj.programs.map((p) => [p.name, p.autoload]), [['kit_init', false], ['kit_ssthresh', true], ['kit_cong_avoid', true]]);
});

test('a struct_ops map that is not auto-created does not load the programs only it uses', (t) => {
  const obj = open(simKernel().init, kernelBtf());
  obj.map('kit_link').autocreate = false;
  t.throws(() => {
    obj.load();
  });
  t.deepEqual(obj.programs.map((p) => [p.name, p.autoload]), [['kit_init', true], ['kit_ssthresh', true], ['kit_cong_avoid', false]]);
  t.is(structOpsValue(obj.map('kit_link')), undefined);
});

test('attachStructOps before load is EINVAL, as bpf_map__attach_struct_ops on a map without an fd', (t) => {
  const obj = open(simKernel().init);
  t.throws(() => obj.map('kit').attachStructOps(), { code: 'EINVAL' });
  t.throws(() => obj.map('struct_o.bss').attachStructOps(), { code: 'EINVAL', message: /non-struct_ops/ });
});

const availability = linuxBpfAvailability();
/** On Linux a serial test; elsewhere skipped, the title saying why. */
const real = (title: string, fn: ImplementationFn<[]>): void => {
  if (availability.available) test.serial(title, fn);
  else test.skip(`${title}: skipped, bpf() is not available here (${availability.error.code} ${availability.error.reason})`, () => {});
};

function memberOffset(vmlinux: Btf, struct: string, member: string): { offset: number; index: number } {
  const id = vmlinux.byName(struct, 'STRUCT');
  const type = id === undefined ? undefined : vmlinux.type(id);
  if (type?.kind !== 'STRUCT') throw new Error(`no ${struct}`);
  const index = type.members.findIndex((m) => m.name === member);
  const m = type.members[index];
  if (m === undefined) throw new Error(`no ${struct}.${member}`);
  return { offset: m.bitsOffset / 8, index };
}

function loadsKit(t: ExecutionContext, host: LibbpfHost): void {
  const vmlinux = findVmlinuxBtf(host);
  const obj = open(host);
  obj.map('kit_link').autocreate = false;
  obj.load();
  try {
    const kit = obj.map('kit');
    const info = kit.info();
    const vtypeId = vmlinux.byName('bpf_struct_ops_tcp_congestion_ops', 'STRUCT');
    t.is(info.type, 26);
    t.is(info.valueSize, vtypeId === undefined ? -1 : vmlinux.size(vtypeId) ?? -1);
    t.is(obj.map('kit_link').fd, -1);
    const data = memberOffset(vmlinux, 'bpf_struct_ops_tcp_congestion_ops', 'data').offset;
    const init = memberOffset(vmlinux, 'tcp_congestion_ops', 'init');
    const ssthresh = memberOffset(vmlinux, 'tcp_congestion_ops', 'ssthresh');
    const name = memberOffset(vmlinux, 'tcp_congestion_ops', 'name').offset;
    const flags = memberOffset(vmlinux, 'tcp_congestion_ops', 'flags').offset;
    t.deepEqual(obj.programs.map((p) => [p.name, p.fd >= 0, p.expectedAttachType]), [['kit_init', true, init.index], ['kit_ssthresh', true, ssthresh.index], ['kit_cong_avoid', false, 0]]);
    t.is(obj.program('kit_init').info().attachBtfId, vmlinux.byName('tcp_congestion_ops', 'STRUCT') ?? -1);
    const value = structOpsValue(kit);
    if (value === undefined) return t.fail('no value');
    const v = new DataView(value.buffer);
    t.is(cString(value.subarray(data + name, data + name + 16)), 'bpfkit');
    t.is(v.getUint32(data + flags, true), 1);
    t.is(Number(v.getBigInt64(data + init.offset, true)), obj.program('kit_init').fd);
    t.is(Number(v.getBigInt64(data + ssthresh.offset, true)), obj.program('kit_ssthresh').fd);
    // tcp_validate_congestion_control wants ssthresh, undo_cwnd and cong_avoid or cong_control.
    t.throws(() => kit.attachStructOps(), { code: 'EINVAL' });
  } finally {
    obj.close();
  }
}

function failsAtCongAvoid(t: ExecutionContext, host: LibbpfHost): void {
  const obj = open(host);
  const e = t.throws<BpfError>(() => {
    obj.load();
  });
  t.true(isBpfError(e, 'EACCES'));
  t.is(obj.loadReport?.failedProgram, 'kit_cong_avoid');
  t.regex(e.message, /R3 !read_ok/);
  t.regex(obj.program('kit_cong_avoid').loadRecord?.log ?? '', /Global function kit_cong_avoid\(\) doesn't return scalar/);
}

const KIT = 'the .struct_ops map loads against tcp_congestion_ops; registering it is refused by the kernel (no undo_cwnd/cong_avoid)';
const CONG_AVOID = 'loading both maps fails at kit_cong_avoid, which reads its argument from r3 (the fixture has no BPF_PROG wrapper)';
test(`simulated kernel: ${KIT}`, (t) => { loadsKit(t, simKernel().init); });
test(`simulated kernel: ${CONG_AVOID}`, (t) => { failsAtCongAvoid(t, simKernel().init); });
real(`on Linux: ${KIT}`, (t) => { loadsKit(t, createLinuxSyscall()); });
real(`on Linux: ${CONG_AVOID}`, (t) => { failsAtCongAvoid(t, createLinuxSyscall()); });
