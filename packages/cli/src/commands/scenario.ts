import type { Command } from 'commander';
import { replayScenarios, type OracleFile, type ScenarioResult } from '@bpfkit/testing';
import { CliError, ExitWith } from '../errors.js';
import { readInput } from '../input.js';
import { printJson, println, type Io } from '../output.js';
import { checkExpectations } from '../scenario/check.js';
import { validateOracleFile } from '../scenario/validate.js';

interface ReplayCliOptions {
  readonly json?: boolean;
  readonly pretty?: boolean;
  readonly check?: boolean;
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
    .description('replay scenarios in the simulated kernel; one JSON line per scenario; --check compares with the expect fields')
    .argument('<file>', 'a token-oracle/v1 JSON file (e.g. the corpus scenarios.json), or - for standard input')
    .option('--json', 'one JSON line per scenario: {"name", "steps": [{"ok", "errno", "info"}]}, a failed step with bpfkit\'s "reason" (the default)')
    .option('--pretty', "one readable line per step instead, with bpfkit's reason for each failure")
    .option('--check', "compare every step with the file's expect fields; print each difference on stderr and exit 1 on any")
    .addHelpText('after', '\nExample, scenarios kept as regression tests:\n  bpfkit scenario replay --check my-delegation.json > /dev/null\n')
    .action((file: string, opts: ReplayCliOptions) => {
      if (opts.json === true && opts.pretty === true) throw new CliError('--json and --pretty exclude each other');
      const json = parseJson(readInput(file), file);
      validateOracleFile(json, file);
      const results = replayScenarios(json);
      for (const result of results) {
        if (opts.pretty === true) {
          printPretty(io, result);
          continue;
        }
        printJson(io.stdout, {
          name: result.name,
          steps: result.steps.map((s) => ({ ok: s.ok, errno: s.errno, info: s.info ?? {}, ...(s.ok || s.reason === undefined ? {} : { reason: s.reason }) })),
        });
      }
      if (opts.check !== true) return;
      const differences = checkExpectations(json as OracleFile, results);
      for (const d of differences) println(io.stderr, `bpfkit: check: ${d.line}`);
      const scenarios = (json as OracleFile).scenarios.length;
      const failing = new Set(differences.map((d) => d.scenario)).size;
      println(io.stderr, `check: ${String(scenarios - failing)} of ${String(scenarios)} scenarios match their expect fields`);
      if (differences.length > 0) throw new ExitWith(1);
    });
}
