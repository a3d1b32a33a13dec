import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { BtfView } from '@bpfkit/kernel-api';
import { createDefaultKernel } from '@bpfkit/kernel/defaults';
import { readCaseFile, simulatedReplayTarget } from './case-file.js';
import { replayCorpusLoad } from './replay.js';
import type { ReplayTarget } from './replay.js';

/** How many corpus logs agree line for line, and the first differing line of each that does not. */
export interface LiveLogComparison {
  readonly passed: number;
  readonly total: number;
  /** Cases over `maxProcessed` instructions, not compared (their level-2 logs run to gigabytes). */
  readonly leftOut: number;
  readonly failures: readonly { readonly id: string; readonly line: number; readonly kernel: string; readonly ours: string }[];
}

/** What two kernels' logs may differ in: map addresses (and the padding after them), kfunc BTF ids, the verification time. */
export function normalizeVerifierLog(log: string | undefined): string[] {
  return (log ?? '').split('\n').map((l) => l
    .replace(/\(18\) (r\d+) = 0x[0-9a-f]+ */, '(18) $1 = <addr> ')
    .replace(/(call [A-Za-z_0-9]+)#\d+ */, '$1#<id> ')
    .replace(/^verification time \d+ usec$/, 'verification time'));
}

/**
 * Every case of the verifier corpus at `root` that the kernel gave a verdict, loaded at log level 2
 * in the simulated kernel (the later 6.18 builds' verifier, its default) and in `linux` (this
 * machine's kernel), with the whole logs compared.
 *
 * @example
 * const r = compareLiveLogs(sharedPath('corpus', 'verifier')!, linuxTarget, hostVmlinuxBtf());
 * r.passed / r.total; // 2619 / 2724
 */
export function compareLiveLogs(root: string, linux: ReplayTarget, vmlinux: BtfView | undefined,
  opts: { readonly filter?: string; readonly maxProcessed?: number } = {}): LiveLogComparison {
  const maxProcessed = opts.maxProcessed ?? 20000;
  let passed = 0, total = 0, leftOut = 0;
  const failures: { id: string; line: number; kernel: string; ours: string }[] = [];
  for (const dir of ['classic', 'progs']) {
    for (const f of readdirSync(join(root, dir)).filter((x) => x.endsWith('.json')).sort()) {
      const file = readCaseFile(join(root, dir, f), { fixupsPath: join(root, 'fixup_kinds.json'), ...(vmlinux === undefined ? {} : { vmlinux }) });
      const sim = simulatedReplayTarget(createDefaultKernel(vmlinux === undefined ? {} : { vmlinuxBtf: () => vmlinux }));
      for (const c of file.cases) {
        if (opts.filter !== undefined && !c.id.includes(opts.filter)) continue;
        const k = (c as { readonly kernel?: { readonly result?: string; readonly processed_insns?: number | null } }).kernel;
        if (k?.result !== 'accept' && k?.result !== 'reject') continue;
        if ((k.processed_insns ?? 0) > maxProcessed) {
          leftOut++;
          continue;
        }
        total++;
        const ours = normalizeVerifierLog(replayCorpusLoad(sim, { ...c, log_level: 2 }, file.context).log);
        const theirs = normalizeVerifierLog(replayCorpusLoad(linux, { ...c, log_level: 2 }, file.context).log);
        let i = 0;
        while (i < ours.length && i < theirs.length && ours[i] === theirs[i]) i++;
        if (i >= ours.length && i >= theirs.length) passed++;
        else failures.push({ id: c.id, line: i + 1, kernel: theirs[i] ?? '<end>', ours: ours[i] ?? '<end>' });
      }
    }
  }
  return { passed, total, leftOut, failures };
}
