import type { Command } from 'commander';
import { createDefaultKernel, hostVmlinuxBtf } from '@bpfkit/kernel/defaults';
import { CORPUS_KERNEL_OPTIONS, readCaseFile, replayCorpusCase, simulatedReplayTarget, type CorpusReplayLine } from '@bpfkit/testing';
import { CliError } from '../errors.js';
import { println, type Io } from '../output.js';

interface ReplayOptions {
  readonly fixups?: string;
  readonly engine?: string;
  readonly only?: string;
  readonly json?: boolean;
  readonly callbackLoops?: boolean;
}

const ENGINES = new Set(['interp', 'wasm']);

function human(line: CorpusReplayLine): string {
  if ('error' in line) return `${line.id}: error: ${line.error}`;
  const runs = line.runs.map((r) => (r.errno === 0 ? `retval ${r.retval}` : `errno ${r.errno}`)).join(', ');
  const verdict = line.verdict === 'accept' ? 'accept' : `reject ${line.errno ?? ''}`;
  return `${line.id}: ${verdict}, processed ${line.processed ?? '?'}${runs === '' ? '' : `; ${runs}`}`;
}

/** `bpfkit corpus replay FILE.json`: every case of a verifier-corpus file through the simulated kernel (reference/corpus-replay.md). */
export function registerCorpus(program: Command, io: Io): void {
  const corpus = program.command('corpus').description('programs in the verifier-corpus schema');
  corpus
    .command('replay')
    .description('load every case of a verifier-corpus file into the simulated kernel and test-run the accepted ones; one line per case')
    .argument('<file>', 'a case file ({"cases": [...]}, classic or progs)')
    .option('--fixups <file>', 'fixup_kinds.json for classic fixups (default: beside FILE or one folder up)')
    .option('--engine <engine>', 'interp or wasm (default: wasm where WebAssembly exists)')
    .option('--only <substring>', 'replay only the cases whose id contains this')
    .option('--json', 'one JSON object per line, as reference/corpus-replay.md fixes it')
    .option('--callback-loops', 'verify as the 6.18 builds since upstream f597664454bd, where a bpf_loop()-style call is a loop of its own (default: the earlier build the verifier corpus was recorded on)')
    .addHelpText('after', '\nExample:\n  bpfkit corpus replay ../shared/corpus/verifier/classic/and.json --json\n')
    .action((file: string, opts: ReplayOptions) => {
      if (opts.engine !== undefined && !ENGINES.has(opts.engine)) throw new CliError(`unknown engine '${opts.engine}' (use interp or wasm)`);
      // The corpus was recorded on a real kernel: its kfunc, ksym and attach-target names resolve in the host's BTF where there is one.
      const vmlinux = hostVmlinuxBtf();
      let caseFile;
      try {
        caseFile = readCaseFile(file, { ...(opts.fixups === undefined ? {} : { fixupsPath: opts.fixups }), vmlinux });
      } catch (e) {
        throw new CliError(e instanceof Error ? e.message : String(e));
      }
      const kernel = createDefaultKernel({
        ...(opts.callbackLoops === true ? {} : CORPUS_KERNEL_OPTIONS),
        vmlinuxBtf: () => vmlinux,
        ...(opts.engine === undefined ? {} : { engine: opts.engine as 'interp' | 'wasm' }),
      });
      const target = simulatedReplayTarget(kernel);
      for (const c of caseFile.cases) {
        if (opts.only !== undefined && !c.id.includes(opts.only)) continue;
        const line = replayCorpusCase(target, c, caseFile.context);
        println(io.stdout, opts.json === true ? JSON.stringify(line) : human(line));
      }
    });
}
