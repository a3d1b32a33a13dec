// Every case of corpus/verifier that the real kernel accepted and test-ran with
// success, replayed through the simulated kernel (`bpfkit corpus replay`'s
// replayer) once per engine: same retval and data_out for every run. A case our
// verifier rejects, or cannot set up, is a miss with its cause in the tally.
// Retvals the corpus flags as nondeterministic, or that the test itself takes
// as any value (POINTER_VALUE: a kernel address), are not compared; their
// data_out and errno still are.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { SuiteTally, sharedPath, type SuiteResult } from '@bpfkit/corpus';
import { createDefaultKernel, hostVmlinuxBtf } from '@bpfkit/kernel/defaults';
import { CORPUS_KERNEL_OPTIONS, readCaseFile, replayCorpusCase, simulatedReplayTarget, type CorpusCase, type CorpusReplayLine } from '@bpfkit/testing';

interface KernelRun {
  readonly retval: number | null;
  readonly errno: number;
  readonly data_out?: string;
  readonly nondeterministic?: boolean;
}
interface RecordedCase extends CorpusCase {
  readonly kernel: { readonly result: string; readonly runs?: readonly KernelRun[] };
}

/** The kernel accepted the case and every recorded run succeeded. */
function ranOnKernel(c: RecordedCase): boolean {
  const runs = c.kernel.runs ?? [];
  return c.kernel.result === 'accept' && runs.length > 0 && runs.every((r) => r.errno === 0);
}

function compare(kernelRuns: readonly KernelRun[], anyRetval: readonly boolean[], line: CorpusReplayLine): { cause: string; detail: string } | undefined {
  if ('error' in line) return { cause: 'setup error', detail: line.error };
  if (line.verdict === 'reject') return { cause: 'our verifier rejects', detail: `${line.errno ?? ''}: ${line.log_tail.at(-2) ?? ''}` };
  if (line.runs.length !== kernelRuns.length) return { cause: 'run count', detail: `${line.runs.length} runs, the kernel ${kernelRuns.length}` };
  for (let i = 0; i < kernelRuns.length; i++) {
    const k = kernelRuns[i];
    const ours = line.runs[i];
    if (k === undefined || ours === undefined) continue;
    if (ours.errno !== 0) return { cause: `test run errno ${ours.errno}`, detail: `run ${i}: errno ${ours.errno}` };
    const retvalFixed = k.nondeterministic !== true && anyRetval[i] !== true;
    if (retvalFixed && k.retval !== null && (ours.retval >>> 0) !== (k.retval >>> 0)) {
      return { cause: 'retval', detail: `run ${i}: retval ${ours.retval}, the kernel ${k.retval}` };
    }
    if ((k.data_out ?? 'unchanged') !== ours.data_out) return { cause: 'data_out', detail: `run ${i}: data_out ${ours.data_out.slice(0, 40)}, the kernel ${(k.data_out ?? '').slice(0, 40)}` };
  }
  return undefined;
}

function measure(root: string, engine: 'interp' | 'wasm'): SuiteResult {
  const tally = new SuiteTally('vm-testrun', engine);
  const vmlinux = hostVmlinuxBtf();
  for (const dir of ['classic', 'progs']) {
    for (const file of readdirSync(join(root, dir)).filter((f) => f.endsWith('.json')).sort()) {
      const caseFile = readCaseFile(join(root, dir, file), { fixupsPath: join(root, 'fixup_kinds.json'), vmlinux });
      const kernel = createDefaultKernel({ ...CORPUS_KERNEL_OPTIONS, vmlinuxBtf: () => vmlinux, engine });
      const target = simulatedReplayTarget(kernel);
      for (const c of caseFile.cases as readonly RecordedCase[]) {
        if (!ranOnKernel(c)) continue;
        let miss;
        try {
          const anyRetval = (c.expected?.runs ?? []).map((r) => r.retval_any === true);
          miss = compare(c.kernel.runs ?? [], anyRetval, replayCorpusCase(target, c, caseFile.context));
        } catch (e) {
          miss = { cause: 'exception', detail: e instanceof Error ? `${e.name}: ${e.message}` : String(e) };
        }
        if (miss === undefined) tally.pass();
        else tally.miss(c.id, miss.cause, miss.detail);
      }
    }
  }
  return tally.result();
}

export default function run(): Promise<readonly SuiteResult[] | undefined> {
  const root = sharedPath('corpus', 'verifier');
  if (root === undefined) return Promise.resolve(undefined);
  return Promise.resolve([measure(root, 'interp'), measure(root, 'wasm')]);
}
