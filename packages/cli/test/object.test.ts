import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { attachTypeStr, internalMapName, mapTypeStr, objectNameFromPath, progTypeStr } from '@bpfkit/libbpf';
import { EXAMPLES, run } from './run.js';

const FIXTURES = new URL('../../elf/test/fixtures/', import.meta.url).pathname;
const tmp = mkdtempSync(join(tmpdir(), 'bpfkit-object-'));

interface Shown {
  file: string;
  name: string;
  programs: { name: string; section: string; prog_type: string; expected_attach_type: string | null; insn_cnt: number; autoload: boolean; sleepable: boolean; subprograms: string[] }[];
  maps: { name: string; type: string; key_size: number; value_size: number; max_entries: number; flags: number; internal: boolean; section: string | null; inner: string | null }[];
  globals: { section: string; name: string; offset: number; size: number; type: string; global: boolean }[];
  externs: { name: string; kind: string; weak: boolean; type: string }[];
  btf: { types: number; string_bytes: number } | null;
  func_info: number;
  line_info: number;
  core_relos: number;
}

async function show(path: string): Promise<Shown> {
  const r = await run('object', 'show', '--json', path);
  if (r.code !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as Shown;
}

const fixture = (name: string): string => join(FIXTURES, `${name}.o`);

test('object show prints programs, maps, globals and the BTF summary, bpftool style', async (t) => {
  const r = await run('object', 'show', fixture('xdp_filter'));
  t.is(r.code, 0, r.stderr);
  t.is(r.stdout, [
    'object xdp_filter  license GPL  kern_version 0',
    'programs:',
    '  xdp_filter  section xdp  type xdp  attach_type xdp  insns 28  autoload',
    'maps:',
    '  counts  type hash  key 4B  value 8B  max_entries 1024  flags 0x1',
    '  xdp_filt.rodata  type array  key 4B  value 4B  max_entries 1  flags 0x480  section .rodata',
    'globals:',
    '  .rodata  drop_proto  offset 0  size 4  type const volatile __u32',
    'btf: 27 types, 542 string bytes; func_info 1, line_info 10, core_relos 0',
    '',
  ].join('\n'));
});

test('object show --json is one stable document', async (t) => {
  const a = await run('object', 'show', '--json', fixture('xdp_filter'));
  const b = await run('object', 'show', '--json', fixture('xdp_filter'));
  t.is(a.stdout, b.stdout);
  t.deepEqual(JSON.parse(a.stdout), {
    file: 'xdp_filter.o',
    name: 'xdp_filter',
    license: 'GPL',
    kern_version: 0,
    programs: [{
      name: 'xdp_filter', section: 'xdp', prog_type: 'xdp', expected_attach_type: 'xdp', attach_to: '', insn_cnt: 28, autoload: true,
      sleepable: false, subprograms: [], func_info: 1, line_info: 10, core_relos: 0,
    }],
    subprograms: [],
    maps: [
      { name: 'counts', type: 'hash', key_size: 4, value_size: 8, max_entries: 1024, flags: 1, internal: false, section: null, inner: null, pinning: 'none' },
      { name: 'xdp_filt.rodata', type: 'array', key_size: 4, value_size: 4, max_entries: 1, flags: 0x480, internal: true, section: '.rodata', inner: null, pinning: 'none' },
    ],
    globals: [{ section: '.rodata', name: 'drop_proto', offset: 0, size: 4, type: 'const volatile __u32', global: true }],
    externs: [],
    btf: { types: 27, string_bytes: 542 },
    func_info: 1,
    line_info: 10,
    core_relos: 0,
  });
});

test('internal maps follow libbpf: section order, 8 characters of the object name before .data/.rodata/.bss, custom sections whole, mmapable when a variable is global', async (t) => {
  const s = await show(fixture('globals'));
  t.deepEqual(s.maps.map((m) => [m.name, m.type, m.value_size, m.max_entries, m.flags, m.section]), [
    ['globals.data', 'array', 8, 1, 0x400, '.data'],
    ['globals.rodata', 'array', 4, 1, 0x480, '.rodata'],
    ['.data.extra', 'array', 4, 1, 0x400, '.data.extra'],
    ['globals.bss', 'array', 12, 1, 0x400, '.bss'],
    // No DATASEC for merged strings: not mmapable, only read-only.
    ['.rodata.str1.1', 'array', 5, 1, 0x80, '.rodata.str1.1'],
  ]);
  t.true(s.maps.every((m) => m.internal && m.key_size === 4));
  t.deepEqual(s.globals.map((g) => `${g.section} ${g.name} ${String(g.offset)}+${String(g.size)} ${g.type}${g.global ? '' : ' static'}`), [
    '.data packets 0+4 int',
    '.data dropped 4+4 int',
    '.rodata limit 0+4 const volatile int',
    '.data.extra extra 0+4 int',
    '.bss bytes 0+8 __u64',
    '.bss seen 8+4 int static',
  ]);
});

test('the object name is the basename cut at its first dot; the prefix shrinks for long names and characters the kernel refuses become _', async (t) => {
  const dashed = join(tmp, 'my-obj.bpf.o');
  copyFileSync(fixture('xdp_filter'), dashed);
  const d = await show(dashed);
  t.is(d.name, 'my-obj');
  t.is(d.maps[1]?.name, 'my_obj.rodata');
  const long = join(tmp, 'a_very_long_object_name.o');
  copyFileSync(fixture('xdp_filter'), long);
  t.is((await show(long)).maps[1]?.name, 'a_very_l.rodata');
});

test('kconfig externs get a .kconfig map sized as libbpf lays them out, with only 7 characters of the object name', async (t) => {
  const s = await show(fixture('map_values'));
  t.deepEqual(s.maps.map((m) => [m.name, m.type, m.key_size, m.value_size, m.max_entries, m.flags, m.inner]), [
    ['inner_a', 'array', 4, 4, 1, 0, null],
    ['inner_b', 'array', 4, 4, 1, 0, null],
    ['outer', 'array_of_maps', 4, 4, 4, 0, 'array'],
    ['jmp', 'prog_array', 4, 4, 2, 0, null],
    // LINUX_KERNEL_VERSION (4 bytes) at 0, CONFIG_BPF_SYSCALL (bool) at 4.
    ['map_val.kconfig', 'array', 4, 5, 1, 0x480, null],
  ]);
  t.deepEqual(s.externs.map((e) => [e.name, e.kind, e.weak, e.type]), [
    ['CONFIG_BPF_SYSCALL', 'kconfig', true, '_Bool'],
    ['LINUX_KERNEL_VERSION', 'kconfig', false, 'int'],
  ]);
  t.deepEqual(s.programs.map((p) => [p.name, p.prog_type, p.expected_attach_type, p.subprograms]), [
    ['tail_prog', 'socket_filter', null, []],
    ['main_prog', 'socket_filter', null, ['count_cb']],
  ]);
});

test('program types and attach types are spelled as libbpf prints them', async (t) => {
  const tc = await show(fixture('tc_shared'));
  t.deepEqual(tc.programs.map((p) => [p.name, p.section, p.prog_type, p.expected_attach_type, p.insn_cnt, p.subprograms]), [
    ['tc_ingress', 'tc', 'sched_cls', null, 2, ['classify']],
    ['tc_egress', 'tc', 'sched_cls', null, 6, ['classify', 'global_mark']],
    ['tcx_in', 'tcx/ingress', 'sched_cls', 'tcx_ingress', 2, ['classify']],
  ]);
  const tr = await show(fixture('trace_ringbuf'));
  t.deepEqual(tr.programs.map((p) => [p.name, p.prog_type, p.expected_attach_type, p.sleepable]), [
    ['handle_exec', 'tracing', 'trace_raw_tp', false],
    ['sleepy', 'tracing', 'trace_fentry', true],
    ['kp', 'kprobe', null, false],
  ]);
  t.deepEqual(tr.maps.map((m) => [m.name, m.type, m.max_entries]), [['events', 'ringbuf', 4096]]);
  t.deepEqual(tr.externs.map((e) => [e.name, e.kind, e.weak]), [['bpf_task_under_cgroup', 'kfunc', true], ['init_task', 'ksym', false]]);
  t.is(tr.core_relos, 3);
  const cg = await show(fixture('globals'));
  t.deepEqual(cg.programs.map((p) => [p.prog_type, p.expected_attach_type]), [['cgroup_skb', 'cgroup_inet_ingress']]);
});

test('a SEC("?...") program is listed with autoload off', async (t) => {
  const s = await show(fixture('socket_filter'));
  t.deepEqual(s.programs.map((p) => [p.name, p.section, p.autoload]), [['keep_head', 'socket', true], ['drop_all', '?socket', false]]);
  const r = await run('object', 'show', fixture('socket_filter'));
  t.regex(r.stdout, /^ {2}drop_all {2}section \?socket {2}type socket_filter {2}insns 2 {2}no-autoload$/m);
  t.regex(r.stdout, /^maps:\n {2}\(none\)$/m);
});

test('the example object: one XDP program and its stats array', async (t) => {
  const s = await show(join(EXAMPLES, 'xdp_count.o'));
  t.is(s.name, 'xdp_count');
  t.deepEqual(s.programs.map((p) => [p.name, p.prog_type, p.insn_cnt]), [['count_packets', 'xdp', 19]]);
  t.deepEqual(s.maps.map((m) => [m.name, m.type, m.key_size, m.value_size, m.max_entries]), [['stats', 'array', 4, 16, 1]]);
  t.is(s.line_info, 11);
  t.is(s.btf?.types, 24);
});

test('every committed object shows in text and JSON without error', async (t) => {
  for (const name of ['xdp_filter', 'socket_filter', 'tc_shared', 'globals', 'trace_ringbuf', 'map_values', 'xdp_filter_v4']) {
    const text = await run('object', 'show', fixture(name));
    t.is(text.code, 0, `${name}: ${text.stderr}`);
    const json = await run('object', 'show', '--json', fixture(name));
    t.is(json.code, 0, `${name}: ${json.stderr}`);
  }
});

test('object show: a missing file is one line, exit code 2', async (t) => {
  const r = await run('object', 'show', join(tmp, 'nope.o'));
  t.is(r.code, 2);
  t.is(r.stderr, `bpfkit: cannot read ${join(tmp, 'nope.o')}: ENOENT\n`);
});

test('the naming helpers (from the client) spell what libbpf spells, aliases and long sections included', (t) => {
  t.is(progTypeStr(3), 'sched_cls');
  t.is(progTypeStr(26), 'tracing');
  t.is(mapTypeStr(5), 'percpu_hash');
  // libbpf names the value, not the `_DEPRECATED` alias that precedes it in the kernel's enum.
  t.is(mapTypeStr(19), 'cgroup_storage');
  t.is(mapTypeStr(21), 'percpu_cgroup_storage');
  t.is(attachTypeStr(0), 'cgroup_inet_ingress');
  t.is(attachTypeStr(37), 'xdp');
  t.is(objectNameFromPath('/tmp/x/xdp_fw.bpf.o'), 'xdp_fw');
  t.is(objectNameFromPath('a_very_long_object_name.o'), 'a_very_long_obj');
  t.is(internalMapName('xdp_filter', '.bss'), 'xdp_filt.bss');
  t.is(internalMapName('xdp_filter', '.kconfig'), 'xdp_fil.kconfig');
  t.is(internalMapName('my-obj', '.data'), 'my_obj.data');
  t.is(internalMapName('xdp_filter', '.rodata.abracadabra'), '.rodata.abracad');
  t.is(internalMapName('xdp_filter', '.data.a-b'), '.data.a_b');
});

test('the object name keeps 15 bytes of a UTF-8 basename, not 15 characters', (t) => {
  t.is(objectNameFromPath('ééééééééé.o'), 'ééééééé'); // 18 bytes: 7 whole characters fit
});

test('struct_ops, arena and typed kconfig objects: maps as libbpf opens them', async (t) => {
  const ext = await show(fixture('externs'));
  // CONFIG_NEG (8) at 0; CONFIG_BPF_JIT and LINUX_KERNEL_VERSION (4) at 8 and 12; CONFIG_SHORT at 16;
  // the two 1-byte ones at 18 and 19; CONFIG_DEFAULT_HOSTNAME (char[16]) at 20: 36 bytes.
  t.deepEqual(ext.maps.map((m) => [m.name, m.value_size, m.flags]), [['externs.kconfig', 36, 0x480]]);
  t.is(ext.externs.find((e) => e.name === 'CONFIG_DEFAULT_HOSTNAME')?.type, 'const char[16]');
  const so = await show(fixture('struct_ops'));
  t.deepEqual(so.maps.map((m) => [m.name, m.type, m.flags]), [['kit', 'struct_ops', 0], ['kit_link', 'struct_ops', 0x2000], ['struct_o.bss', 'array', 0x400]]);
  t.true(so.programs.every((p) => p.prog_type === 'struct_ops'));
  const arena = await show(fixture('arena'));
  t.deepEqual(arena.maps.map((m) => [m.name, m.type]), [['arena', 'arena']]);
});
