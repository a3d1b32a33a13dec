// Records Linux's answers to the helper argument cases of cases.mjs (needs root and bpf()):
//   node tools/probe-helper-protos/probe.mjs            (after a build) writes the fixture
//   node tools/probe-helper-protos/probe.mjs --compare  also replays on the simulated kernel and prints the misses
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { helperCases } from './cases.mjs';

const root = new URL('../../', import.meta.url);
const pkg = (p) => import(new URL(`packages/${p}`, root).href);
const { createLinuxSyscall } = await pkg('linux/dist/index.js');
const { replayHelperCase } = await pkg('testing/dist/index.js');
const { createDefaultKernel, hostVmlinuxBtf } = await pkg('kernel/dist/defaults/index.js');

const sys = createLinuxSyscall();
const vmlinux = hostVmlinuxBtf();
const recorded = helperCases().map((c) => ({ ...c, kernel: replayHelperCase(sys, c) }));
const out = fileURLToPath(new URL('packages/testing/test/fixtures/helper-protos.json', root));
// One case a line: the file stays diffable without the size of an indented dump.
writeFileSync(out, `{"kernel": "Linux 6.18 (x86-64)", "cases": [\n${recorded.map((c) => JSON.stringify(c)).join(',\n')}\n]}\n`);
console.log(`${String(recorded.length)} cases, ${String(recorded.filter((c) => c.kernel.verdict === 'accept').length)} accepted -> ${out}`);

if (process.argv.includes('--compare')) {
  const task = createDefaultKernel({ vmlinuxBtf: () => vmlinux }).init.fork();
  const n = { verdict: 0, errno: 0, line: 0 };
  for (const c of recorded) {
    const sim = replayHelperCase(task, c);
    const k = c.kernel;
    if (sim.verdict === k.verdict) n.verdict++;
    if (sim.errno === k.errno) n.errno++;
    if (sim.line === k.line) n.line++;
    if (sim.verdict !== k.verdict || sim.errno !== k.errno || sim.line !== k.line) {
      console.log(`${c.name}: kernel ${k.verdict} ${k.errno ?? ''} ${k.line ?? ''} | sim ${sim.verdict} ${sim.errno ?? ''} ${sim.line ?? ''}`);
    }
  }
  console.log(`agreement of ${String(recorded.length)}: verdict ${String(n.verdict)}, errno ${String(n.errno)}, line ${String(n.line)}`);
}
