import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { release } from 'node:os';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { linuxBpfAvailability } from '@bpfkit/linux';

// The helper-call answers recorded in packages/testing/test/fixtures/helper-protos.json (which the
// simulated kernel is held to) still hold on this kernel: tools/probe-helper-protos/check.mjs replays them.
const CHECK = fileURLToPath(new URL('../../../tools/probe-helper-protos/check.mjs', import.meta.url));
const SIM = fileURLToPath(new URL('../../testing/dist/index.js', import.meta.url));

interface Summary {
  readonly cases: number;
  readonly changed: readonly { readonly name: string; readonly recorded: unknown; readonly now: unknown }[];
}

const FIXTURE = fileURLToPath(new URL('../../testing/test/fixtures/helper-protos.json', import.meta.url));
/** The kernel build whose answers the fixture holds: another build may answer otherwise (one of this machine's refuses bpf_xdp_adjust_meta). */
const recordedOn = (JSON.parse(readFileSync(FIXTURE, 'utf8')) as { release?: string }).release;

const avail = linuxBpfAvailability();
if (avail.available && recordedOn !== release()) {
  test.skip(`helper prototypes on Linux: recorded on ${recordedOn ?? 'an unnamed build'}, this kernel is ${release()} (node tools/probe-helper-protos/check.mjs lists what differs)`, () => {});
} else if (!avail.available || !existsSync(SIM)) {
  test.skip(`helper prototypes on Linux: skipped, ${avail.available ? 'the testing package is not built' : avail.error.message}`, () => {});
} else {
  test('helper prototypes on Linux: every recorded helper call gets the recorded verdict, errno and error line', (t) => {
    t.timeout(120_000);
    const r = spawnSync(process.execPath, [CHECK], { encoding: 'utf8', timeout: 110_000 });
    t.true(r.status === 0 || r.status === 1, `check.mjs ended with ${String(r.status)}: ${r.stderr}`);
    const summary = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}') as Summary;
    t.true(summary.cases > 1000);
    t.deepEqual(summary.changed, [], 'the kernel answers otherwise now: record again with node tools/probe-helper-protos/probe.mjs');
  });
}
