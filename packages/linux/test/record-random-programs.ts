// Re-records packages/kernel/test/fixtures/random-programs.json on this machine's kernel:
//   cd packages/linux && npx tsc -b test && BPFKIT_RECORD=1 node dist-test/record-random-programs.js [seed] [count]
// Needs bpf() (root). Prints the programs bpfkit disagrees on, for KNOWN_DIFFERENCES.
import { writeFileSync } from 'node:fs';
import { release } from 'node:os';
import { fileURLToPath } from 'node:url';
import { createDefaultKernel } from '@bpfkit/kernel/defaults';
import { createLinuxSyscall } from '@bpfkit/linux';
import {
  FIXTURE_COUNT,
  FIXTURE_SEED,
  RUN_REPEATS,
  classifyDifference,
  comparable,
  describeDifference,
  generateProgram,
  packetsFor,
  runProgram,
  toHex,
  type RandomProgramsFixture,
} from './support/random-programs.js';

function record(seed: number, count: number): void {
  const linux = createLinuxSyscall();
  const packets = packetsFor(seed);
  const rejected: Record<string, number> = {};
  let unstable = 0;
  const programs: RandomProgramsFixture['programs'][number][] = [];
  for (let i = 0; i < count; i++) {
    const p = generateProgram(seed, i);
    const first = runProgram(linux, p, packets);
    if (first.load !== 'ok') {
      rejected[first.load] = (rejected[first.load] ?? 0) + 1;
      console.log(`rejected ${p.name} (${p.kind}): ${first.load} ${first.log ?? ''}`);
      continue;
    }
    // Keep only what the kernel answers the same way twice.
    const again = runProgram(linux, p, packets);
    if (JSON.stringify(comparable(first)) !== JSON.stringify(comparable(again))) {
      unstable++;
      console.log(`unstable ${p.name}:\n${describeDifference(first, again)}`);
      continue;
    }
    programs.push({ ...p, linux: comparable(first) });
  }
  const fixture: RandomProgramsFixture = {
    comment: 'Random programs (packages/linux/test/support/random-programs.ts) run on Linux; re-record with packages/linux/test/record-random-programs.ts',
    kernel: release(),
    seed,
    generated: count,
    rejected,
    unstable,
    packets: packets.map(toHex),
    repeats: RUN_REPEATS,
    programs,
  };
  const path = fileURLToPath(new URL('../../kernel/test/fixtures/random-programs.json', import.meta.url));
  writeFileSync(path, `${JSON.stringify(fixture, null, 1)}\n`);
  console.log(`${String(count)} generated, ${String(programs.length)} kept, rejected ${JSON.stringify(rejected)}, unstable ${String(unstable)} -> ${path}`);

  for (const engine of ['interp', 'wasm'] as const) {
    const task = createDefaultKernel({ engine }).init;
    const byCause = new Map<string, string[]>();
    for (const p of programs) {
      const s = runProgram(task, p, packets);
      if (JSON.stringify(comparable(s)) === JSON.stringify(p.linux)) continue;
      const cause = classifyDifference(p, s);
      byCause.set(cause, [...(byCause.get(cause) ?? []), p.name.replace(/.*#/, '')]);
      if (cause === 'unexplained') console.log(`  ${p.name}: ${describeDifference(p.linux, s)}`);
    }
    const differ = [...byCause.values()].reduce((a, b) => a + b.length, 0);
    console.log(`${engine}: ${String(programs.length - differ)}/${String(programs.length)} agree`);
    for (const [cause, names] of byCause) console.log(`  ${cause}: [${names.join(', ')}]`);
  }
}

if (process.env.BPFKIT_RECORD === '1') {
  record(Number(process.argv[2] ?? FIXTURE_SEED), Number(process.argv[3] ?? FIXTURE_COUNT));
} else {
  console.log('set BPFKIT_RECORD=1 to re-record packages/kernel/test/fixtures/random-programs.json on this kernel');
}
