import { conformanceParser } from '../conformance/parse.js';
import { formatConformanceInsn } from '../conformance/format.js';
import { asmError } from '../errors.js';
import { type Insn, insnSlots } from '../insn.js';
import { formatKernelInsn } from '../kernel/format.js';
import { formatLogLine, type LogFormatOptions } from '../kernel/log.js';
import { kernelParser } from '../kernel/parse.js';
import { assembleLines } from './program.js';

/**
 * The two text syntaxes: `kernel` is what the verifier log and
 * `llvm-objdump -d` print (`r0 = *(u32 *)(r1 +4)`); `conformance` is the
 * uBPF / bpf_conformance `.data` dialect (`ldxw %r0, [%r1+4]`).
 */
export type Syntax = 'kernel' | 'conformance';

/** Options of {@link formatInsn}. */
export interface FormatOptions {
  /** Default `kernel`. */
  readonly syntax?: Syntax;
}

/** Options of {@link assemble}. */
export interface AssembleOptions {
  /** Default `kernel`. */
  readonly syntax?: Syntax;
}

/** Options of {@link disassemble}. */
export interface DisassembleOptions {
  /** Default `kernel`. */
  readonly syntax?: Syntax;
  /**
   * Print verifier-log lines (`0: (b7) r0 = 0`) instead of assemblable text
   * (kernel syntax only); pass printer options to name kfuncs or maps.
   */
  readonly log?: boolean | LogFormatOptions;
}

function syntaxOf(value: unknown): Syntax {
  if (value === undefined || value === 'kernel') return 'kernel';
  if (value === 'conformance') return 'conformance';
  throw asmError('asm:bad-option', `unknown syntax ${JSON.stringify(value) ?? typeof value}`);
}

/**
 * One instruction as text that {@link assemble} turns back into the same
 * bytes. Jump targets are relative (`goto pc+3`, `ja +3`); encodings a syntax
 * cannot spell come out as the raw escape `.insn 0x<slot>[, 0x<slot>]`.
 *
 * @example
 * formatInsn(ldxMem(W, R0, R1, 4)); // 'r0 = *(u32 *)(r1 +4)'
 * formatInsn(ldxMem(W, R0, R1, 4), { syntax: 'conformance' }); // 'ldxw %r0, [%r1+4]'
 */
export function formatInsn(insn: Insn, options: FormatOptions = {}): string {
  return syntaxOf(options.syntax) === 'kernel' ? formatKernelInsn(insn) : formatConformanceInsn(insn);
}

/**
 * Assembles a program. Both syntaxes take labels (`name:`) as jump and call
 * targets, relative targets, and the raw escape `.insn`. The kernel syntax
 * also reads verifier-log lines (`3: (07) r0 += 1 ; R0_w=1`). Throws a
 * {@link BpfError} (EINVAL) naming the line on bad input.
 *
 * @example
 * assemble('r0 = 0\nexit'); // [mov64Imm(R0, 0), exit()]
 * assemble('mov %r0, 0\nexit', { syntax: 'conformance' });
 */
export function assemble(text: string, options: AssembleOptions = {}): Insn[] {
  if (typeof text !== 'string') throw asmError('asm:bad-input', 'assembler input must be a string');
  return assembleLines(text, syntaxOf(options.syntax) === 'kernel' ? kernelParser : conformanceParser);
}

/**
 * One line per instruction: assemblable text, or with `log` the verifier's
 * `N: (code) text` lines (N counts 8-byte slots).
 *
 * @example
 * disassemble([mov64Imm(R0, 0), exit()]); // 'r0 = 0\nexit'
 * disassemble([mov64Imm(R0, 0), exit()], { log: true }); // '0: (b7) r0 = 0\n1: (95) exit'
 */
export function disassemble(insns: readonly Insn[], options: DisassembleOptions = {}): string {
  const syntax = syntaxOf(options.syntax);
  const lines: string[] = [];
  if (options.log !== undefined && options.log !== false) {
    if (syntax !== 'kernel') throw asmError('asm:bad-option', 'the log form exists only in the kernel syntax');
    const logOptions = options.log === true ? {} : options.log;
    let pc = 0;
    for (const insn of insns) {
      lines.push(formatLogLine(insn, pc, logOptions));
      pc += insnSlots(insn);
    }
    return lines.join('\n');
  }
  for (const insn of insns) lines.push(formatInsn(insn, { syntax }));
  return lines.join('\n');
}
