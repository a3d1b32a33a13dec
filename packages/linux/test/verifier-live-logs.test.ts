import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { release } from 'node:os';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { linuxBpfAvailability } from '@bpfkit/linux';
import { sharedPath } from '@bpfkit/corpus';

// The whole level-2 log of every verifier-corpus case, in the simulated kernel and in this machine's,
// compared line for line by tools/compare-corpus-logs/compare.mjs. What the kernel prints depends on
// its build: the floor holds for the build it was measured on; elsewhere the figure is only logged.
const COMPARE = fileURLToPath(new URL('../../../tools/compare-corpus-logs/compare.mjs', import.meta.url));
const SIM = fileURLToPath(new URL('../../testing/dist/index.js', import.meta.url));
const MEASURED_ON = '6.18.44-fc-v1300';
/** Cases whose logs agree (2724 compared; 67 of the rest never reach this kernel's verifier: LSM, arena, d_path…). */
const FLOOR = 2647;

const avail = linuxBpfAvailability();
const corpus = sharedPath('corpus', 'verifier');
if (!avail.available || corpus === undefined || !existsSync(SIM)) {
  const why = !avail.available ? avail.error.message : corpus === undefined ? 'no ../shared/corpus/verifier' : 'the testing package is not built';
  test.skip(`verifier-live-logs: skipped, ${why}`, () => {});
} else {
  test('verifier-live-logs: corpus programs log at level 2 as this machine\'s kernel does', (t) => {
    t.timeout(300_000);
    const r = spawnSync(process.execPath, [COMPARE], { encoding: 'utf8', timeout: 290_000, maxBuffer: 1 << 24 });
    if (r.status !== 0) return t.fail(`compare.mjs: ${r.stderr || String(r.error)}`);
    const line = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}') as { passed?: number; total?: number };
    t.log(`verifier-live-logs: ${String(line.passed)}/${String(line.total)} on ${release()}`);
    if (release() !== MEASURED_ON) {
      t.pass(`measured on ${MEASURED_ON}, this kernel is ${release()}: not held to the floor`);
      return;
    }
    t.true((line.passed ?? 0) >= FLOOR, `${String(line.passed)} logs agree, fewer than ${String(FLOOR)}`);
  });
}
