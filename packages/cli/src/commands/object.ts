import type { Command } from 'commander';
import { loadObjectSpec } from '@bpfkit/elf';
import { readObjectFile } from '../input.js';
import { registerRun } from '../object-run/command.js';
import { describeObject } from '../object/describe.js';
import { formatDescription } from '../object/showText.js';
import { printJson, println, type Io } from '../output.js';

/** Adds one `bpfkit object …` subcommand. */
export type RegisterObjectSubcommand = (object: Command, io: Io) => void;

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
export const OBJECT_SUBCOMMANDS: readonly RegisterObjectSubcommand[] = [registerShow, registerRun];

/** `bpfkit object …`: clang-built BPF ELF objects. */
export function registerObject(program: Command, io: Io): void {
  const object = program.command('object').description('clang-built BPF ELF objects: show what libbpf would open, run one on either kernel');
  for (const register of OBJECT_SUBCOMMANDS) register(object, io);
}
