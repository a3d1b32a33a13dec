import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { assemble, encodeProgram, type Syntax } from '@bpfkit/asm';
import { CliError } from '../errors.js';
import { readInput } from '../input.js';
import { printJson, println, type Io } from '../output.js';

/** A `--syntax` value, checked. */
export function syntaxOption(value: string): Syntax {
  if (value === 'kernel' || value === 'conformance') return value;
  throw new CliError(`unknown syntax '${value}' (use kernel or conformance)`);
}

/** Bytes as hex, one 8-byte slot per string. */
export function hexLines(bytes: Uint8Array): string[] {
  const lines: string[] = [];
  for (let i = 0; i < bytes.length; i += 8) lines.push(Buffer.from(bytes.subarray(i, i + 8)).toString('hex'));
  return lines;
}

interface AsmOptions {
  readonly syntax: string;
  readonly output?: string;
  readonly json?: boolean;
}

/** `bpfkit asm FILE` (`disasm` lives in disasm.ts). */
export function registerAsm(program: Command, io: Io): void {
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
