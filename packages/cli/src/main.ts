import { Command, CommanderError } from 'commander';
import { describeError, exitCodeFor, ExitWith } from './errors.js';
import { println, type Io } from './output.js';
import { COMMANDS } from './commands/index.js';

/** Builds the `bpfkit` command tree, writing to `io`. */
export function buildProgram(io: Io): Command {
  const program = new Command('bpfkit')
    .description('The Linux BPF subsystem, with BPF token delegation, in TypeScript.')
    .version('0.0.0')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      outputError: (s, write) => {
        write(s);
      },
    });
  for (const register of COMMANDS) register(program, io);
  return program;
}

/**
 * Runs the CLI with `argv` (without node and script) and returns the exit code.
 *
 * @example
 * const code = await main(['disasm', 'prog.hex'], { stdout: process.stdout, stderr: process.stderr });
 */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode;
    if (e instanceof ExitWith) return e.code;
    println(io.stderr, `bpfkit: ${describeError(e)}`);
    return exitCodeFor(e);
  }
}
