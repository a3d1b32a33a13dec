import test from 'ava';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDefaultKernel } from '@bpfkit/kernel/defaults';
import { largestCorpusCases, simulatedReplayTarget, statsCorpusLoad, timeCorpusLoad, type CaseFileContext, type CorpusCase } from '@bpfkit/testing';

function corpusDir(): string {
  const root = mkdtempSync(join(tmpdir(), 'bpfkit-largest-'));
  mkdirSync(join(root, 'classic'));
  mkdirSync(join(root, 'progs'));
  const row = (id: string, result: string, processed: number | null, blocked = false): object => ({
    id,
    kernel: { result, processed_insns: processed, ...(blocked ? { blocked_before_verifier: true } : {}) },
  });
  writeFileSync(join(root, 'classic', 'a.json'), JSON.stringify({ cases: [row('classic/a/0', 'accept', 50), row('classic/a/1', 'reject', 900, true), row('classic/a/2', 'reject', 70)] }));
  writeFileSync(join(root, 'progs', 'b.json'), JSON.stringify({ cases: [row('progs/b/x', 'accept', 70), row('progs/b/y', 'error', 1000), row('progs/b/z', 'accept', null)] }));
  writeFileSync(join(root, 'progs', 'notes.txt'), 'not a case file');
  return root;
}

test('largestCorpusCases: highest recorded processed count first, ties by id, no refusals before the verifier', (t) => {
  const root = corpusDir();
  try {
    t.deepEqual(
      largestCorpusCases(root, 2).map((p) => [p.id, p.processed, p.result]),
      [['classic/a/2', 70, 'reject'], ['progs/b/x', 70, 'accept']],
    );
    t.is(largestCorpusCases(root, 10).length, 3);
    t.is(largestCorpusCases(root, 1)[0]?.path, join(root, 'classic', 'a.json'));
    t.throws(() => largestCorpusCases(root, -1), { instanceOf: RangeError });
  } finally {
    rmSync(root, { recursive: true });
  }
});

// r0 = 0; r1 = 1; if r1 > 0 goto +0; exit — a progs case with nothing to set up.
const CASE: CorpusCase = {
  id: 'progs/t/tiny',
  prog_type: { number: 1 },
  log_level: 1,
  insns: ['b700000000000000', 'b701000001000000', '2501000000000000', '9500000000000000'],
};
const CTX: CaseFileContext = { dir: '.', btfBlobs: {}, fixupKinds: {}, vmlinux: undefined };

test('timeCorpusLoad times the case load at log level 0, the best of the repetitions', (t) => {
  const target = simulatedReplayTarget(createDefaultKernel());
  const timing = timeCorpusLoad(target, CASE, CTX, { repetitions: 2 });
  t.is(timing.repetitions, 2);
  t.true(timing.ms !== undefined && timing.ms >= 0);
  t.like(timing.line, { id: 'progs/t/tiny', verdict: 'accept', processed: null });
  t.throws(() => timeCorpusLoad(target, CASE, CTX, { repetitions: 0 }), { instanceOf: RangeError });
  t.throws(() => timeCorpusLoad(target, CASE, CTX, { nope: 1 } as never), { instanceOf: TypeError });
});

test('timeCorpusLoad stops after one load over the budget, and gives no time to a case it cannot set up', (t) => {
  const target = simulatedReplayTarget(createDefaultKernel());
  t.is(timeCorpusLoad(target, CASE, CTX, { budgetMs: 0 }).repetitions, 1);
  const broken = timeCorpusLoad(target, { ...CASE, insns: null }, CTX);
  t.is(broken.ms, undefined);
  t.true('error' in broken.line);
});

test('statsCorpusLoad gives the processed count from a stats-only log, whatever level the case asks for', (t) => {
  // r1 = 1; if r1 > 0 goto +1; r0 = 0; exit — refused (R0 not set), so a level-1 log would list the path.
  const refused: CorpusCase = { ...CASE, insns: ['b701000001000000', '2501010000000000', 'b700000000000000', '9500000000000000'] };
  const { line, log } = statsCorpusLoad(simulatedReplayTarget(createDefaultKernel()), refused, CTX);
  t.like(line, { verdict: 'reject', errno: 'EACCES', processed: 3 });
  t.regex(log ?? '', /^R0 !read_ok$/m);
  t.notRegex(log ?? '', /^0: /m);
});
