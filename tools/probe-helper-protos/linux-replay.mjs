// Replays helper cases on the running Linux kernel: cases loaded without CAP_PERFMON and
// CAP_SYS_ADMIN (`caps: 'no-perfmon'`) run in a child process whose capability bounding set lacks
// them (setpriv), the others here. Needs root and bpf().
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = new URL('../../', import.meta.url);
const pkg = (p) => import(new URL(`packages/${p}`, root).href);
const SELF = fileURLToPath(import.meta.url);

async function replayHere(cases) {
  const { createLinuxSyscall } = await pkg('linux/dist/index.js');
  const { replayHelperCase } = await pkg('testing/dist/index.js');
  const sys = createLinuxSyscall();
  return cases.map((c) => replayHelperCase(sys, c));
}

/** Linux's answer to each case, in order. */
export async function replayOnLinux(cases) {
  const reduced = cases.filter((c) => c.caps === 'no-perfmon');
  const here = await replayHere(cases.filter((c) => c.caps !== 'no-perfmon'));
  let there = [];
  if (reduced.length > 0) {
    const r = spawnSync('setpriv', ['--bounding-set=-perfmon,-sys_admin', '--inh-caps=-perfmon,-sys_admin', '--', process.execPath, SELF],
      { input: JSON.stringify(reduced), encoding: 'utf8', maxBuffer: 1 << 28 });
    if (r.status !== 0) throw new Error(`the reduced-capability replay failed: ${r.stderr}`);
    there = JSON.parse(r.stdout);
  }
  return cases.map((c) => (c.caps === 'no-perfmon' ? there.shift() : here.shift()));
}

// As the child: cases on stdin, answers on stdout.
if (process.argv[1] === SELF) {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  process.stdout.write(JSON.stringify(await replayHere(JSON.parse(Buffer.concat(chunks).toString('utf8')))));
}
