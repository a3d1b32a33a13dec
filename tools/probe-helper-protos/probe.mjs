// Records Linux's answers to the helper argument cases of cases.mjs (needs root and bpf()):
//   node tools/probe-helper-protos/probe.mjs            (after a build) writes the fixture
//   node tools/probe-helper-protos/probe.mjs --compare  also replays on the simulated kernel and prints the misses
import { release } from 'node:os';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { helperCases } from './cases.mjs';
import { replayOnLinux } from './linux-replay.mjs';

const root = new URL('../../', import.meta.url);
const pkg = (p) => import(new URL(`packages/${p}`, root).href);
const { replayHelperCase } = await pkg('testing/dist/index.js');
const { createDefaultKernel, hostVmlinuxBtf } = await pkg('kernel/dist/defaults/index.js');

const vmlinux = hostVmlinuxBtf();
const cases = helperCases();
const answers = await replayOnLinux(cases);
const recorded = cases.map((c, i) => ({ ...c, kernel: answers[i] }));
const out = fileURLToPath(new URL('packages/testing/test/fixtures/helper-protos.json', root));
// One case a line: the file stays diffable without the size of an indented dump.
writeFileSync(out, `{"kernel": "Linux 6.18 (x86-64)", "release": ${JSON.stringify(release())}, "cases": [\n${recorded.map((c) => JSON.stringify(c)).join(',\n')}\n]}\n`);
console.log(`${String(recorded.length)} cases, ${String(recorded.filter((c) => c.kernel.verdict === 'accept').length)} accepted -> ${out}`);

if (process.argv.includes('--compare')) {
  const kernel = createDefaultKernel({ vmlinuxBtf: () => vmlinux });
  const task = kernel.init.fork();
  // CAP_SYS_ADMIN and CAP_PERFMON dropped, as setpriv does on Linux.
  const { Capability } = await pkg('uapi/dist/index.js');
  const reduced = kernel.init.fork();
  const sets = reduced.capget();
  const dropped = (1n << BigInt(Capability.CAP_PERFMON)) | (1n << BigInt(Capability.CAP_SYS_ADMIN));
  reduced.capset({ effective: sets.effective & ~dropped, permitted: sets.permitted, inheritable: sets.inheritable });
  const n = { verdict: 0, errno: 0, line: 0 };
  for (const c of recorded) {
    const sim = replayHelperCase(c.caps === 'no-perfmon' ? reduced : task, c);
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
