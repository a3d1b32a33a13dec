import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { createDefaultKernel, HOST_VMLINUX_BTF, hostVmlinuxBtf } from '@bpfkit/kernel/defaults';
import { replayCorpusCase, replayCorpusLoad, simulatedReplayTarget, type CorpusCase, type CorpusReplayLine } from '@bpfkit/testing';

// Small programs that make, use, overwrite and release dynptrs (local, ringbuf, skb, xdp, skb_meta;
// the helpers, the dynptr kfuncs and their slices; the const dynptrs of bpf_user_ringbuf_drain callbacks
// and of global functions), loaded at log level 2 and test-run where accepted;
// Linux 6.18's answers were recorded by tools/probe-dynptr. Kfunc calls name the host's vmlinux BTF.
const FIXTURE = fileURLToPath(new URL('../test/fixtures/dynptr.json', import.meta.url));
type Recorded = CorpusCase & { readonly kernel: CorpusReplayLine & { readonly log: string | null } };
const { cases, btf_blobs: btfBlobs } = JSON.parse(readFileSync(FIXTURE, 'utf8')) as { cases: readonly Recorded[]; btf_blobs: Record<string, string> };

/** Whole logs that agree once normalized; raise it as the verifier's log gets closer to the kernel's. */
const LOG_FLOOR = 138;

const STATS = /^(verification time|stack depth|processed )/;

/** The error line of a refusal: the last line of the log tail that is no statistics line. */
function errorLine(line: CorpusReplayLine): string | undefined {
  if (!('log_tail' in line) || line.verdict !== 'reject') return undefined;
  return line.log_tail.filter((l) => !STATS.test(l)).at(-1);
}

/** A log as compared: map addresses (kernel pointers) and timings out; every other line, the stack liveness pass's included. */
function normalLog(log: string | null | undefined): string {
  return (log ?? '').split('\n')
    .map((l) => l.replace(/\(18\) (r\d+) = 0x[0-9a-f]+ *;?/, '(18) $1 = map ;').replace(/^verification time \d+ usec$/, 'verification time')
      // A kfunc is named with its id in the running kernel's BTF, which differs between builds.
      .replace(/(call [a-z_0-9]+)#\d+/, '$1#'))
    .join('\n');
}

if (!existsSync(HOST_VMLINUX_BTF)) {
  test.skip(`dynptrs: the simulated kernel gives Linux's verdicts for every recorded program: skipped, the kfunc calls need the host's vmlinux BTF (${HOST_VMLINUX_BTF})`, () => {});
} else test('dynptrs: the simulated kernel gives Linux\'s verdict, errno, error line, processed count and test runs for every recorded program', (t) => {
  const vmlinux = hostVmlinuxBtf();
  const target = simulatedReplayTarget(createDefaultKernel({ vmlinuxBtf: () => vmlinux }));
  const ctx = { dir: '.', btfBlobs, fixupKinds: {}, vmlinux };
  const misses: string[] = [];
  const n = { verdict: 0, errno: 0, line: 0, processed: 0, runs: 0, log: 0 };
  for (const c of cases) {
    const want = c.kernel;
    const got = replayCorpusCase(target, c, ctx);
    const { log } = replayCorpusLoad(target, c, ctx);
    if (!('verdict' in got) || !('verdict' in want)) {
      misses.push(`${c.id}: ${'error' in got ? got.error : ''}`);
      continue;
    }
    const same = {
      verdict: got.verdict === want.verdict, errno: got.errno === want.errno, line: errorLine(got) === errorLine(want),
      processed: got.processed === want.processed, runs: JSON.stringify(got.runs) === JSON.stringify(want.runs),
    };
    for (const k of Object.keys(same) as (keyof typeof same)[]) if (same[k]) n[k]++;
    if (normalLog(log) === normalLog(want.log)) n.log++;
    if (Object.values(same).some((v) => !v)) {
      misses.push(c.id);
      t.log(`${c.id}: Linux ${want.verdict} ${want.errno ?? ''} ${errorLine(want) ?? ''} (${String(want.processed)}) ${JSON.stringify(want.runs)}, ` +
        `bpfkit ${got.verdict} ${got.errno ?? ''} ${errorLine(got) ?? ''} (${String(got.processed)}) ${JSON.stringify(got.runs)}`);
      // A program Linux refuses must never be let through.
      if (want.verdict === 'reject') t.is(got.verdict, 'reject', `${c.id} is accepted, Linux refuses it`);
    }
  }
  t.log(`agreement over ${String(cases.length)} programs: verdict ${String(n.verdict)}, errno ${String(n.errno)}, error line ${String(n.line)}, ` +
    `processed ${String(n.processed)}, test runs ${String(n.runs)}, whole log ${String(n.log)}`);
  t.true(cases.length >= 100);
  t.deepEqual(misses, []);
  t.true(n.log >= LOG_FLOOR, `whole logs agree for ${String(n.log)} programs, fewer than ${String(LOG_FLOOR)}`);
});
