import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { assemble, decodeProgram, disassemble, encodeProgram, formatInsn, insnSlots, type Syntax } from '@bpfkit/asm';
import { CliError } from '../errors.js';
import { readInput, readInstructionBytes } from '../input.js';
import { printJson, println, type Io } from '../output.js';

function syntaxOption(value: string): Syntax {
  if (value === 'kernel' || value === 'conformance') return value;
  throw new CliError(`unknown syntax '${value}' (use kernel or conformance)`);
}

function hexLines(bytes: Uint8Array): string[] {
  const lines: string[] = [];
  for (let i = 0; i < bytes.length; i += 8) lines.push(Buffer.from(bytes.subarray(i, i + 8)).toString('hex'));
  return lines;
}

interface DisasmOptions {
  readonly syntax: string;
  readonly log?: boolean;
  readonly json?: boolean;
}

interface AsmOptions {
  readonly syntax: string;
  readonly output?: string;
  readonly json?: boolean;
}

/** `bpfkit disasm FILE` and `bpfkit asm FILE`. */
export function registerAsm(program: Command, io: Io): void {
  program
    .command('disasm')
    .description('disassemble BPF instructions (hex, one 8-byte instruction per line, or raw bytes)')
    .argument('<file>', 'instruction file, or - for standard input')
    .option('-s, --syntax <syntax>', 'kernel (r0 = *(u32 *)(r1 +4)) or conformance (ldxw %r0, [%r1+4])', 'kernel')
    .option('--log', "print verifier-log lines ('0: (b7) r0 = 0')")
    .option('--json', 'one object per instruction: index, hex, text')
    .action((file: string, opts: DisasmOptions) => {
      const syntax = syntaxOption(opts.syntax);
      const bytes = readInstructionBytes(file);
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

  program
    .command('asm')
    .description('assemble BPF instructions; prints hex, one 8-byte instruction per line')
    .argument('<file>', 'assembly source, or - for standard input')
    .option('-s, --syntax <syntax>', 'kernel or conformance', 'kernel')
    .option('-o, --output <file>', 'write raw little-endian bytes to this file instead of printing hex')
    .option('--json', 'print { insns: N, hex: [...] }')
    .action((file: string, opts: AsmOptions) => {
      const text = Buffer.from(readInput(file)).toString('utf8');
      const bytes = encodeProgram(assemble(text, { syntax: syntaxOption(opts.syntax) }));
      if (opts.output !== undefined) {
        writeFileSync(opts.output, bytes);
        return;
      }
      const lines = hexLines(bytes);
      if (opts.json === true) printJson(io.stdout, { insns: lines.length, hex: lines });
      else println(io.stdout, lines.join('\n'));
    });
}
