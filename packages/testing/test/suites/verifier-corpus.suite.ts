// The verifier against the real 6.18 kernel over every case of corpus/verifier
// with a kernel verdict (accept or reject; not the loads the kernel refused
// before its verifier ran). Each case goes through `bpfkit corpus replay`'s
// replayer: its maps, BTF, kfuncs, attach target and aux programs set up by the
// product, then BPF_PROG_LOAD in the simulated kernel. Five figures over the
// same cases, one score line each:
//   verifier-verdict    accept/reject equal
//   verifier-errno      verdict and errno equal
//   verifier-message    kernel rejects: the kernel's error line is a line of our log
//   verifier-processed  `processed N insns` equal (accepted and rejected)
//   verifier-stack-depth the stats' `stack depth A+B+...` line equal (per subprogram)
//   verifier-states     the whole `processed N insns ... max_states_per_insn M total_states T peak_states P` line equal
//   verifier-unsound    passes unless the kernel rejects and we accept
//   verifier-log-tail   the last five log lines equal (every error line the kernel printed, then the stats;
//                       the verification time and kfunc BTF ids aside)
// A case the replayer cannot set up is a miss in every figure, tallied "setup error".
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { SuiteTally, sharedPath, type SuiteResult } from '@bpfkit/corpus';
import { createDefaultKernel, hostVmlinuxBtf } from '@bpfkit/kernel/defaults';
import { CORPUS_KERNEL_OPTIONS, readCaseFile, replayCorpusLoad, simulatedReplayTarget, type CorpusCase, type CorpusLoadResult } from '@bpfkit/testing';

interface RecordedCase extends CorpusCase {
  readonly kernel: {
    readonly result: string;
    readonly errno_name?: string | null;
    readonly log_tail?: readonly string[];
    readonly processed_insns?: number | null;
    readonly blocked_before_verifier?: boolean;
  };
}

type Figure = 'verdict' | 'errno' | 'message' | 'processed' | 'stack-depth' | 'states' | 'unsound' | 'log-tail';
const FIGURES: readonly Figure[] = ['verdict', 'errno', 'message', 'processed', 'stack-depth', 'states', 'unsound', 'log-tail'];

/** The kernel gave a verifier verdict (not a refusal before the verifier ran). */
function hasVerdict(c: RecordedCase): boolean {
  return (c.kernel.result === 'accept' || c.kernel.result === 'reject') && c.kernel.blocked_before_verifier !== true;
}

const STATS_LINE = /^(verification time \d+ usec|stack depth [\d+]+)$/;

/** The kernel's error line: the last line of its log tail before `processed N insns`, stats lines aside. */
export function kernelErrorLine(tail: readonly string[]): string | undefined {
  let end = tail.length;
  for (let i = tail.length - 1; i >= 0; i--) {
    if (tail[i]?.startsWith('processed ') === true) {
      end = i;
      break;
    }
  }
  for (let i = end - 1; i >= 0; i--) {
    const line = tail[i];
    if (line !== undefined && !STATS_LINE.test(line)) return line;
  }
  return undefined;
}

/** The misses of one case per figure: a cause (tallied) and a detail (listed). */
type Misses = Partial<Record<Figure, { cause: string; detail: string }>>;

function judge(c: RecordedCase, { line, log }: CorpusLoadResult): Misses {
  if ('error' in line) {
    const miss = { cause: 'setup error', detail: line.error };
    return Object.fromEntries(FIGURES.map((f) => [f, miss]));
  }
  const k = c.kernel;
  const misses: Misses = {};
  const ours = `${line.verdict}${line.errno === null ? '' : ` ${line.errno}`}`;
  const theirs = `${k.result}${k.result === 'reject' ? ` ${k.errno_name ?? '?'}` : ''}`;
  const lastLine = line.log_tail.filter((l) => !l.startsWith('processed ') && !STATS_LINE.test(l)).at(-1) ?? '';
  if (line.verdict !== k.result) {
    const cause = k.result === 'reject' ? 'we accept, the kernel rejects' : 'we reject, the kernel accepts';
    const detail = `kernel ${theirs}, ours ${ours}${line.verdict === 'reject' ? `: ${lastLine}` : ''}`;
    misses.verdict = { cause, detail };
    misses.errno = { cause, detail };
    if (k.result === 'reject') misses.unsound = { cause, detail };
  } else if (ours !== theirs) {
    misses.errno = { cause: `errno ${line.errno ?? ''} for ${k.errno_name ?? '?'}`, detail: `kernel ${theirs}, ours ${ours}: ${lastLine}` };
  }
  if (k.result === 'reject') {
    const want = kernelErrorLine(k.log_tail ?? []);
    const found = want !== undefined && (log ?? '').split('\n').includes(want);
    if (!found) misses.message = { cause: line.verdict === 'accept' ? 'accepted' : 'other message', detail: `kernel "${want ?? ''}", ours "${lastLine}"` };
  }
  const processed = k.processed_insns ?? null;
  if (line.processed !== processed) {
    const cause = line.processed === null ? 'no count' : line.verdict !== k.result ? 'other verdict' : line.processed > (processed ?? 0) ? 'more' : 'fewer';
    misses.processed = { cause, detail: `kernel ${processed ?? 'none'}, ours ${line.processed ?? 'none'}` };
  }
  const stackLine = (tail: readonly string[]): string | undefined => tail.find((l) => l.startsWith('stack depth '));
  const theirStack = stackLine(k.log_tail ?? []), ourStack = stackLine(line.log_tail);
  if (theirStack !== ourStack) {
    const cause = ourStack === undefined ? 'no stack line' : line.verdict !== k.result ? 'other verdict' : 'other depth';
    misses['stack-depth'] = { cause, detail: `kernel "${theirStack ?? ''}", ours "${ourStack ?? ''}"` };
  }
  const statsLine = (tail: readonly string[]): string | undefined => tail.find((l) => l.startsWith('processed '));
  const theirStats = statsLine(k.log_tail ?? []), ourStats = statsLine(line.log_tail);
  if (theirStats !== ourStats) {
    const field = (text: string | undefined, name: string): string | undefined => new RegExp(`${name} (\\d+)`).exec(text ?? '')?.[1];
    const first = ['processed', 'max_states_per_insn', 'total_states', 'peak_states', 'mark_read'].find((f) => field(theirStats, f) !== field(ourStats, f));
    const cause = ourStats === undefined ? 'no stats line' : line.verdict !== k.result ? 'other verdict' : `other ${first ?? 'line'}`;
    misses.states = { cause, detail: `kernel "${theirStats ?? ''}", ours "${ourStats ?? ''}"` };
  }
  // A kfunc call names its BTF id in vmlinux, which the corpus's kernel build numbered its own way.
  const tail = (lines: readonly string[]): string => lines.map((l) => l.replace(/^verification time \d+ usec$/, 'verification time').replace(/(call [A-Za-z_0-9]+)#\d+/, '$1#')).join('\n');
  const theirTail = tail(k.log_tail ?? []), ourTail = tail(line.log_tail);
  if (theirTail !== ourTail) {
    const a = ourTail.split('\n'), b = theirTail.split('\n');
    const at = b.findIndex((l, i) => a[i] !== l);
    const cause = line.verdict !== k.result ? 'other verdict' : a.length !== b.length ? 'other line count' : 'other line';
    misses['log-tail'] = { cause, detail: `kernel "${b[at] ?? ''}", ours "${a[at] ?? ''}"` };
  }
  return misses;
}

export default function run(): Promise<readonly SuiteResult[] | undefined> {
  const root = sharedPath('corpus', 'verifier');
  if (root === undefined) return Promise.resolve(undefined);
  const tallies = new Map(FIGURES.map((f) => [f, new SuiteTally(`verifier-${f}`)]));
  const vmlinux = hostVmlinuxBtf();
  for (const dir of ['classic', 'progs']) {
    for (const file of readdirSync(join(root, dir)).filter((f) => f.endsWith('.json')).sort()) {
      const caseFile = readCaseFile(join(root, dir, file), { fixupsPath: join(root, 'fixup_kinds.json'), vmlinux });
      // The kernel the corpus was recorded on: an earlier 6.18 build (see CORPUS_KERNEL_OPTIONS).
      const target = simulatedReplayTarget(createDefaultKernel({ ...CORPUS_KERNEL_OPTIONS, vmlinuxBtf: () => vmlinux }));
      for (const c of caseFile.cases as readonly RecordedCase[]) {
        if (!hasVerdict(c)) continue;
        let misses: Misses;
        try {
          misses = judge(c, replayCorpusLoad(target, c, caseFile.context));
        } catch (e) {
          const miss = { cause: 'exception', detail: e instanceof Error ? `${e.name}: ${e.message}` : String(e) };
          misses = Object.fromEntries(FIGURES.map((f) => [f, miss]));
        }
        for (const f of FIGURES) {
          // The message figure counts the kernel's rejects only.
          if (f === 'message' && c.kernel.result !== 'reject') continue;
          const tally = tallies.get(f);
          const miss = misses[f];
          if (miss === undefined) tally?.pass();
          else tally?.miss(c.id, miss.cause, miss.detail);
        }
      }
    }
  }
  return Promise.resolve(FIGURES.map((f) => (tallies.get(f) as SuiteTally).result()));
}
