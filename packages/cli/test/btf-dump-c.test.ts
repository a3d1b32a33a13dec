import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { EXAMPLES, run } from './run.js';

const tmp = mkdtempSync(join(tmpdir(), 'bpfkit-btf-c-'));

test.after.always(() => {
  rmSync(tmp, { recursive: true, force: true });
});
const VMLINUX = '/sys/kernel/btf/vmlinux';

/** The C compilers on this machine (cc, gcc, clang), each once. */
function compilers(): string[] {
  return ['cc', 'gcc', 'clang'].filter((c) => spawnSync(c, ['--version'], { encoding: 'utf8' }).status === 0);
}

async function compiles(t: import('ava').ExecutionContext, btf: string, name: string): Promise<void> {
  const r = await run('btf', 'dump', '--format', 'c', btf);
  t.is(r.code, 0, r.stderr);
  t.false(r.stdout.includes('const const'), 'no doubled qualifier');
  const header = join(tmp, `${name}.h`);
  writeFileSync(header, r.stdout);
  const found = compilers();
  if (found.length === 0) {
    t.log('no C compiler here (cc, gcc, clang): the header is not compiled');
    return;
  }
  for (const cc of found) {
    const c = spawnSync(cc, ['-fsyntax-only', '-Wall', '-Wextra', '-x', 'c', header], { encoding: 'utf8' });
    t.is(c.status, 0, `${cc}: ${c.stderr}`);
    t.is(c.stderr, '', `${cc} -Wall warns on ${name}.h`);
  }
}

test('btf dump --format c of an example compiles without a warning', async (t) => {
  await compiles(t, join(EXAMPLES, 'xdp_count.btf'), 'xdp_count');
});

if (!existsSync(VMLINUX)) {
  test.skip(`btf dump --format c of vmlinux compiles without a warning: skipped, ${VMLINUX} is absent`, () => {});
} else test('btf dump --format c of vmlinux compiles without a warning (no const const)', async (t) => {
  await compiles(t, VMLINUX, 'vmlinux');
});
