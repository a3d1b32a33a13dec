import type { Command } from 'commander';
import { loadObjectSpec } from '@bpfkit/elf';
import { CliError } from '../errors.js';
import { readInput, detectInputKind } from '../input.js';
import { describeObject } from '../object/describe.js';
import { formatDescription } from '../object/showText.js';
import { printJson, println, type Io } from '../output.js';

/** Adds one `bpfkit object …` subcommand. */
export type RegisterObjectSubcommand = (object: Command, io: Io) => void;

/**
 * The bytes of an object file: anything that is not ELF (hex, assembly, raw instructions, empty)
 * is one line, exit code 2.
 *
 * @example
 * const spec = loadObjectSpec(readObjectFile('xdp_filter.o'));
 */
export function readObjectFile(file: string): Uint8Array {
  const bytes = readInput(file);
  const kind = detectInputKind(bytes, file);
  if (kind !== 'elf') throw new CliError(`${file}: not an ELF object (it reads as ${kind} instructions; bpfkit disasm and verify take those)`);
  return bytes;
}

interface ShowOptions {
  readonly json?: boolean;
}

/** `bpfkit object show OBJ.o`: programs, maps, globals, externs and BTF of an object, as libbpf would open it. */
const registerShow: RegisterObjectSubcommand = (object, io) => {
  object
    .command('show')
    .description('list the programs, maps (internal ones named as libbpf names them), globals, externs and BTF of a clang-built object')
    .argument('<obj>', 'a BPF ELF object (clang -target bpf -c), or - for standard input')
    .option('--json', 'one JSON document')
    .addHelpText('after', '\nExample:\n  bpfkit object show xdp_filter.o --json\n')
    .action((file: string, opts: ShowOptions) => {
      const spec = loadObjectSpec(readObjectFile(file));
      const description = describeObject(spec, file === '-' ? 'stdin' : file);
      if (opts.json === true) printJson(io.stdout, description);
      else println(io.stdout, formatDescription(description));
    });
};

/** Every `object` subcommand, in help order; `run` and the skeleton generator slot in here. */
export const OBJECT_SUBCOMMANDS: readonly RegisterObjectSubcommand[] = [registerShow];

/** `bpfkit object …`: clang-built BPF ELF objects. */
export function registerObject(program: Command, io: Io): void {
  const object = program.command('object').description('clang-built BPF ELF objects: show what libbpf would open');
  for (const register of OBJECT_SUBCOMMANDS) register(object, io);
}
