import { existsSync, readFileSync } from 'node:fs';
import { release } from 'node:os';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { createDefaultKernel } from '@bpfkit/kernel/defaults';
import { createLinuxSyscall } from '@bpfkit/linux';
import { whenLinuxBpf } from './support/skip.js';
import {
  FIXTURE_COUNT,
  FIXTURE_SEED,
  KNOWN_DIFFERENCES,
  Prng,
  comparable,
  describeDifference,
  generateProgram,
  packetsFor,
  runProgram,
  type RandomProgramsFixture,
} from './support/random-programs.js';

test('the generator is deterministic: the same seed and index give the same program', (t) => {
  t.deepEqual(generateProgram(7, 3), generateProgram(7, 3));
  t.notDeepEqual(generateProgram(7, 3).insns, generateProgram(7, 4).insns);
});

test('the PRNG gives the same sequence for a seed on every machine', (t) => {
  const r = new Prng(1);
  t.deepEqual([r.u32(), r.u32(), r.u32()], [2693262067, 11749833, 2265367787]);
});

const fixturePath = fileURLToPath(new URL('../../kernel/test/fixtures/random-programs.json', import.meta.url));

whenLinuxBpf('random programs', () => {
  const linux = createLinuxSyscall();
  const simulated = { interp: createDefaultKernel({ engine: 'interp' }).init, wasm: createDefaultKernel({ engine: 'wasm' }).init };
  const packets = packetsFor(FIXTURE_SEED);
  const recorded = existsSync(fixturePath) ? (JSON.parse(readFileSync(fixturePath, 'utf8')) as RandomProgramsFixture) : undefined;
  // The recording is this machine's answer only on the kernel that made it.
  const sameKernel = recorded?.kernel === release();
  const recordedByName = new Map((recorded?.programs ?? []).map((p) => [p.name, p.linux]));

  for (let i = 0; i < FIXTURE_COUNT; i++) {
    const p = generateProgram(FIXTURE_SEED, i);
    test(`${p.name} (${p.kind}): bpfkit's interpreter and JIT do what Linux does`, (t) => {
      const live = comparable(runProgram(linux, p, packets));
      const rec = recordedByName.get(p.name);
      // The committed recording is this kernel's answer too (or the generator changed: re-record).
      if (sameKernel) {
        if (live.load === 'ok') t.deepEqual(live, rec, 'Linux now answers differently from the recording: re-record it');
        else t.is(rec, undefined);
      }
      // Another kernel build may answer otherwise (a build of this machine refuses bpf_xdp_adjust_meta, which the
      // build the corpus and the recording come from allows): there the recorded answer is the reference.
      const l = !sameKernel && rec !== undefined ? rec : live;
      if (l !== live && JSON.stringify(l) !== JSON.stringify(live)) {
        t.log(`this kernel (${release()}) answers otherwise than the recording's (${recorded?.kernel ?? '?'}), held as the reference: ` +
          `load ${live.load} here, ${l.load} recorded`);
      }
      for (const engine of ['interp', 'wasm'] as const) {
        const s = runProgram(simulated[engine], p, packets);
        const same = JSON.stringify(comparable(s)) === JSON.stringify(l);
        const known = KNOWN_DIFFERENCES.get(p.name);
        if (known !== undefined) {
          t.false(same, `${engine} now agrees with Linux: remove it from KNOWN_DIFFERENCES`);
          continue;
        }
        t.true(same, `${engine}: ${describeDifference(l, s)}`);
      }
    });
  }
});
