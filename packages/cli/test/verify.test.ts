import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { EXAMPLES, run } from './run.js';

const tmp = mkdtempSync(join(tmpdir(), 'bpfkit-verify-'));

function source(name: string, text: string): string {
  const file = join(tmp, name);
  writeFileSync(file, text);
  return file;
}

interface Verdict {
  accepted: boolean;
  errno?: string;
  message?: string;
  log: string;
}

test('a trivial socket filter is accepted and the log counts the processed instructions', async (t) => {
  const r = await run('verify', '--json', '-s', 'kernel', source('ok.s', 'r0 = 0\nexit\n'));
  t.is(r.code, 0, r.stderr);
  const v = JSON.parse(r.stdout) as Verdict;
  t.true(v.accepted);
  t.regex(v.log, /processed 2 insns/);
});

test('returning the frame pointer without CAP_PERFMON is refused with EACCES and the kernel message', async (t) => {
  const r = await run('verify', '--unprivileged', '-s', 'kernel', source('leak.s', 'r0 = r10\nexit\n'));
  t.is(r.code, 1);
  t.regex(r.stdout, /R0 leaks addr as return value/);
  t.regex(r.stdout, /^verdict: rejected with EACCES/m);
});

test('the same program is accepted for root, who may leak pointers', async (t) => {
  const r = await run('verify', '-s', 'kernel', source('leak-root.s', 'r0 = r10\nexit\n'));
  t.is(r.code, 0, r.stdout);
  t.regex(r.stdout, /^verdict: accepted$/m);
});

test('reading an uninitialised register is refused with the register named', async (t) => {
  const r = await run('verify', '--json', '-s', 'kernel', source('uninit.s', 'r0 = r5\nexit\n'));
  const v = JSON.parse(r.stdout) as Verdict;
  t.false(v.accepted);
  t.is(v.errno, 'EACCES');
  t.regex(v.log, /R5 !read_ok/);
});

test("the clang-built example's section has no map relocation applied: the verifier refuses r1 = 0 as a map", async (t) => {
  const r = await run('verify', '--json', '-t', 'xdp', '--attach', 'xdp', join(EXAMPLES, 'xdp_count.hex'));
  t.is(r.code, 1);
  const v = JSON.parse(r.stdout) as Verdict;
  t.false(v.accepted);
  t.regex(v.log, /^R1 type=scalar expected=map_ptr$/m);
});

test('an unknown program type is one clear line', async (t) => {
  const r = await run('verify', '-t', 'nope', source('x.s', 'exit\n'), '-s', 'kernel');
  t.is(r.code, 2);
  t.is(r.stderr, "bpfkit: unknown program type 'nope'\n");
});
