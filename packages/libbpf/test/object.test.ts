import test from 'ava';
import { isBpfError, type BpfError } from '@bpfkit/kernel-api';
import { BPF_F_MMAPABLE, BPF_F_NO_PREALLOC, BPF_F_RDONLY_PROG, BpfMapType, BpfProgType } from '@bpfkit/uapi';
import { encodeBtf } from '@bpfkit/btf';
import { builtinVmlinuxBtf, createDefaultKernel } from '@bpfkit/kernel/defaults';
import { BpfObject, internalMapName, parseCpuList, parseKernelConfig, type LibbpfHost } from '@bpfkit/libbpf';
import { fixture, hex, packet, readU64, simKernel, u32, u64 } from './helpers.js';

test('internal map names follow libbpf', (t) => {
  t.is(internalMapName('xdp_filter', '.rodata'), 'xdp_filt.rodata');
  t.is(internalMapName('xdp_filter', '.bss'), 'xdp_filt.bss');
  t.is(internalMapName('xdp_filter', '.kconfig'), 'xdp_fil.kconfig');
  t.is(internalMapName('ab', '.data'), 'ab.data');
  t.is(internalMapName('my-obj', '.data'), 'my_obj.data');
  t.is(internalMapName('globals', '.data.extra'), '.data.extra');
  t.is(internalMapName('globals', '.rodata.str1.1'), '.rodata.str1.1');
});

test('open view: programs and maps in libbpf order, nothing reaches the kernel', (t) => {
  const task = simKernel().init;
  const before = task.fdTable.size;
  const obj = BpfObject.open(fixture('xdp_filter'), { name: 'xdp_filter', host: task });
  t.is(task.fdTable.size, before);
  t.is(obj.name, 'xdp_filter');
  t.deepEqual(obj.programs.map((p) => [p.name, p.section, p.progTypeName, p.expectedAttachTypeName, p.insnCntAtOpen, p.autoload]), [
    ['xdp_filter', 'xdp', 'xdp', 'xdp', 28, true],
  ]);
  t.deepEqual(obj.maps.map((m) => [m.name, m.typeName, m.keySize, m.valueSize, m.maxEntries, m.mapFlags, m.internal]), [
    ['counts', 'hash', 4, 8, 1024, BPF_F_NO_PREALLOC, false],
    ['xdp_filt.rodata', 'array', 4, 4, 1, BPF_F_RDONLY_PROG | BPF_F_MMAPABLE, true],
  ]);
  t.is(hex(obj.map('xdp_filt.rodata').initialValue ?? new Uint8Array()), '11000000');
  t.is(obj.map('.rodata'), obj.map('xdp_filt.rodata'));
  const sf = BpfObject.open(fixture('socket_filter'), { name: 'socket_filter', host: task });
  t.deepEqual(sf.programs.map((p) => [p.name, p.autoload]), [['keep_head', true], ['drop_all', false]]);
  t.true(isBpfError(t.throws(() => obj.program('nope')), 'ENOENT'));
  t.true(isBpfError(t.throws(() => obj.map('nope')), 'ENOENT'));
  t.true(isBpfError(t.throws(() => BpfObject.open(fixture('xdp_filter'), { host: task, bogus: 1 } as never)), 'EINVAL'));
  t.true(isBpfError(t.throws(() => BpfObject.open(new Uint8Array([1, 2, 3]), { host: task })), 'EINVAL'));
});

test('globals: custom data sections, .kconfig map, rodata.str', (t) => {
  const task = simKernel().init;
  const g = BpfObject.open(fixture('globals'), { name: 'globals', host: task });
  t.deepEqual(g.maps.map((m) => m.name), ['globals.data', 'globals.rodata', '.data.extra', 'globals.bss', '.rodata.str1.1']);
  t.is(g.map('.rodata.str1.1').mapFlags, BPF_F_RDONLY_PROG);
  t.is(g.globals('.data').getU32('packets'), 5);
  const mv = BpfObject.open(fixture('map_values'), { name: 'map_values', host: task });
  t.deepEqual(mv.maps.map((m) => [m.name, m.typeName]), [
    ['inner_a', 'array'], ['inner_b', 'array'], ['outer', 'array_of_maps'], ['jmp', 'prog_array'], ['map_val.kconfig', 'array'],
  ]);
  t.is(mv.map('map_val.kconfig').valueSize, 5);
});

test('load xdp_filter: maps created, rodata frozen and read-only, test run counts per ifindex', (t) => {
  const task = simKernel().init;
  const obj = BpfObject.open(fixture('xdp_filter'), { name: 'xdp_filter', host: task });
  obj.load();
  t.deepEqual(obj.loadReport, { ok: true, errnoName: null, failedProgram: null, btfLoaded: true });
  const prog = obj.program('xdp_filter');
  t.true(prog.fd >= 0);
  const rec = prog.loadRecord;
  t.true(rec?.loaded);
  t.is(rec?.insnCnt, 28);
  t.deepEqual(rec?.mapRefs, [
    { insn: 6, kind: 'map_fd', map: 'counts' },
    { insn: 16, kind: 'map_fd', map: 'counts' },
    { insn: 20, kind: 'map_value', map: 'xdp_filt.rodata', valueOff: 0 },
  ]);
  t.true((rec?.verifiedInsns ?? 0) > 0);
  const rodata = obj.map('.rodata');
  t.true(rodata.frozen);
  t.true(isBpfError(t.throws(() => { rodata.update(u32(0), u32(1)); }), 'EPERM'));
  t.is(hex(rodata.lookup(u32(0))), '11000000');
  t.is(prog.testRun({ dataIn: packet(), repeat: 1 }).retval, 2);
  t.is(prog.testRun({ dataIn: packet(), repeat: 1 }).retval, 2);
  // The test run's xdp_md.ingress_ifindex is the loopback device's, 1.
  const counts = obj.map('counts');
  t.is(readU64(counts.lookup(u32(1))), 2n);
  counts.update(u32(9), u64(5n));
  t.deepEqual([...counts.entries()].map(([k, v]) => [hex(k), readU64(v)]).sort(), [['01000000', 2n], ['09000000', 5n]]);
  counts.delete(u32(9));
  t.is([...counts.keys()].length, 1);
  t.true(isBpfError(t.throws(() => counts.lookup(u32(9))), 'ENOENT'));
  t.true(isBpfError(t.throws(() => counts.lookup(new Uint8Array(2))), 'EINVAL'));
  t.true(isBpfError(t.throws(() => { obj.globals('.rodata').setU32('drop_proto', 1); }), 'EBUSY'));
  t.true(isBpfError(t.throws(() => { obj.load(); }), 'EINVAL'));
  obj.close();
});

test('globals patched before load change the verdict: drop_proto = 1 drops ifindex 1', (t) => {
  const task = simKernel().init;
  const obj = BpfObject.open(fixture('xdp_filter'), { name: 'xdp_filter', host: task });
  obj.globals('.rodata').setU32('drop_proto', 1);
  t.true(isBpfError(t.throws(() => { obj.globals('.rodata').set('drop_proto', new Uint8Array(2)); }), 'EINVAL'));
  t.true(isBpfError(t.throws(() => obj.globals('.rodata').get('nope')), 'ENOENT'));
  obj.load();
  t.is(obj.program('xdp_filter').testRun({ dataIn: packet() }).retval, 1);
  obj.close();
});

test('load socket_filter: the ?socket program is not loaded, keep_head truncates to 64', (t) => {
  const task = simKernel().init;
  const obj = BpfObject.open(fixture('socket_filter'), { name: 'socket_filter', host: task });
  obj.load();
  t.is(obj.program('drop_all').fd, -1);
  t.is(obj.program('drop_all').loadRecord, undefined);
  // skb->len of a test run excludes the 14-byte Ethernet header.
  t.is(obj.program('keep_head').testRun({ dataIn: packet(100) }).retval, 64);
  t.is(obj.program('keep_head').testRun({ dataIn: packet(40) }).retval, 26);
  obj.close();
});

test('load tc_shared: subprograms appended after each program, calls point at them', (t) => {
  const task = simKernel().init;
  const obj = BpfObject.open(fixture('tc_shared'), { name: 'tc_shared', host: task });
  obj.load();
  const ingress = obj.program('tc_ingress');
  const egress = obj.program('tc_egress');
  t.is(ingress.insnCntAtOpen, 2);
  t.is(ingress.loadRecord?.insnCnt, 2 + 6);
  // call imm = start of classify (slot 2) - (0 + 1)
  t.is(hex(ingress.loadRecord?.insns.subarray(0, 8) ?? new Uint8Array()), '8510000001000000');
  t.is(egress.loadRecord?.insnCnt, 6 + 5 + 6);
  t.is(ingress.testRun({ dataIn: packet(200) }).retval, 2);
  t.is(ingress.testRun({ dataIn: packet(60) }).retval, 0);
  t.is(egress.testRun({ dataIn: packet(60) }).retval, 0);
  obj.close();
});

test('load globals: every section is a map, .data is read back after a run', (t) => {
  const task = simKernel().init;
  const obj = BpfObject.open(fixture('globals'), { name: 'globals', host: task });
  obj.globals('.rodata').setU32('limit', 7);
  obj.load();
  const prog = obj.program('count_in');
  t.is(prog.loadRecord?.mapRefs.filter((r) => r.kind === 'map_value').length, 8);
  t.is(prog.testRun({ dataIn: packet(64) }).retval, 1);
  t.is(obj.map('globals.data').lookup(u32(0)).subarray(0, 4).join(), u32(6).join());
  t.is(readU64(obj.map('globals.bss').lookup(u32(0))), 50n);
  t.true(obj.map('globals.rodata').frozen);
  t.false(obj.map('globals.data').frozen);
  obj.close();
});

test('kconfig: LINUX_KERNEL_VERSION from the release, CONFIG_* from the option, a weak unknown stays 0', (t) => {
  const task = simKernel().init;
  const obj = BpfObject.open(fixture('map_values'), { name: 'map_values', host: task, kernelRelease: '6.18.3', kconfig: { CONFIG_BPF_SYSCALL: 'y' } });
  obj.load();
  const kc = obj.map('map_val.kconfig');
  t.is(hex(kc.initialValue ?? new Uint8Array()), `${hex(u32((6 << 16) + (18 << 8) + 3))}01`);
  t.true(kc.frozen);
  obj.close();
  // Without the option the kernel's own configuration is read (the simulated kernel's lists CONFIG_BPF_SYSCALL=y).
  const fromHost = BpfObject.open(fixture('map_values'), { name: 'map_values', host: task });
  fromHost.load();
  t.is(hex(fromHost.map('map_val.kconfig').initialValue ?? new Uint8Array()), `${hex(u32((6 << 16) + (18 << 8)))}01`);
  fromHost.close();
  const bare = createDefaultKernel({ kernelConfig: '# CONFIG_BPF_SYSCALL is not set\n' }).init;
  const weak = BpfObject.open(fixture('map_values'), { name: 'map_values', host: bare });
  weak.load();
  t.is(hex(weak.map('map_val.kconfig').initialValue ?? new Uint8Array()), `${hex(u32((6 << 16) + (18 << 8)))}00`);
  weak.close();
});

test('kconfig: a CONFIG_* extern on a host without a configuration is EINVAL, as libbpf without /boot/config or /proc/config.gz', (t) => {
  const task = simKernel().init;
  const host: LibbpfHost = { bpf: (cmd, attr) => task.bpf(cmd, attr), memory: task.memory, close: (fd) => { task.close(fd); } };
  const obj = BpfObject.open(fixture('map_values'), { name: 'map_values', host });
  const err = t.throws(() => {
    obj.load();
  });
  t.true(isBpfError(err, 'EINVAL'), String(err));
  t.regex(err?.message ?? '', /failed to open system Kconfig/);
  t.deepEqual(parseKernelConfig('CONFIG_HZ=250\n# CONFIG_KPROBES is not set\nCONFIG_S="a=b"\n#comment\n'), { CONFIG_HZ: '250', CONFIG_KPROBES: 'n', CONFIG_S: '"a=b"' });
});

test('a program the verifier rejects stops the load: report, log, every fd closed', (t) => {
  const task = simKernel().init;
  const before = task.fdTable.size;
  const obj = BpfObject.open(fixture('tc_shared'), { name: 'tc_shared', host: task });
  // As XDP, tc_egress passes its xdp_md to global_mark(struct __sk_buff *): 6.18 refuses the call with EINVAL
  // ("R1 type=ctx expected=fp", "Caller passes invalid args into func#1"), checked on the real kernel.
  obj.program('tc_egress').progType = BpfProgType.BPF_PROG_TYPE_XDP;
  obj.program('tc_egress').expectedAttachType = 0;
  const e = t.throws<BpfError>(() => {
    obj.load();
  });
  t.is(e.code, 'EINVAL');
  t.is(e.reason, 'libbpf:prog-load');
  t.regex(e.message, /^prog 'tc_egress': failed to load: -EINVAL\n/);
  t.truthy(e.log);
  t.regex(e.log ?? '', /R1 type=ctx expected=fp\nCaller passes invalid args into func#1 \('global_mark'\)\n/);
  t.deepEqual(obj.loadReport && { ok: obj.loadReport.ok, errnoName: obj.loadReport.errnoName, failedProgram: obj.loadReport.failedProgram }, {
    ok: false, errnoName: 'EINVAL', failedProgram: 'tc_egress',
  });
  t.true(obj.program('tc_ingress').loadRecord?.loaded);
  t.is(obj.program('tc_ingress').fd, -1);
  t.false(obj.program('tc_egress').loadRecord?.loaded);
  t.is(obj.program('tc_egress').loadRecord?.errno, 'EINVAL');
  t.regex(obj.program('tc_egress').loadRecord?.log ?? '', /processed \d+ insns/);
  t.is(obj.program('tcx_in').loadRecord, undefined);
  t.is(task.fdTable.size, before);
  t.is(obj.state, 'failed');
});

test('per-CPU maps: values span every possible CPU, 8-byte aligned', (t) => {
  const task = simKernel(2).init;
  const obj = BpfObject.open(fixture('xdp_filter'), { name: 'xdp_filter', host: task, possibleCpus: 2 });
  const counts = obj.map('counts');
  counts.type = BpfMapType.BPF_MAP_TYPE_PERCPU_HASH;
  t.is(counts.syscallValueSize, 16);
  obj.load();
  counts.update(u32(3), new Uint8Array(16).fill(1));
  t.is(counts.lookup(u32(3)).length, 16);
  obj.close();
});

test('per-CPU values: the possible CPUs come from the host when not given, as libbpf reads them', (t) => {
  const task = simKernel(3).init;
  t.is(task.readFile('/sys/devices/system/cpu/possible'), '0-2\n');
  const obj = BpfObject.open(fixture('xdp_filter'), { name: 'xdp_filter', host: task });
  t.is(obj.possibleCpus, 3);
  const counts = obj.map('counts');
  counts.type = BpfMapType.BPF_MAP_TYPE_PERCPU_HASH;
  t.is(counts.syscallValueSize, 24);
  obj.load();
  counts.update(u32(3), new Uint8Array(24).fill(1));
  t.is(counts.lookup(u32(3)).length, 24);
  obj.close();
  // A host that cannot read files needs the option, but only once a per-CPU value is sized.
  const bare: LibbpfHost = { bpf: (cmd, attr) => task.bpf(cmd, attr), memory: task.memory, close: (fd) => { task.close(fd); } };
  const blind = BpfObject.open(fixture('xdp_filter'), { name: 'xdp_filter', host: bare });
  t.true(isBpfError(t.throws(() => blind.possibleCpus), 'EOPNOTSUPP'));
  t.is(BpfObject.open(fixture('xdp_filter'), { name: 'xdp_filter', host: bare, possibleCpus: 5 }).possibleCpus, 5);
});

test('CPU lists parse as the kernel prints them', (t) => {
  t.is(parseCpuList('0\n'), 1);
  t.is(parseCpuList('0-3,8,10-11'), 7);
  for (const bad of ['', '3-1', 'a', '0-', '0,,1']) t.true(isBpfError(t.throws(() => parseCpuList(bad)), 'EINVAL'), bad);
});

test('declarative slots: map-in-map filled at map creation, prog array after the programs load', (t) => {
  const task = simKernel().init;
  const obj = BpfObject.open(fixture('map_values'), { name: 'map_values', host: task });
  obj.program('main_prog').autoload = false;
  obj.load();
  const id = (b: Uint8Array): number => new DataView(b.buffer, b.byteOffset).getUint32(0, true);
  const outer = obj.map('outer');
  t.is(id(outer.lookup(u32(0))), obj.map('inner_a').info().id);
  t.is(id(outer.lookup(u32(2))), obj.map('inner_b').info().id);
  t.true(isBpfError(t.throws(() => outer.lookup(u32(1))), 'ENOENT'));
  t.is(id(obj.map('jmp').lookup(u32(1))), obj.program('tail_prog').info().id);
  t.true(obj.map('map_val.kconfig').frozen);
  obj.close();
});

test('trace_ringbuf on the simulated kernel: CO-RE against the target BTF, tp_btf attach id, a weak missing kfunc', (t) => {
  const task = simKernel().init;
  const obj = BpfObject.open(fixture('trace_ringbuf'), {
    name: 'trace_ringbuf', host: task, targetBtf: encodeBtf(builtinVmlinuxBtf()), ksymAddresses: { init_task: 0n },
  });
  t.deepEqual(obj.programs.map((p) => [p.name, p.progTypeName, p.expectedAttachTypeName]), [
    ['handle_exec', 'tracing', 'trace_raw_tp'], ['sleepy', 'tracing', 'trace_fentry'], ['kp', 'kprobe', null],
  ]);
  // do_unlinkat is not in the built-in vmlinux BTF: libbpf would fail with ESRCH finding the attach target.
  obj.program('sleepy').autoload = false;
  obj.load();
  const rec = obj.program('handle_exec').loadRecord;
  t.true(rec?.loaded);
  t.true((rec?.coreLog.length ?? 0) > 0);
  // task_struct.pid at 1264 in the target, whatever the object's local struct said.
  t.true(hex(rec?.insns ?? new Uint8Array()).includes('b7010000f0040000'));
  t.deepEqual(rec?.mapRefs, [{ insn: 2, kind: 'map_fd', map: 'events' }]);
  t.true(obj.program('kp').loadRecord?.loaded);
  obj.close();

  const strict = BpfObject.open(fixture('trace_ringbuf'), { name: 'trace_ringbuf', host: task, targetBtf: encodeBtf(builtinVmlinuxBtf()) });
  const e = t.throws(() => {
    strict.load();
  });
  t.true(isBpfError(e, 'ESRCH'));
  t.regex(e?.message ?? '', /init_task/);
  t.is(strict.loadReport?.failedProgram, null);
});

test('typeless ksyms: addresses from the host\'s /proc/kallsyms unless ksymAddresses is given; a missing strong one is ESRCH', (t) => {
  const task = simKernel().init;
  t.regex(task.readFile('/proc/kallsyms'), /^ffffffff81000000 T \w+\n/);
  // The simulated kernel lists functions only (no CONFIG_KALLSYMS_ALL), as the reference machine: bpf_prog_fops is data.
  const obj = BpfObject.open(fixture('externs'), { name: 'externs', host: task });
  const err = t.throws(() => {
    obj.load();
  });
  t.true(isBpfError(err, 'ESRCH'), String(err));
  t.regex(err?.message ?? '', /bpf_prog_fops': failed to find in kallsyms/);
  const withFile: LibbpfHost = {
    bpf: (cmd, attr) => task.bpf(cmd, attr), memory: task.memory, close: (fd) => { task.close(fd); },
    kernelConfig: () => task.kernelConfig(),
    readFile: (p) => (p === '/proc/kallsyms' ? 'ffffffff82000000 D bpf_prog_fops\nffffffff82000000 D bpf_prog_fops\n' : task.readFile(p)),
  };
  const resolved = BpfObject.open(fixture('externs'), { name: 'externs', host: withFile });
  const err2 = t.throws(() => {
    resolved.load();
  });
  t.notRegex(err2?.message ?? '', /bpf_prog_fops/);
  resolved.close();
  const ambiguous: LibbpfHost = { ...withFile, readFile: () => 'ffffffff82000000 D bpf_prog_fops\nffffffff82000040 d bpf_prog_fops\n' };
  t.true(isBpfError(t.throws(() => {
    BpfObject.open(fixture('externs'), { name: 'externs', host: ambiguous }).load();
  }), 'EINVAL'));
});
