import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { EXAMPLES, run } from './run.js';

const tmp = mkdtempSync(join(tmpdir(), 'bpfkit-cli-'));

test('disasm prints the kernel syntax the verifier log uses', async (t) => {
  const r = await run('disasm', join(EXAMPLES, 'xdp_count.hex'));
  t.is(r.code, 0);
  const lines = r.stdout.trim().split('\n');
  t.is(lines[0], 'r6 = r1');
  t.true(lines.includes('call bpf_map_lookup_elem#1'));
  t.is(lines.at(-1), 'exit');
});

test('disasm --log numbers instructions with their opcodes', async (t) => {
  const r = await run('disasm', '--log', join(EXAMPLES, 'xdp_count.hex'));
  t.regex(r.stdout, /^0: \(bf\) r6 = r1$/m);
});

test('disassembly assembles back to the same bytes, in both syntaxes', async (t) => {
  for (const syntax of ['kernel', 'conformance']) {
    const dis = await run('disasm', '-s', syntax, join(EXAMPLES, 'xdp_count.hex'));
    const src = join(tmp, `prog.${syntax}.s`);
    writeFileSync(src, dis.stdout);
    const asm = await run('asm', '-s', syntax, src);
    t.is(asm.code, 0, asm.stderr);
    t.is(asm.stdout, readFileSync(join(EXAMPLES, 'xdp_count.hex'), 'utf8'), syntax);
  }
});

test('raw binary input is read as little-endian instructions', async (t) => {
  const bin = join(tmp, 'prog.bin');
  const asm = await run('asm', '-o', bin, join(EXAMPLES, 'xdp_count.s'));
  t.is(asm.code, 0, asm.stderr);
  const dis = await run('disasm', '--json', bin);
  const rows = JSON.parse(dis.stdout) as { index: number; text: string }[];
  t.is(rows.length, 18);
  t.deepEqual(rows[5], { index: 5, hex: '18010000000000000000000000000000', text: 'r1 = 0x0 ll' });
});

test('a bad instruction is one line naming the problem, exit code 1', async (t) => {
  const src = join(tmp, 'bad.s');
  writeFileSync(src, 'r0 = 0\nr0 = frobnicate r1\nexit\n');
  const r = await run('asm', src);
  t.is(r.code, 1);
  t.is(r.stderr.trim().split('\n').length, 1);
  t.regex(r.stderr, /^bpfkit: EINVAL \(asm:/);
});

test('a truncated program is refused with EINVAL', async (t) => {
  const bin = join(tmp, 'trunc.bin');
  writeFileSync(bin, Buffer.from('1801000000000000', 'hex')); // ld_imm64 without its second slot
  const r = await run('disasm', bin);
  t.is(r.code, 1);
  t.regex(r.stderr, /^bpfkit: EINVAL/);
});

test('a missing file is one line and exit code 2', async (t) => {
  const r = await run('disasm', join(tmp, 'nope.hex'));
  t.is(r.code, 2);
  t.is(r.stderr, `bpfkit: cannot read ${join(tmp, 'nope.hex')}: ENOENT\n`);
});
