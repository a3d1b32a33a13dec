import type { Command } from 'commander';
import { decodeProgram, disassemble, formatInsn, insnSlots } from '@bpfkit/asm';
import { loadObjectSpec, type ObjectSpec, type ProgramSpec } from '@bpfkit/elf';
import { CliError } from '../errors.js';
import { readProgramOrObject } from '../input.js';
import { formatListing, listProgram } from '../object/disasm.js';
import { objectNameFromPath } from '@bpfkit/libbpf';
import { printJson, println, type Io } from '../output.js';
import { hexLines, syntaxOption } from './asm.js';

interface DisasmOptions {
  readonly syntax: string;
  readonly log?: boolean;
  readonly json?: boolean;
  readonly prog?: string;
}

/** The programs `--prog` picks (all when absent); an unknown name is one line listing the known ones. */
export function pickPrograms(spec: ObjectSpec, file: string, name: string | undefined): readonly ProgramSpec[] {
  if (name === undefined) return spec.programs;
  const p = spec.programs.find((x) => x.name === name);
  if (p === undefined) {
    const known = spec.programs.map((x) => x.name).join(', ');
    throw new CliError(`${file}: no program '${name}' (programs: ${known === '' ? 'none' : known})`);
  }
  return [p];
}

function disasmObject(io: Io, file: string, bytes: Uint8Array, opts: DisasmOptions): void {
  if (opts.syntax !== 'kernel') throw new CliError('an object is listed in the kernel syntax only (leave out --syntax)');
  const spec = loadObjectSpec(bytes);
  const listed = pickPrograms(spec, file, opts.prog).map((p) => listProgram(spec, p));
  if (opts.json === true) {
    printJson(io.stdout, { object: objectNameFromPath(file), programs: listed });
    return;
  }
  if (listed.length === 0) println(io.stdout, `${file}: no programs`);
  else println(io.stdout, listed.map(formatListing).join('\n\n'));
}

/** `bpfkit disasm FILE`: instructions of a program file, or every program of an ELF object. */
export function registerDisasm(program: Command, io: Io): void {
  program
    .command('disasm')
    .description('disassemble BPF instructions (hex, raw bytes or assembly), or the programs of a clang-built ELF object')
    .argument('<file>', 'instruction file or object, or - for standard input')
    .option('-s, --syntax <syntax>', 'kernel (r0 = *(u32 *)(r1 +4)) or conformance (ldxw %r0, [%r1+4])', 'kernel')
    .option('--log', "print verifier-log lines ('0: (b7) r0 = 0')")
    .option('--prog <name>', 'an object: only this program')
    .option('--json', 'one object per instruction: index, hex, text (an object: its programs with relocations and source lines)')
    .addHelpText('after', '\nExamples:\n  bpfkit disasm prog.hex\n  bpfkit disasm xdp_filter.o --prog xdp_filter\n')
    .action((file: string, opts: DisasmOptions) => {
      const syntax = syntaxOption(opts.syntax);
      const input = readProgramOrObject(file);
      if (input.kind === 'elf') {
        disasmObject(io, file, input.bytes, opts);
        return;
      }
      if (opts.prog !== undefined) throw new CliError(`--prog picks a program of an ELF object; ${file} holds ${input.kind} instructions`);
      const bytes = input.insns;
      const insns = decodeProgram(bytes);
      if (opts.json === true) {
        let index = 0;
        printJson(
          io.stdout,
          insns.map((insn) => {
            const slots = insnSlots(insn);
            const row = { index, hex: hexLines(bytes.subarray(index * 8, (index + slots) * 8)).join(''), text: formatInsn(insn, { syntax }) };
            index += slots;
            return row;
          }),
        );
        return;
      }
      if (opts.log === true && syntax !== 'kernel') throw new CliError('--log prints the kernel syntax only');
      println(io.stdout, disassemble(insns, { syntax, log: opts.log === true }));
    });
}
