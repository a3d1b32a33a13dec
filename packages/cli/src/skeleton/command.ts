import type { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { linkObjects, loadObjectSpec } from '@bpfkit/elf';
import { CliError } from '../errors.js';
import { isElf, readInput } from '../input.js';
import type { Io } from '../output.js';
import { generateSkeleton } from './generate.js';

interface GenSkeletonOptions {
  readonly name?: string;
}

/** bpftool's default skeleton name: the file's basename up to its first dot. */
function defaultName(file: string): string {
  const base = file.slice(file.lastIndexOf('/') + 1);
  const dot = base.indexOf('.');
  return dot <= 0 ? base : base.slice(0, dot);
}

/**
 * `bpfkit gen skeleton FILE [--name NAME]`: prints a TypeScript skeleton module for a
 * clang-built BPF object (as `bpftool gen skeleton` prints a C header).
 *
 * @example
 * registerGen(program, io); // bpfkit gen skeleton xdp_filter.o > xdp_filter.skel.ts
 */
export function registerGen(program: Command, io: Io): void {
  const gen = program.command('gen').description('generate code from BPF objects');
  gen
    .command('skeleton')
    .description('print a typed TypeScript module (skeleton) for a BPF object')
    .argument('<file>', 'BPF ELF object built by clang')
    .option('--name <name>', 'object name (default: the file name up to its first dot)')
    .action((file: string, opts: GenSkeletonOptions) => {
      const bytes = readInput(file);
      if (!isElf(bytes)) throw new CliError(`${file}: not an ELF object`);
      const objectName = opts.name ?? defaultName(file);
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(objectName)) {
        throw new CliError(`object name '${objectName}' is not a C identifier; give one with --name`);
      }
      io.stdout.write(generateSkeleton(loadObjectSpec(bytes), bytes, { objectName }));
    });
  gen
    .command('object')
    .description('link BPF objects into one, as bpftool gen object does (externs resolved, sections merged, BTF and BTF.ext carried)')
    .argument('<output>', 'the linked object to write')
    .argument('<inputs...>', 'BPF ELF objects built by clang')
    .addHelpText('after', '\nExample:\n  bpfkit gen object app.o main.bpf.o lib.bpf.o\n')
    .action((output: string, inputs: string[]) => {
      const objects = inputs.map((file) => {
        const bytes = readInput(file);
        if (!isElf(bytes)) throw new CliError(`${file}: not an ELF object`);
        return bytes;
      });
      const linked = linkObjects(objects);
      loadObjectSpec(linked);
      writeFileSync(output, linked);
    });
}
