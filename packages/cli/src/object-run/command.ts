import { readFileSync } from 'node:fs';
import { CliError, ExitWith } from '../errors.js';
import type { RegisterObjectSubcommand } from '../commands/object.js';
import { readObjectFile } from '../input.js';
import { printJson, println, type Io } from '../output.js';
import { diffDocuments } from './diff.js';
import type { ObjectRunDocument } from './document.js';
import { hostPossibleCpus, openKernel, type KernelChoice } from './open-kernel.js';
import { runObjectBytes } from './run-file.js';
import { parseSteps, type StepsFile } from './steps.js';

interface RunOptions {
  readonly steps?: string;
  readonly kernel: string;
  readonly cpus?: string;
  readonly engine?: string;
  readonly json?: boolean;
}

function readSteps(file: string | undefined): StepsFile {
  if (file === undefined) return { rodataPatches: [], steps: [] };
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new CliError(`${file}: ${e instanceof Error ? e.message : String(e)}`);
  }
  return parseSteps(json);
}

function summary(io: Io, doc: ObjectRunDocument, kernel: string): void {
  if (!doc.open.ok) {
    println(io.stdout, `${doc.file}: open failed: ${doc.open.errno_name}: ${doc.open.error}`);
    return;
  }
  println(io.stdout, `${doc.file} on ${kernel}: object ${doc.open.object_name}, ${String(doc.open.programs.length)} programs, ${String(doc.open.maps.length)} maps`);
  for (const p of doc.program_loads ?? []) {
    println(io.stdout, p.loaded
      ? `  prog ${p.name}: loaded, ${String(p.loaded_insn_cnt ?? 0)} insns submitted, ${String(p.verified_insns ?? 0)} verified`
      : `  prog ${p.name}: ${p.errno_name ?? 'failed'}: ${p.verifier_log_tail?.at(-2) ?? ''}`);
  }
  for (const s of doc.steps ?? []) {
    const extra = s.op === 'test_run' ? ` retval ${String(s.retval)}` : s.op === 'drain' ? ` popped ${String((s.popped as unknown[]).length)}` : '';
    println(io.stdout, `  ${String(s.op)}${typeof s.label === 'string' ? ` ${s.label}` : ''}: rc ${String(s.rc)}${extra}`);
  }
}

async function runOn(kernel: KernelChoice, file: string, bytes: Uint8Array, steps: StepsFile, cpus: number, engine: 'interp' | 'wasm' | undefined): Promise<ObjectRunDocument> {
  const host = await openKernel(kernel, { cpus, ...(engine === undefined ? {} : { engine }) });
  try {
    return runObjectBytes(file, bytes, steps, host);
  } finally {
    host.release();
  }
}

/** `bpfkit object run OBJ.o [--steps FILE] [--kernel sim|linux|both] --json` (reference/object-run.md). */
export const registerRun: RegisterObjectSubcommand = (object, io) => {
  object
    .command('run')
    .description('open, load, run steps and dump maps, as one JSON document (reference/object-run.md); --kernel both diffs the two kernels')
    .argument('<obj>', 'a BPF ELF object')
    .option('--steps <file>', 'STEPS.json: rodata patches, map updates, test runs, drains')
    .option('--kernel <which>', 'sim (the simulated kernel), linux (this machine, root), or both', 'sim')
    .option('--cpus <n>', 'possible CPUs of the simulated kernel (default: this machine\'s with --kernel both, else 2)')
    .option('--engine <engine>', 'what runs programs in the simulated kernel: interp or wasm')
    .option('--json', 'the document (or, with --kernel both, both documents and their differences)')
    .addHelpText('after', '\nExample:\n  bpfkit object run examples/xdp_firewall.o --steps examples/xdp_firewall.steps.json --json\n')
    .action(async (file: string, opts: RunOptions) => {
      if (opts.kernel !== 'sim' && opts.kernel !== 'linux' && opts.kernel !== 'both') throw new CliError(`--kernel: expected sim, linux or both, got ${opts.kernel}`);
      if (opts.engine !== undefined && opts.engine !== 'interp' && opts.engine !== 'wasm') throw new CliError(`--engine: expected interp or wasm, got ${opts.engine}`);
      const cpus = opts.cpus === undefined ? undefined : Number(opts.cpus);
      if (cpus !== undefined && (!Number.isInteger(cpus) || cpus < 1 || cpus > 1024)) throw new CliError(`--cpus: expected 1..1024, got ${String(opts.cpus)}`);
      const bytes = readObjectFile(file);
      const steps = readSteps(opts.steps);
      if (opts.kernel !== 'both') {
        const doc = await runOn(opts.kernel, file, bytes, steps, cpus ?? 2, opts.engine);
        if (opts.json === true) printJson(io.stdout, doc);
        else summary(io, doc, opts.kernel);
        if (!doc.open.ok || doc.load?.ok === false) throw new ExitWith(1);
        return;
      }
      const linux = await runOn('linux', file, bytes, steps, 0, undefined);
      const sim = await runOn('sim', file, bytes, steps, cpus ?? hostPossibleCpus() ?? 2, opts.engine);
      const differences = diffDocuments(sim, linux);
      if (opts.json === true) printJson(io.stdout, { file: sim.file, same: differences.length === 0, differences, sim, linux });
      else if (differences.length === 0) println(io.stdout, `${sim.file}: the simulated kernel and Linux agree`);
      else for (const d of differences) println(io.stdout, `${d.path}: sim ${JSON.stringify(d.left)} linux ${JSON.stringify(d.right)}`);
      if (differences.length > 0) throw new ExitWith(1);
    });
};
