import { closeSync, mkdtempSync, openSync, ftruncateSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { run } from './run.js';

const tmp = mkdtempSync(join(tmpdir(), 'bpfkit-limits-'));

test.after.always(() => {
  rmSync(tmp, { recursive: true, force: true });
});

function file(name: string, content: string | Uint8Array): string {
  const path = join(tmp, name);
  writeFileSync(path, content);
  return path;
}

test.serial('disasm of an empty input is a usage error: an empty file, blank lines, comments only', async (t) => {
  for (const [name, content] of [['empty.hex', ''], ['blank.s', '\n\n  \n'], ['comments.hex', '# nothing here\n\n'], ['comments.s', '; a comment\n// another\n']] as const) {
    const path = file(name, content);
    const r = await run('disasm', path);
    t.is(r.code, 2, name);
    t.is(r.stdout, '', name);
    t.regex(r.stderr, /^bpfkit: .+: (?:empty file, no instructions|no instructions, only blank lines and comments)\n$/, name);
  }
  if (process.platform === 'linux') t.is((await run('disasm', '/dev/null')).stderr, 'bpfkit: /dev/null: empty file, no instructions\n');
});

test.serial('a file over 64 MiB is refused in one line before it is read', async (t) => {
  const path = join(tmp, 'huge.bin');
  const fd = openSync(path, 'w');
  ftruncateSync(fd, 65 * 1024 * 1024 + 8);
  closeSync(fd);
  const t0 = Date.now();
  const r = await run('disasm', path);
  t.is(r.code, 2);
  t.is(r.stderr, `bpfkit: ${path}: larger than 64 MiB; bpfkit reads no input that large (the kernel loads at most 1,000,000 instructions)\n`);
  t.true(Date.now() - t0 < 10_000, `${String(Date.now() - t0)} ms`);
});

if (process.platform !== 'linux') {
  test.skip(`a device that never ends is refused once it passes the limit: skipped, /dev/zero is read only on Linux (this is ${process.platform})`, () => {});
} else test.serial('a device that never ends is refused once it passes the limit', async (t) => {
  const t0 = Date.now();
  const r = await run('disasm', '/dev/zero');
  t.is(r.code, 2);
  t.regex(r.stderr, /^bpfkit: \/dev\/zero: larger than 64 MiB/);
  t.log(`refused after ${String(Date.now() - t0)} ms`);
});

test.serial('more instructions than the kernel loads are refused in one line, within seconds', async (t) => {
  const t0 = Date.now();
  const raw = await run('disasm', file('big.bin', new Uint8Array(8 * 1_000_001)));
  t.is(raw.code, 2);
  t.regex(raw.stderr, /^bpfkit: .+big\.bin: 1,000,001 instructions; the kernel loads at most 1,000,000 \(BPF_COMPLEXITY_LIMIT_INSNS\), and so does bpfkit\n$/);
  const asm = await run('disasm', file('big.s', 'r0 = 0\n'.repeat(1_000_001)));
  t.is(asm.code, 2);
  t.regex(asm.stderr, /^bpfkit: .+big\.s: more than 1,000,000 lines of instructions/);
  t.log(`both refused in ${String(Date.now() - t0)} ms`);
  t.true(Date.now() - t0 < 30_000);
});

test.serial('a program of the kernel limit is still listed', async (t) => {
  const insns = new Uint8Array(8 * 1_000_000);
  for (let i = 0; i < insns.length; i += 8) insns[i] = 0xb7;
  const r = await run('disasm', file('limit.bin', insns));
  t.is(r.code, 0, r.stderr);
  t.is(r.stdout.length, 'r0 = 0\n'.length * 1_000_000);
});
