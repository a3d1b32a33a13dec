import type { Command } from 'commander';
import { replayScenarios, type ScenarioResult } from '@bpfkit/testing';
import { CliError } from '../errors.js';
import { readInput } from '../input.js';
import { printJson, println, type Io } from '../output.js';

interface ReplayCliOptions {
  readonly json?: boolean;
  readonly pretty?: boolean;
}

function parseJson(bytes: Uint8Array, file: string): unknown {
  try {
    return JSON.parse(Buffer.from(bytes).toString('utf8')) as unknown;
  } catch (e) {
    throw new CliError(`${file}: not JSON (${e instanceof Error ? e.message : String(e)})`);
  }
}

function printPretty(io: Io, result: ScenarioResult): void {
  println(io.stdout, result.name);
  result.steps.forEach((step, i) => {
    const info = step.info === undefined ? '' : ` ${JSON.stringify(step.info)}`;
    println(io.stdout, `  ${String(i).padStart(2)} ${step.ok ? 'ok' : (step.errno ?? 'error')}${step.reason === undefined ? '' : ` (${step.reason})`}${info}`);
  });
}

/** `bpfkit scenario replay FILE.json`: replays token-oracle/v1 scenarios in the simulated kernel. */
export function registerScenario(program: Command, io: Io): void {
  const scenario = program.command('scenario').description('delegation scenarios (the token-oracle/v1 schema)');
  scenario
    .command('replay')
    .description('replay scenarios in the simulated kernel, ignoring any expect; one JSON line per scenario')
    .argument('<file>', 'a token-oracle/v1 JSON file (e.g. the corpus scenarios.json), or - for standard input')
    .option('--json', 'one JSON line per scenario: {"name", "steps": [{"ok", "errno", "info"}]} (the default)')
    .option('--pretty', 'one readable line per step instead, with bpfkit\'s reason for each failure')
    .action((file: string, opts: ReplayCliOptions) => {
      if (opts.json === true && opts.pretty === true) throw new CliError('--json and --pretty exclude each other');
      const results = replayScenarios(parseJson(readInput(file), file));
      for (const result of results) {
        if (opts.pretty === true) {
          printPretty(io, result);
          continue;
        }
        printJson(io.stdout, {
          name: result.name,
          steps: result.steps.map((s) => ({ ok: s.ok, errno: s.errno, info: s.info ?? {} })),
        });
      }
    });
}
