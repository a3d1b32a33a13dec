import test from 'ava';
import { BpfError } from '@bpfkit/kernel-api';
import { loadObjectSpec, specToJson, type ProgramSpec } from '@bpfkit/elf';
import { FIXTURES, fixture, snapshot } from './helpers.js';

function prog(name: string, fixtureName: string): ProgramSpec {
  const p = loadObjectSpec(fixture(fixtureName)).programs.find((x) => x.name === name);
  if (p === undefined) throw new Error(`no program ${name}`);
  return p;
}

for (const name of FIXTURES) {
  test(`${name}.o gives its committed spec`, (t) => {
    const json = specToJson(loadObjectSpec(fixture(name)));
    t.deepEqual(JSON.parse(JSON.stringify(json)), snapshot(name, json));
  });

  test(`${name}.o gives the same spec every time`, (t) => {
    t.deepEqual(JSON.stringify(specToJson(loadObjectSpec(fixture(name)))), JSON.stringify(specToJson(loadObjectSpec(fixture(name).slice()))));
  });
}

test('an XDP program references its hash map and its rodata knob', (t) => {
  const spec = loadObjectSpec(fixture('xdp_filter'));
  const p = prog('xdp_filter', 'xdp_filter');
  t.is(p.progTypeName, 'BPF_PROG_TYPE_XDP');
  t.is(p.expectedAttachTypeName, 'BPF_XDP');
  t.is(spec.license, 'GPL');
  t.deepEqual(spec.maps.map((m) => [m.name, m.type, m.keySize, m.valueSize, m.maxEntries, m.flags]), [['counts', 1, 4, 8, 1024, 1]]);
  t.deepEqual(p.relocations.map((r) => r.kind), ['map', 'map', 'data']);
  const rodata = spec.dataSections.find((d) => d.name === '.rodata');
  t.deepEqual(rodata?.variables.map((v) => [v.name, v.offset, v.size]), [['drop_proto', 0, 4]]);
  t.deepEqual([...(rodata?.bytes ?? [])], [17, 0, 0, 0]);
});

test('a "?" section is a program that is not loaded by default', (t) => {
  t.true(prog('keep_head', 'socket_filter').autoload);
  const off = prog('drop_all', 'socket_filter');
  t.false(off.autoload);
  t.is(off.section, 'socket');
  t.is(off.sectionName, '?socket');
  t.is(off.progTypeName, 'BPF_PROG_TYPE_SOCKET_FILTER');
});

test('several programs of one section each get their own instructions', (t) => {
  const spec = loadObjectSpec(fixture('tc_shared'));
  const tc = spec.programs.filter((p) => p.section === 'tc');
  t.deepEqual(tc.map((p) => [p.name, p.sectionInsn]), [['tc_ingress', 0], ['tc_egress', 2]]);
  t.is(tc.reduce((n, p) => n + p.slots, 0), 8);
});

test('one static subprogram is shared by several programs through call relocations', (t) => {
  const spec = loadObjectSpec(fixture('tc_shared'));
  t.deepEqual(spec.subprograms.map((f) => [f.name, f.global]).sort(), [['classify', false], ['global_mark', true]]);
  t.deepEqual(prog('tc_ingress', 'tc_shared').subprograms, ['classify']);
  t.deepEqual(prog('tc_egress', 'tc_shared').subprograms, ['classify', 'global_mark']);
  t.deepEqual(prog('tc_egress', 'tc_shared').relocations, [
    { insn: 1, kind: 'call', function: 'global_mark' },
    { insn: 4, kind: 'call', function: 'classify' },
  ]);
  t.is(prog('tcx_in', 'tc_shared').expectedAttachTypeName, 'BPF_TCX_INGRESS');
});

test('.data, .rodata, .data.*, .bss and .rodata.str1.1 become data sections with variables and offsets', (t) => {
  const spec = loadObjectSpec(fixture('globals'));
  t.deepEqual(spec.dataSections.map((d) => [d.name, d.kind, d.size]), [
    ['.data', 'data', 8], ['.rodata', 'rodata', 4], ['.data.extra', 'data', 4], ['.bss', 'bss', 12], ['.rodata.str1.1', 'rodata', 5],
  ]);
  const p = prog('count_in', 'globals');
  t.is(p.expectedAttachTypeName, 'BPF_CGROUP_INET_INGRESS');
  t.deepEqual(p.relocations.map((r) => (r.kind === 'data' ? `${r.section}+${String(r.offset)}` : r.kind)), [
    '.data+0', '.bss+8', '.data.extra+0', '.bss+0', '.rodata.str1.1+0', '.data+4', '.rodata+0', '.data+0',
  ]);
});

test('a static global is reached through its section symbol plus the offset in imm', (t) => {
  const bss = loadObjectSpec(fixture('globals')).dataSections.find((d) => d.name === '.bss');
  t.deepEqual(bss?.variables.map((v) => [v.name, v.offset, v.size, v.global]), [['bytes', 0, 8, true], ['seen', 8, 4, false]]);
});

test('a global after the start of its section is reached at its symbol value', (t) => {
  const data = loadObjectSpec(fixture('globals')).dataSections.find((d) => d.name === '.data');
  t.deepEqual(data?.variables.map((v) => [v.name, v.offset]), [['packets', 0], ['dropped', 4]]);
  t.deepEqual([...(data?.bytes ?? [])], [5, 0, 0, 0, 2, 0, 0, 0]);
});

test('the same program built for ISA v4 gives the same maps and relocation targets', (t) => {
  const v3 = loadObjectSpec(fixture('xdp_filter'));
  const v4 = loadObjectSpec(fixture('xdp_filter_v4'));
  const shape = (m: (typeof v3.maps)[number]): unknown[] => [m.name, m.type, m.keySize, m.valueSize, m.maxEntries, m.flags];
  t.deepEqual(v4.maps.map(shape), v3.maps.map(shape));
  const targets = (spec: typeof v3): string[][] => spec.programs.map((p) => p.relocations.map((r) => JSON.stringify({ ...r, insn: undefined })));
  t.deepEqual(targets(v4), targets(v3));
});

test('a CO-RE tracing program keeps its ringbuf map, core relocations, kfunc and ksym externs', (t) => {
  const spec = loadObjectSpec(fixture('trace_ringbuf'));
  t.deepEqual(spec.maps.map((m) => [m.name, m.type, m.maxEntries]), [['events', 27, 4096]]);
  const p = prog('handle_exec', 'trace_ringbuf');
  t.is(p.progTypeName, 'BPF_PROG_TYPE_TRACING');
  t.is(p.expectedAttachTypeName, 'BPF_TRACE_RAW_TP');
  t.is(p.attachTo, 'sched_process_exec');
  t.true(p.coreRelos.length >= 2);
  t.true(p.coreRelos.every((r) => r.accessStr.startsWith('0:')));
  t.true(p.lineInfo.length > 0);
  t.deepEqual(p.funcInfo.map((f) => f.insnOff), [0]);
  t.deepEqual(spec.externs.map((e) => [e.name, e.kind, e.weak]), [['bpf_task_under_cgroup', 'kfunc', true], ['init_task', 'ksym', false]]);
  t.deepEqual(p.relocations.filter((r) => r.kind === 'extern').map((r) => r.kind === 'extern' && r.extern), ['bpf_task_under_cgroup', 'init_task']);
  const sleepy = prog('sleepy', 'trace_ringbuf');
  t.true(sleepy.sleepable);
  t.is(sleepy.expectedAttachTypeName, 'BPF_TRACE_FENTRY');
  t.is(prog('kp', 'trace_ringbuf').progTypeName, 'BPF_PROG_TYPE_KPROBE');
});

test('non-ELF bytes are EINVAL with an elf: reason', (t) => {
  const e = t.throws(() => loadObjectSpec(new Uint8Array(10)), { instanceOf: BpfError });
  t.is(e?.code, 'EINVAL');
  t.is(e?.reason, 'elf:truncated-header');
});

test('map-in-map and prog array slots declared with .values are kept by index', (t) => {
  const spec = loadObjectSpec(fixture('map_values'));
  const outer = spec.maps.find((m) => m.name === 'outer');
  t.is(outer?.type, 12);
  t.deepEqual([outer?.inner?.type, outer?.inner?.keySize, outer?.inner?.valueSize, outer?.inner?.maxEntries], [2, 4, 4, 1]);
  t.deepEqual(outer?.initialValues, [{ index: 0, target: 'inner_a' }, { index: 2, target: 'inner_b' }]);
  const jmp = spec.maps.find((m) => m.name === 'jmp');
  t.true(jmp?.valuesAreProgs);
  t.deepEqual(jmp?.initialValues, [{ index: 1, target: 'tail_prog' }]);
});

test('a callback passed to bpf_loop is a function address reaching a .text subprogram', (t) => {
  const p = prog('main_prog', 'map_values');
  t.deepEqual(p.relocations[0], { insn: 2, kind: 'func-addr', function: 'count_cb' });
  t.deepEqual(p.subprograms, ['count_cb']);
});

test('.kconfig externs are classified, weak ones marked', (t) => {
  const spec = loadObjectSpec(fixture('map_values'));
  t.deepEqual(spec.externs.map((e) => [e.name, e.kind, e.weak]), [
    ['CONFIG_BPF_SYSCALL', 'kconfig', true],
    ['LINUX_KERNEL_VERSION', 'kconfig', false],
  ]);
});
