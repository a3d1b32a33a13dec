import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { EXAMPLES, run } from './run.js';

const FIXTURES = new URL('../../elf/test/fixtures/', import.meta.url).pathname;

const tmp = mkdtempSync(join(tmpdir(), 'bpfkit-input-'));

function file(name: string, content: string | Uint8Array): string {
  const path = join(tmp, name);
  writeFileSync(path, content);
  return path;
}

const hexText = readFileSync(join(EXAMPLES, 'xdp_count.hex'), 'utf8');
const rawBytes = Buffer.from(hexText.split('\n').filter((l) => /^[0-9a-f]{16}$/.test(l)).join(''), 'hex');

test('the same program as hex, raw bytes and assembly disassembles to the same text', async (t) => {
  const hex = await run('disasm', join(EXAMPLES, 'xdp_count.hex'));
  const raw = await run('disasm', file('prog.bin', rawBytes));
  const asm = await run('disasm', join(EXAMPLES, 'xdp_count.s'));
  t.is(hex.code, 0, hex.stderr);
  t.is(raw.stdout, hex.stdout);
  t.is(asm.stdout, hex.stdout);
});

test('assembly in the conformance dialect is recognised too', async (t) => {
  const r = await run('disasm', file('conf.s', 'mov %r0, 2\nexit\n'));
  t.is(r.code, 0, r.stderr);
  t.is(r.stdout, 'r0 = 2\nexit\n');
});

test('an empty file is one line and exit code 2, for every program-reading verb', async (t) => {
  const empty = file('empty.bin', '');
  for (const argv of [['disasm', empty], ['verify', empty], ['prog', 'run', empty, '-t', 'xdp'], ['object', 'show', empty]]) {
    const r = await run(...argv);
    t.is(r.code, 2, argv.join(' '));
    t.is(r.stderr, `bpfkit: ${empty}: empty file, no instructions\n`, argv.join(' '));
  }
});

test('binary that is neither ELF nor whole instructions is one clear line and exit code 2', async (t) => {
  const odd = file('odd.bin', Uint8Array.from([0x95, 0, 0, 0, 0, 0, 0, 0, 0xb7, 0]));
  for (const argv of [['disasm', odd], ['verify', odd], ['prog', 'run', odd, '-t', 'xdp']]) {
    const r = await run(...argv);
    t.is(r.code, 2, argv.join(' '));
    t.is(r.stderr.split('\n').length, 2);
    t.regex(r.stderr, /not a BPF program: not an ELF object, hex lines or assembly text, and its 10 bytes are not a whole number of 8-byte instructions/);
  }
});

test('verify and prog run read assembly without --syntax', async (t) => {
  const src = file('ok.s', 'r0 = 0\nexit\n');
  const v = await run('verify', src);
  t.is(v.code, 0, v.stderr);
  t.regex(v.stdout, /verdict: accepted/);
  const p = await run('prog', 'run', src, '-t', 'socket_filter', '--packet', '00'.repeat(14));
  t.is(p.code, 0, p.stderr);
  t.regex(p.stdout, /^retval 0 /m);
});

test('an ELF object given to prog run is refused in one line: objects are not read there yet', async (t) => {
  for (const argv of [['prog', 'run', join(FIXTURES, 'xdp_filter.o'), '-t', 'xdp']]) {
    const r = await run(...argv);
    t.is(r.code, 2, argv.join(' '));
    t.is(r.stderr.trim().split('\n').length, 1);
    t.regex(r.stderr, /an ELF object; this command does not read objects yet/);
  }
});

test('object show refuses a program file, naming what it is', async (t) => {
  const r = await run('object', 'show', join(EXAMPLES, 'xdp_count.hex'));
  t.is(r.code, 2);
  t.regex(r.stderr, /xdp_count\.hex: not an ELF object \(it reads as hex instructions/);
  const s = await run('object', 'show', join(EXAMPLES, 'xdp_count.s'));
  t.regex(s.stderr, /reads as assembly instructions/);
});

test('a file with the ELF magic that is not a BPF object is refused with the loader reason, exit code 1', async (t) => {
  const r = await run('object', 'show', file('x.o', '\x7fELF\x02\x01\x01'));
  t.is(r.code, 1);
  t.regex(r.stderr, /^bpfkit: EINVAL \(elf:truncated-header\)/);
  const d = await run('disasm', file('y.o', '\x7fELF\x02\x01\x01'));
  t.is(d.code, 1);
});

test('text with a NUL byte is not assembly: a whole number of slots reads as raw', async (t) => {
  const r = await run('disasm', '--json', file('nul.bin', Uint8Array.from([0xb7, 0, 0, 0, 0x2a, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0])));
  t.is(r.code, 0, r.stderr);
  t.deepEqual((JSON.parse(r.stdout) as { text: string }[]).map((x) => x.text), ['r0 = 42', 'exit']);
});
