import { readFileSync } from 'node:fs';
import test from 'ava';
import { createDefaultKernel } from '@bpfkit/kernel/defaults';
// The generator and runner are shared with the live comparison in @bpfkit/linux's tests.
import {
  KNOWN_DIFFERENCES,
  comparable,
  describeDifference,
  fromHex,
  runProgram,
  type RandomProgramsFixture,
} from '../../linux/dist-test/support/random-programs.js';

// Random programs Linux 6.18 accepted, with what they returned, wrote and left
// in their maps (recorded by packages/linux/test/record-random-programs.ts).
const fixture = JSON.parse(readFileSync(new URL('../test/fixtures/random-programs.json', import.meta.url), 'utf8')) as RandomProgramsFixture;
const packets = fixture.packets.map(fromHex);

test('the recording holds the programs Linux accepted, and counts the ones it refused', (t) => {
  const rejected = Object.values(fixture.rejected).reduce((a, b) => a + b, 0);
  t.is(fixture.programs.length + rejected + fixture.unstable, fixture.generated);
  t.true(fixture.programs.length > 0);
  t.log(`${String(fixture.generated)} generated on ${fixture.kernel}: ${String(fixture.programs.length)} kept, rejected ${JSON.stringify(fixture.rejected)}, unstable ${String(fixture.unstable)}`);
});

for (const engine of ['interp', 'wasm'] as const) {
  // One kernel per engine: programs and maps are closed after each program, as on Linux.
  const task = createDefaultKernel({ engine }).init;
  for (const p of fixture.programs) {
    test(`${p.name} (${p.kind}) on ${engine}: same load, return values, packets and maps as Linux`, (t) => {
      const got = runProgram(task, p, packets, fixture.repeats);
      const same = JSON.stringify(comparable(got)) === JSON.stringify(p.linux);
      const known = KNOWN_DIFFERENCES.get(p.name);
      if (known !== undefined) {
        t.false(same, 'now agrees with Linux: remove it from KNOWN_DIFFERENCES');
        t.log(`known difference: ${known}`);
        return;
      }
      t.true(same, describeDifference(p.linux, got));
    });
  }
}
