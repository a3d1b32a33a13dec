// Records Linux's answers to the dynptr programs of cases.mjs (needs root and bpf(), after a build):
//   node tools/probe-dynptr/record.mjs            writes packages/testing/test/fixtures/dynptr.json
//   node tools/probe-dynptr/record.mjs --compare  also replays them on the simulated kernel and prints the differences
// Each program is loaded at log level 2 as the corpus harness loads (root without CAP_SYS_ADMIN: the
// recording reruns itself under setpriv) and, when accepted, test-run on its inputs.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dynptrBtf, dynptrCases, toCorpusCase } from './cases.mjs';

const root = new URL('../../', import.meta.url);
const pkg = (p) => import(new URL(`packages/${p}`, root).href);
const { assemble, encodeProgram } = await pkg('asm/dist/index.js');
const { BtfBuilder } = await pkg('btf/dist/index.js');
const { replayCorpusCase, replayCorpusLoad, simulatedReplayTarget } = await pkg('testing/dist/index.js');
const { createDefaultKernel, hostVmlinuxBtf } = await pkg('kernel/dist/defaults/index.js');

const SELF = fileURLToPath(import.meta.url);
const vmlinux = hostVmlinuxBtf();
const cases = dynptrCases().map((c) => toCorpusCase(c, assemble, encodeProgram));
const btfBlobs = { dynptr: dynptrBtf(BtfBuilder) };
const ctx = { dir: '.', btfBlobs, fixupKinds: {}, vmlinux };

/**
 * A log as compared: map addresses (kernel pointers) and timings out, and without the lines of the
 * kernel's stack liveness pass (`(0) frame 0 insn …`), which the simulated verifier does not print.
 */
export function normalLog(log) {
  if (log === null || log === undefined) return '';
  return log.split('\n')
    .filter((l) => !/^\(\d+(,\d+)*\) (frame \d+ insn \d+ |live stack update)/.test(l))
    .map((l) => l.replace(/\(18\) (r\d+) = 0x[0-9a-f]+ *;?/, '(18) $1 = map ;').replace(/^verification time \d+ usec$/, 'verification time'))
    .join('\n');
}

/** The answer a fixture keeps: the replay line (verdict, errno, log tail, processed, runs) and the whole log. */
function answer(target, c) {
  const { log } = replayCorpusLoad(target, c, ctx);
  const line = replayCorpusCase(target, c, ctx);
  return { ...line, log: log ?? null };
}

if (process.argv.includes('--child')) {
  const { createLinuxSyscall } = await pkg('linux/dist/index.js');
  const target = { open: () => createLinuxSyscall(), close: () => undefined };
  process.stdout.write(JSON.stringify(cases.map((c) => answer(target, c))));
} else {
  const r = spawnSync('setpriv', ['--bounding-set=-sys_admin', '--inh-caps=-sys_admin', '--', process.execPath, SELF, '--child'],
    { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`the recording failed: ${r.stderr}`);
  const answers = JSON.parse(r.stdout);
  const recorded = cases.map((c, i) => ({ ...c, kernel: answers[i] }));
  const out = fileURLToPath(new URL('packages/testing/test/fixtures/dynptr.json', root));
  writeFileSync(out, `{"kernel": "Linux 6.18 (x86-64)", "btf_blobs": ${JSON.stringify(btfBlobs)}, "cases": [\n${recorded.map((c) => JSON.stringify(c)).join(',\n')}\n]}\n`);
  console.log(`${String(recorded.length)} cases, ${String(recorded.filter((c) => c.kernel.verdict === 'accept').length)} accepted -> ${out}`);
  if (process.argv.includes('--compare')) {
    const target = simulatedReplayTarget(createDefaultKernel({ vmlinuxBtf: () => vmlinux }));
    for (const c of recorded) {
      const got = answer(target, c);
      const k = c.kernel;
      const diffs = ['verdict', 'errno', 'processed'].filter((f) => got[f] !== k[f]);
      const lastLine = (a) => (a.log_tail ?? []).filter((l) => !/^(verification time|stack depth|processed )/.test(l)).at(-1);
      if (lastLine(got) !== lastLine(k)) diffs.push('line');
      if (JSON.stringify(got.runs) !== JSON.stringify(k.runs)) diffs.push('runs');
      if (normalLog(got.log) !== normalLog(k.log)) diffs.push('log');
      if (diffs.length > 0 && process.argv.includes('--logs') && got.log !== null && k.log !== null) {
        const a = normalLog(k.log).split('\n'), b = normalLog(got.log).split('\n');
        const at = a.findIndex((l, i) => l !== b[i]);
        console.log(`  first log difference at line ${String(at)}:\n  kernel: ${a.slice(at, at + 3).join('\n          ')}\n  sim:    ${b.slice(at, at + 3).join('\n          ')}`);
      }
      if (diffs.length > 0) console.log(`${c.id}: ${diffs.join(',')} | kernel ${k.verdict} ${k.errno} ${lastLine(k)} ${k.processed} ${JSON.stringify(k.runs)} | sim ${got.verdict} ${got.errno} ${lastLine(got)} ${got.processed} ${JSON.stringify(got.runs ?? got.error)}`);
    }
  }
}
