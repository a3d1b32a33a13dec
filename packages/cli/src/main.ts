import type { Command } from 'commander';
import { describeError, exitCodeFor, ExitWith } from './errors.js';
import { println, type Io } from './output.js';
import { VERBS, type Verb } from './commands/index.js';
import { indexHelp, VERSION } from './help-index.js';

type Commander = typeof import('commander');

function emptyProgram(commander: Commander, io: Io): Command {
  return new commander.Command('bpfkit')
    .version(VERSION)
    .exitOverride()
    .configureHelp({ formatHelp: (cmd, helper) => (cmd.parent === null ? indexHelp() : commander.Help.prototype.formatHelp.call(helper, cmd, helper)) })
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      outputError: (s, write) => {
        write(s);
      },
    });
}

/**
 * Builds the whole `bpfkit` command tree, writing to `io`. This imports every
 * verb's module; {@link main} imports only the verb it runs.
 *
 * @example
 * const program = await buildProgram({ stdout: process.stdout, stderr: process.stderr });
 * program.commands.map((c) => c.name()); // ['disasm', 'asm', 'btf', …]
 */
export async function buildProgram(io: Io): Promise<Command> {
  const program = emptyProgram(await import('commander'), io);
  const registers = await Promise.all(VERBS.map((v) => v.load()));
  for (const register of registers) register(program, io);
  return program;
}

/** The verb `argv` runs (`help VERB` included), if it names one. */
function verbOf(argv: readonly string[]): Verb | undefined {
  const words = argv.filter((a) => !a.startsWith('-'));
  const name = words[0] === 'help' ? words[1] : words[0];
  return VERBS.find((v) => v.name === name);
}

/** `bpfkit`, `--help`, `--version`: answered from the verb table, without commander. */
function answerAlone(argv: readonly string[], io: Io): number | undefined {
  if (argv.length === 0) {
    io.stderr.write(indexHelp());
    return 2;
  }
  if (argv.length !== 1) return undefined;
  const [only] = argv;
  if (only === '--help' || only === '-h' || only === 'help') {
    io.stdout.write(indexHelp());
    return 0;
  }
  if (only === '--version' || only === '-V') {
    println(io.stdout, VERSION);
    return 0;
  }
  return undefined;
}

/**
 * Runs the CLI with `argv` (without node and script) and returns the exit code:
 * 0 done, 1 the kernel refuses, 2 a usage error (see `bpfkit --help`).
 *
 * @example
 * const code = await main(['disasm', 'prog.hex'], { stdout: process.stdout, stderr: process.stderr });
 */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  const alone = answerAlone(argv, io);
  if (alone !== undefined) return alone;
  const commander = await import('commander');
  try {
    const program = emptyProgram(commander, io);
    const verb = verbOf(argv);
    // Without a known verb, list them all (unloaded) so the unknown-verb error can suggest one.
    if (verb === undefined) for (const v of VERBS) program.command(v.name).description(v.description);
    else (await verb.load())(program, io);
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof commander.CommanderError) return e.exitCode === 0 ? 0 : 2;
    if (e instanceof ExitWith) return e.code;
    println(io.stderr, `bpfkit: ${describeError(e)}`);
    return exitCodeFor(e);
  }
}
