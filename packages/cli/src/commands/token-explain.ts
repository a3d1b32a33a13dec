import type { Command } from 'commander';
import { readInstructionBytes } from '../input.js';
import { explainDelegation, type CallerKind, type Explanation } from '../delegation/explain.js';
import { attachDefault, collect, parseOperations } from '../delegation/operation.js';
import { renderTrace } from '../delegation/recorder.js';
import { explanationSummary } from '../delegation/summary.js';
import { CliError, ExitWith } from '../errors.js';
import { printJson, println, type Io } from '../output.js';

const CALLERS: readonly CallerKind[] = ['container', 'sibling', 'nested', 'host-root', 'host-user'];

interface ExplainOptions {
  readonly mount: string;
  readonly caller: string;
  readonly caps?: string;
  readonly token: boolean;
  readonly sysctl: string;
  readonly attach?: readonly string[];
  readonly program?: string;
  readonly json?: boolean;
}

function printText(io: Io, results: readonly Explanation[]): void {
  const [first] = results;
  if (first?.superOptions !== undefined) println(io.stdout, `mount shows: ${first.superOptions}`);
  if (first?.mountFlags !== undefined) {
    println(io.stdout, `mount flags: ${first.mountOptions ?? '?'}`);
    println(io.stdout, `note: ${first.mountFlags}`);
  }
  for (const w of first?.warnings ?? []) println(io.stdout, `warning: ${w}`);
  for (const result of results) {
    const trace = renderTrace(result.trace, result.allowed ? undefined : result.decidedBy);
    if (trace.length > 0) println(io.stdout, ['', ...trace, ''].join('\n'));
    for (const line of explanationSummary(result)) println(io.stdout, line);
  }
}

/** `bpfkit token explain --mount OPTS [--caller WHO] [--caps LIST] OPERATION...`. */
export function registerTokenExplain(token: Command, io: Io): void {
  token
    .command('explain')
    .description('run an operation under a delegated bpffs in the simulated kernel and show every check that decided it')
    .argument('<operation...>', 'one or more of: map_create TYPE | prog_load TYPE [--attach TYPE] | btf_load | btf_get_fd_by_id | token_create')
    .requiredOption('-m, --mount <options>', "the bpffs's options: /proc/mounts text or key=value,... (e.g. delegate_cmds=map_create,delegate_maps=hash); VFS flags (ro, nosuid, ...) are applied to the mount")
    .option('-c, --caller <who>', `who calls, relative to the mount's user namespace: ${CALLERS.join(', ')}`, 'container')
    .option('--caps <list>', "the caller's effective capabilities in its own userns, comma-separated, or none (default: all)")
    .option('--no-token', 'do not create and pass a token')
    .option('--attach <type>', 'expected_attach_type of every prog_load that gives none (once; or quote each operation with its own)', collect)
    .option('--program <file>', 'instructions for prog_load (hex or raw; default r0 = 0; exit)')
    .option('--sysctl <n>', 'kernel.unprivileged_bpf_disabled', '2')
    .option('--json', 'print each explanation as one JSON line')
    .addHelpText(
      'after',
      "\nEach operation runs in a fresh simulated kernel. The exit code is 1 when any is refused.\n\nExamples:\n  bpfkit token explain -m 'delegate_cmds=map_create,delegate_maps=hash' map_create array\n  bpfkit token explain -m 'delegate_cmds=any,delegate_progs=xdp,delegate_attachs=xdp' --caps CAP_BPF prog_load xdp --attach xdp\n  bpfkit token explain -m 'delegate_cmds=any,delegate_maps=any' 'map_create hash' 'map_create ringbuf' btf_load\n",
    )
    .action((words: string[], opts: ExplainOptions) => {
      if (!CALLERS.includes(opts.caller as CallerKind)) throw new CliError(`unknown caller '${opts.caller}' (use ${CALLERS.join(', ')})`);
      const sysctl = Number(opts.sysctl);
      if (![0, 1, 2].includes(sysctl)) throw new CliError('--sysctl takes 0, 1 or 2');
      const operations = parseOperations(words, attachDefault(opts.attach));
      if (opts.program !== undefined && !operations.some((o) => o.op === 'prog_load')) throw new CliError('--program is for prog_load, and no operation is one');
      const program = opts.program === undefined ? undefined : readInstructionBytes(opts.program);
      const results = operations.map((operation) =>
        explainDelegation({
          mount: opts.mount,
          caller: opts.caller as CallerKind,
          ...(opts.caps === undefined ? {} : { caps: opts.caps.split(',').map((s) => s.trim()) }),
          useToken: opts.token,
          sysctl,
          operation,
          ...(program === undefined ? {} : { program }),
        }),
      );
      if (opts.json === true) for (const result of results) printJson(io.stdout, result);
      else printText(io, results);
      if (results.some((r) => !r.allowed)) throw new ExitWith(1);
    });
}
