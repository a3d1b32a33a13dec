import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { run } from './run.js';

const tmp = mkdtempSync(join(tmpdir(), 'bpfkit-prog-'));
const file = (name: string, text: string): string => {
  const path = join(tmp, name);
  writeFileSync(path, text);
  return path;
};

// XDP: return the packet length (data_end - data).
const XDP_LEN = file('xdp-len.s', 'r0 = *(u32 *)(r1 +4)\nr2 = *(u32 *)(r1 +0)\nr0 -= r2\nexit\n');

test('prog run: an XDP program sees the packet and its retval is printed, on both engines', async (t) => {
  for (const engine of ['interp', 'wasm']) {
    const r = await run('prog', 'run', XDP_LEN, '-t', 'xdp', '--packet', '00'.repeat(20), '--engine', engine, '--json');
    t.is(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { retval: number; data_out: string; trace_printk: string[] };
    t.is(out.retval, 20);
    t.is(out.data_out, 'unchanged');
    t.deepEqual(out.trace_printk, []);
  }
});

test('prog run --trace prints every executed instruction with the registers it changed', async (t) => {
  const r = await run('prog', 'run', XDP_LEN, '-t', 'xdp', '--packet', '00'.repeat(16), '--trace');
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /^\s+0: r0 = \*\(u32 \*\)\(r1 \+4\)\s+r0=0x/m);
  t.regex(r.stdout, /^\s+2: r0 -= r2\s+r0=0x10$/m);
  t.regex(r.stdout, /retval 16 \(0x10\)/);
});

test('prog run prints the trace_printk lines the program wrote', async (t) => {
  // "hi\n" on the stack, bpf_trace_printk(fmt, 4), r0 = 7
  const prog = file('printk.s', [
    'r1 = 0xa6968 ll',
    '*(u64 *)(r10 -8) = r1',
    'r1 = r10',
    'r1 += -8',
    'r2 = 4',
    'call bpf_trace_printk',
    'r0 = 7',
    'exit',
  ].join('\n'));
  const r = await run('prog', 'run', prog, '-t', 'socket_filter', '--packet', '00'.repeat(64), '--json');
  t.is(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { retval: number; trace_printk: string[] };
  t.is(out.retval, 7);
  t.is(out.trace_printk.length, 1);
  t.regex(out.trace_printk[0] ?? '', /bpf_trace_printk: hi$/);
});

test('prog run: a program the verifier refuses exits 1 (the kernel refuses) with its log', async (t) => {
  const bad = file('bad.s', 'r0 = *(u64 *)(r10 +8)\nexit\n');
  const r = await run('prog', 'run', bad, '-t', 'xdp');
  t.is(r.code, 1);
  t.regex(r.stderr, /the verifier refused the program: EACCES/);
});

test('prog run: an empty file and an ELF object are refused in one line', async (t) => {
  const empty = file('empty.hex', '');
  const r1 = await run('prog', 'run', empty, '-t', 'xdp');
  t.is(r1.code, 2);
  t.regex(r1.stderr, /empty file/);
  const elf = file('x.o', '\x7fELF\x02\x01\x01');
  const r2 = await run('prog', 'run', elf, '-t', 'xdp');
  t.is(r2.code, 2);
  t.regex(r2.stderr, /an ELF object/);
});

const CASES = {
  cases: [
    {
      id: 'own/array_lookup', prog_type: { number: 1 }, expected_attach_type: null, log_level: 4, license: 'GPL', flags: { prog_flags: 0 },
      // r1 = 0 on the stack as key; r0 = lookup(map, &key); if r0 == 0 exit; r0 = *(u32 *)r0; exit
      insns: ['b701000000000000', '631afcff00000000', 'bfa2000000000000', '07020000fcffffff', '1811000000000000', '0000000000000000',
        '8500000001000000', '1500010000000000', '6100000000000000', '9500000000000000'],
      fixups: [{ kind: 'map_array_48b', insn_index: 4 }],
    },
    {
      id: 'own/reject', prog_type: { number: 1 }, expected_attach_type: null, log_level: 4, license: 'GPL',
      insns: ['7900080000000000', '9500000000000000'], fixups: [],
    },
  ],
};
const KINDS = {
  map_array_48b: {
    map_type_num: 2, key_size: 4, value_size: 48, max_entries: 1, map_flags: 0,
    init: [{ key_u32: 0, value_hex: '1c000000' + '00'.repeat(44) }],
  },
};

test('corpus replay: one JSON line per case, fixup maps filled, accepted cases test-run', async (t) => {
  const cases = file('cases.json', JSON.stringify(CASES));
  file('fixup_kinds.json', JSON.stringify(KINDS));
  const r = await run('corpus', 'replay', cases, '--json', '--engine', 'interp');
  t.is(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  t.is(lines.length, 2);
  t.like(lines[0], { id: 'own/array_lookup', verdict: 'accept', errno: null, runs: [{ retval: 28, errno: 0, data_out: 'unchanged' }] });
  t.true(typeof lines[0]?.processed === 'number');
  t.like(lines[1], { id: 'own/reject', verdict: 'reject', errno: 'EACCES', runs: [] });
});

test('corpus replay: a case it cannot set up is an error line, not a crash', async (t) => {
  const cases = file('unknown-kind.json', JSON.stringify({ cases: [{ ...CASES.cases[0], id: 'own/unknown', fixups: [{ kind: 'no_such_kind', insn_index: 4 }] }] }));
  const r = await run('corpus', 'replay', cases, '--json', '--fixups', join(tmp, 'fixup_kinds.json'));
  t.is(r.code, 0, r.stderr);
  t.deepEqual(JSON.parse(r.stdout), { id: 'own/unknown', error: "fixup kind 'no_such_kind' is not in fixup_kinds.json" });
});
