import { join } from 'node:path';
import test from 'ava';
import { EXAMPLES, run } from './run.js';

const FIXTURES = new URL('../../elf/test/fixtures/', import.meta.url).pathname;
const fixture = (name: string): string => join(FIXTURES, `${name}.o`);

interface Listed {
  object: string;
  programs: {
    name: string; section: string; prog_type: string;
    functions: { name: string; signature: string | null; insns: { index: number; code: string; hex: string; text: string; relocation?: Record<string, unknown>; source?: { file: string; line: number; column: number; text: string } }[] }[];
  }[];
}

async function listed(...argv: string[]): Promise<Listed> {
  const r = await run('disasm', '--json', ...argv);
  if (r.code !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as Listed;
}

test('disasm OBJ.o shows each program with relocations at the instruction and source lines from line_info', async (t) => {
  const r = await run('disasm', fixture('xdp_filter'));
  t.is(r.code, 0, r.stderr);
  const lines = r.stdout.split('\n');
  t.is(lines[0], 'xdp_filter: section xdp, type xdp');
  t.is(lines[1], 'int xdp_filter(struct xdp_md *ctx):');
  t.is(lines[2], '; __u32 key = ctx->ingress_ifindex; @ xdp_filter.c:18');
  t.is(lines[3], '   0: (61) r1 = *(u32 *)(r1 +12)');
  t.true(lines.includes('   6: (18) r1 = map[counts]'));
  t.true(lines.includes('  16: (18) r1 = map[counts]'));
  t.true(lines.includes('  20: (18) r1 = .rodata+0'));
  t.true(lines.includes('   8: (85) call bpf_map_lookup_elem#1'));
  t.true(lines.includes('; return key == drop_proto ? XDP_DROP : XDP_PASS; @ xdp_filter.c:24'));
  // One source line per change of line, not per line_info record.
  t.is(lines.filter((l) => l.endsWith('@ xdp_filter.c:18')).length, 1);
  t.is(lines.at(-2), '  27: (95) exit');
});

test('bpf-to-bpf calls name their callee and the subprograms follow the program', async (t) => {
  const r = await run('disasm', fixture('tc_shared'), '--prog', 'tc_egress');
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /^ {3}1: \(85\) call pc-1 <global_mark>$/m);
  t.regex(r.stdout, /^ {3}4: \(85\) call pc\+4 <classify>$/m);
  t.regex(r.stdout, /^int classify\(struct __sk_buff \*skb\):$/m);
  t.regex(r.stdout, /^int global_mark\(struct __sk_buff \*skb\):$/m);
  t.notRegex(r.stdout, /^tc_ingress/m);
});

test('function addresses, prog arrays and kconfig externs are named', async (t) => {
  const l = await listed(fixture('map_values'), '--prog', 'main_prog');
  t.deepEqual(l.programs.map((p) => p.functions.map((f) => f.name)), [['main_prog', 'count_cb']]);
  const texts = l.programs[0]?.functions[0]?.insns.map((i) => i.text) ?? [];
  t.true(texts.includes('r2 = func[count_cb]'));
  t.true(texts.includes('r2 = map[jmp]'));
  t.true(texts.includes('r1 = kconfig[LINUX_KERNEL_VERSION]'));
  t.true(texts.includes('r1 = kconfig[CONFIG_BPF_SYSCALL]'));
  t.is(l.programs[0]?.functions[1]?.signature, 'int count_cb(__u32 index, void *ctx)');
});

test('kfuncs and ksyms are named by their extern', async (t) => {
  const l = await listed(fixture('trace_ringbuf'), '--prog', 'handle_exec');
  const insns = l.programs[0]?.functions[0]?.insns ?? [];
  t.true(insns.some((i) => i.text === 'r1 = map[events]'));
  t.true(insns.some((i) => i.text === 'r2 = kfunc[bpf_task_under_cgroup]' && i.relocation?.extern === 'bpf_task_under_cgroup'));
  t.true(insns.some((i) => i.text === 'r2 = ksym[init_task]'));
});

test('disasm --json of an object: every instruction with its index, code, bytes and relocation or source line', async (t) => {
  const l = await listed(fixture('xdp_filter'));
  t.is(l.object, 'xdp_filter');
  const insns = l.programs[0]?.functions[0]?.insns ?? [];
  t.is(insns.length, 25); // 28 slots, three of them the second halves of ld_imm64
  t.deepEqual(insns[0], {
    index: 0, code: '61', hex: '6111' + '0c00' + '00000000', text: 'r1 = *(u32 *)(r1 +12)',
    source: { file: 'xdp_filter.c', line: 18, column: 19, text: '__u32 key = ctx->ingress_ifindex;' },
  });
  t.deepEqual(insns.find((i) => i.index === 20)?.relocation, { kind: 'data', section: '.rodata', offset: 0 });
  t.is(insns.find((i) => i.index === 6)?.hex.length, 32);
});

test('every program of every committed object lists, and the ISA v4 build names the same relocations', async (t) => {
  for (const name of ['xdp_filter', 'socket_filter', 'tc_shared', 'globals', 'trace_ringbuf', 'map_values', 'xdp_filter_v4']) {
    const r = await run('disasm', fixture(name));
    t.is(r.code, 0, `${name}: ${r.stderr}`);
  }
  const relocs = async (name: string) => (await listed(fixture(name))).programs[0]?.functions[0]?.insns.flatMap((i) => i.relocation ?? []);
  t.deepEqual(await relocs('xdp_filter_v4'), await relocs('xdp_filter'));
});

test('the example object lists its program with source lines', async (t) => {
  const r = await run('disasm', join(EXAMPLES, 'xdp_count.o'));
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /^count_packets: section xdp, type xdp$/m);
  t.regex(r.stdout, /= map\[stats\]$/m);
  t.regex(r.stdout, /^; .* @ xdp_count\.c:\d+$/m);
});

test('--prog naming no program lists the ones there are; --prog on a program file and --syntax on an object are usage errors', async (t) => {
  const r = await run('disasm', fixture('tc_shared'), '--prog', 'nope');
  t.is(r.code, 2);
  t.is(r.stderr, `bpfkit: ${fixture('tc_shared')}: no program 'nope' (programs: tc_ingress, tc_egress, tcx_in)\n`);
  const hex = await run('disasm', join(EXAMPLES, 'xdp_count.hex'), '--prog', 'x');
  t.is(hex.code, 2);
  t.regex(hex.stderr, /--prog picks a program of an ELF object/);
  const conf = await run('disasm', fixture('xdp_filter'), '-s', 'conformance');
  t.is(conf.code, 2);
  t.regex(conf.stderr, /kernel syntax only/);
});

test('arena globals are named by their offset in the arena', async (t) => {
  const r = await run('disasm', fixture('arena'));
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /^ {3}0: \(18\) r1 = arena\+0$/m);
});
