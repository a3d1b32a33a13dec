import test, { type ImplementationFn } from 'ava';
import { BtfBuilder, BtfIntEncoding, decodeBtf } from '@bpfkit/btf';
import { isBpfError, type Kernel, type Task } from '@bpfkit/kernel-api';
import { createLinuxSyscall, linuxBpfAvailability } from '@bpfkit/linux';
import { delegatedBpffs } from '@bpfkit/testing';
import { BpfObject, FeatureProbes, bpfBtfLoad, downgradeBtf, objectFeatures, type LibbpfHost } from '@bpfkit/libbpf';
import { BPF_F_MMAPABLE, BPF_F_TOKEN_FD, BpfCmd, decodeAttr } from '@bpfkit/uapi';
import { fixture, packet, simKernel } from './helpers.js';
import { btfKinds, btfOf, progNameOf, recordingHost, type Refuse } from './support/recording-host.js';

const KIND = { FUNC: 12, FUNC_PROTO: 13, VAR: 14, DATASEC: 15, FLOAT: 16, DECL_TAG: 17, TYPE_TAG: 18, ENUM64: 19 };

/** A kernel that refuses BTF with any of `kinds` (EINVAL), as one that predates them. */
function lacksBtfKinds(...kinds: number[]): Refuse {
  return (cmd, attr, host) => (cmd === BpfCmd.BPF_BTF_LOAD && btfKinds(btfOf(host, attr)).some((k) => kinds.includes(k)) ? 'EINVAL' : undefined);
}

const ALL_FEATURES = {
  BTF: true, BTF_FUNC: true, BTF_GLOBAL_FUNC: true, BTF_DATASEC: true, BTF_FLOAT: true, BTF_DECL_TAG: true, BTF_TYPE_TAG: true, BTF_ENUM64: true,
  PROG_NAME: true, GLOBAL_DATA: true, ARRAY_MMAP: true, PROG_BIND_MAP: true,
};

test('simulated kernel: every probe passes and each runs once per object, so nothing changes', (t) => {
  const { host, calls } = recordingHost(simKernel().init);
  const obj = BpfObject.open(fixture('globals'), { name: 'globals', host });
  obj.load();
  t.deepEqual(objectFeatures(obj).results(), ALL_FEATURES);
  t.is(calls.filter((c) => c.cmd === BpfCmd.BPF_PROG_LOAD && progNameOf(c.attr) === 'libbpf_nametest').length, 1);
  t.true(obj.loadReport?.btfLoaded);
  t.is(obj.map('globals.data').info().name, 'globals.data');
  t.is(obj.program('count_in').info().name, 'count_in');
  t.not(obj.map('globals.data').info().mapFlags & BPF_F_MMAPABLE, 0);
  obj.close();
});

test('a kernel refusing the prog-name probe gets maps and programs without names, as libbpf', (t) => {
  const { host } = recordingHost(simKernel().init, (cmd, attr) => (cmd === BpfCmd.BPF_PROG_LOAD && progNameOf(attr) === 'libbpf_nametest' ? 'EINVAL' : undefined));
  const obj = BpfObject.open(fixture('xdp_filter'), { name: 'xdp_filter', host });
  obj.load();
  t.false(objectFeatures(obj).supports('PROG_NAME'));
  t.is(obj.map('counts').info().name, '');
  t.is(obj.program('xdp_filter').info().name, '');
  t.is(obj.program('xdp_filter').testRun({ dataIn: packet() }).retval, 2);
  obj.close();
});

test('a kernel without mmapable arrays gets internal maps without BPF_F_MMAPABLE', (t) => {
  const { host } = recordingHost(simKernel().init, (cmd, attr) => {
    if (cmd !== BpfCmd.BPF_MAP_CREATE) return undefined;
    const a = decodeAttr(BpfCmd.BPF_MAP_CREATE, attr);
    return (a.map_flags & BPF_F_MMAPABLE) !== 0 ? 'EINVAL' : undefined;
  });
  const obj = BpfObject.open(fixture('globals'), { name: 'globals', host });
  obj.load();
  t.false(objectFeatures(obj).supports('ARRAY_MMAP'));
  for (const m of obj.maps) t.is(m.info().mapFlags & BPF_F_MMAPABLE, 0, m.name);
  obj.close();
});

test('a kernel without global data: internal maps are not created and their ld_imm64s are poisoned (2001000000 + map index)', (t) => {
  // The probe stores through an ld_imm64 of a map value; this kernel refuses such loads for socket filters.
  const { host } = recordingHost(simKernel().init, (cmd, attr, h) => {
    if (cmd !== BpfCmd.BPF_PROG_LOAD) return undefined;
    const a = decodeAttr(BpfCmd.BPF_PROG_LOAD, attr);
    const first = h.memory.read(a.insns, 8);
    return a.prog_type === 1 && first[0] === 0x18 && (first[1] ?? 0) >> 4 === 2 ? 'EINVAL' : undefined;
  });
  const obj = BpfObject.open(fixture('xdp_filter'), { name: 'xdp_filter', host });
  t.throws(() => {
    obj.load();
  });
  t.false(objectFeatures(obj).supports('GLOBAL_DATA'));
  t.is(obj.loadReport?.failedProgram, 'xdp_filter');
  const rodata = obj.maps.findIndex((m) => m.realName === '.rodata');
  const rec = obj.program('xdp_filter').loadRecord;
  const code = rec?.insns ?? new Uint8Array(0);
  const v = new DataView(code.buffer, code.byteOffset);
  const poisoned: number[] = [];
  for (let i = 0; i < code.length / 8; i++) if (code[i * 8] === 0x85 && v.getInt32(i * 8 + 4, true) === 2001000000 + rodata) poisoned.push(i);
  t.true(poisoned.length >= 2 && poisoned.length % 2 === 0);
  t.false(rec?.mapRefs.some((r) => r.map.endsWith('.rodata')));
});

test('a kernel without VAR/DATASEC: the object\'s BTF is downgraded (VAR to INT, DATASEC to STRUCT) and loads', (t) => {
  const { host, calls } = recordingHost(simKernel().init, lacksBtfKinds(KIND.VAR, KIND.DATASEC));
  const obj = BpfObject.open(fixture('xdp_filter'), { name: 'xdp_filter', host });
  obj.load();
  t.false(objectFeatures(obj).supports('BTF_DATASEC'));
  t.true(obj.loadReport?.btfLoaded);
  const loaded = calls.filter((c) => c.cmd === BpfCmd.BPF_BTF_LOAD).at(-1);
  if (loaded === undefined) return t.fail('no BTF load');
  const kinds = btfKinds(loaded.btf ?? new Uint8Array(0));
  t.false(kinds.includes(KIND.VAR) || kinds.includes(KIND.DATASEC));
  t.is(obj.program('xdp_filter').testRun({ dataIn: packet() }).retval, 2);
  obj.close();
});

test('a kernel without BTF FUNC: FUNC and FUNC_PROTO are downgraded and programs go without func/line info or prog_btf_fd', (t) => {
  const { host, calls } = recordingHost(simKernel().init, lacksBtfKinds(KIND.FUNC, KIND.FUNC_PROTO));
  const obj = BpfObject.open(fixture('xdp_filter'), { name: 'xdp_filter', host });
  obj.load();
  t.true(obj.loadReport?.btfLoaded);
  const load = calls.filter((c) => c.cmd === BpfCmd.BPF_PROG_LOAD && progNameOf(c.attr) === 'xdp_filter').at(-1);
  if (load === undefined) return t.fail('no prog load');
  const a = decodeAttr(BpfCmd.BPF_PROG_LOAD, load.attr);
  t.deepEqual([a.prog_btf_fd, a.func_info_cnt, a.line_info_cnt], [0, 0, 0]);
  obj.close();
});

test('a kernel without BTF at all: the object loads without it; FEAT_BTF says why', (t) => {
  const { host } = recordingHost(simKernel().init, (cmd) => (cmd === BpfCmd.BPF_BTF_LOAD ? 'EPERM' : undefined));
  const obj = BpfObject.open(fixture('xdp_filter'), { name: 'xdp_filter', host });
  obj.load();
  t.false(obj.loadReport?.btfLoaded);
  t.regex(obj.loadReport?.btfError ?? '', /^EPERM: the BTF probe failed/);
  obj.close();
});

test('downgradeBtf: FLOAT, TYPE_TAG, DECL_TAG and ENUM64 become kinds an older kernel takes, and the result loads', (t) => {
  const b = new BtfBuilder();
  const int = b.add({ kind: 'INT', name: 'int', size: 4, encoding: BtfIntEncoding.SIGNED, bitsOffset: 0, bits: 32 });
  const float = b.add({ kind: 'FLOAT', name: 'float', size: 4 });
  const tag = b.add({ kind: 'TYPE_TAG', name: 'user', type: int, kflag: false });
  b.add({ kind: 'PTR', name: '', type: tag });
  b.add({ kind: 'ENUM64', name: 'big', size: 8, signed: false, values: [{ name: 'A', value: 1n << 40n }] });
  const s = b.add({ kind: 'STRUCT', name: 's', size: 8, kflag: false, members: [{ name: 'f', type: float, bitsOffset: 0, bitfieldSize: 0 }] });
  b.add({ kind: 'DECL_TAG', name: 'hint', type: s, componentIdx: -1, kflag: false });
  const raw = b.encode();
  const sim = simKernel();
  const { host } = recordingHost(sim.init, lacksBtfKinds(KIND.FLOAT, KIND.DECL_TAG, KIND.TYPE_TAG, KIND.ENUM64));
  const out = downgradeBtf(raw, new FeatureProbes(host, undefined));
  const btf = decodeBtf(out);
  t.deepEqual(btf.types.filter((x) => x.id > 0).map((x) => [x.kind, x.name]), [
    ['INT', 'int'], ['STRUCT', ''], ['CONST', ''], ['PTR', ''], ['UNION', 'big'], ['STRUCT', 's'], ['INT', 'hint'], ['INT', 'enum64_placeholder'],
  ]);
  t.notThrows(() => {
    sim.init.close(bpfBtfLoad(sim.init, out));
  });
});

const MOVE_MOUNT_F_EMPTY_PATH = 4;
const AT_FDCWD = -100;

function container(k: Kernel, path: string): Task {
  let dir = '';
  for (const part of path.split('/').filter((p) => p !== '')) {
    dir += `/${part}`;
    try {
      k.init.mkdir(dir, 0o755);
    } catch (e) {
      if (!isBpfError(e, 'EEXIST')) throw e;
    }
  }
  const d = delegatedBpffs(k, { delegate: { cmds: 'any', maps: 'any', progs: 'any', attachs: 'any' } });
  d.child.moveMount(d.mountFd, '', AT_FDCWD, path, MOVE_MOUNT_F_EMPTY_PATH);
  return d.child;
}

test('with a token, the probes carry it (token_fd and BPF_F_TOKEN_FD), as every other command of the load', (t) => {
  const { host, calls } = recordingHost(container(simKernel(), '/run/bpf'));
  const obj = BpfObject.open(fixture('globals'), { name: 'globals', host, tokenPath: '/run/bpf' });
  obj.load();
  const token = obj.tokenFd;
  if (token === undefined) return t.fail('no token');
  t.deepEqual(objectFeatures(obj).results(), ALL_FEATURES);
  const carried = (c: { cmd: number; attr: Uint8Array }): boolean => {
    if (c.cmd === BpfCmd.BPF_PROG_LOAD) {
      const a = decodeAttr(BpfCmd.BPF_PROG_LOAD, c.attr);
      return (a.prog_flags & BPF_F_TOKEN_FD) !== 0 && a.prog_token_fd === token;
    }
    if (c.cmd === BpfCmd.BPF_MAP_CREATE) {
      const a = decodeAttr(BpfCmd.BPF_MAP_CREATE, c.attr);
      return (a.map_flags & BPF_F_TOKEN_FD) !== 0 && a.map_token_fd === token;
    }
    const a = decodeAttr(BpfCmd.BPF_BTF_LOAD, c.attr);
    return (a.btf_flags & BPF_F_TOKEN_FD) !== 0 && a.btf_token_fd === token;
  };
  const creating = calls.filter((c) => c.cmd === BpfCmd.BPF_PROG_LOAD || c.cmd === BpfCmd.BPF_MAP_CREATE || c.cmd === BpfCmd.BPF_BTF_LOAD);
  t.true(creating.some((c) => c.cmd === BpfCmd.BPF_PROG_LOAD && progNameOf(c.attr) === 'libbpf_nametest'));
  t.deepEqual(creating.filter((c) => !carried(c)).map((c) => c.cmd), []);
  obj.close();
});

const availability = linuxBpfAvailability();
/** On Linux a serial test; elsewhere skipped, the title saying why. */
const real = (title: string, fn: ImplementationFn<[]>): void => {
  if (availability.available) test.serial(title, fn);
  else test.skip(`${title}: skipped, bpf() is not available here (${availability.error.code} ${availability.error.reason})`, () => {});
};

real('on Linux 6.18 every probe passes except full-range ld_imm64 offsets, and the globals object loads as before', (t) => {
  const linux: LibbpfHost = createLinuxSyscall();
  const features = new FeatureProbes(linux, undefined);
  t.true(Object.keys(ALL_FEATURES).every((f) => features.supports(f as keyof typeof ALL_FEATURES)));
  // 6.18 still says "direct value offset of 1073741824 is not allowed": arena globals start at 0.
  t.false(features.supports('LDIMM64_FULL_RANGE_OFF'));
  const obj = BpfObject.open(fixture('globals'), { name: 'globals', host: linux });
  obj.load();
  t.deepEqual(objectFeatures(obj).results(), ALL_FEATURES);
  t.true(obj.loadReport?.btfLoaded);
  obj.close();
});
