import { asmError } from '../errors.js';
import { type Insn, secondSlot } from '../insn.js';
import {
  BPF_ABS, BPF_ADD, BPF_ALU, BPF_ALU64, BPF_AND, BPF_ARSH, BPF_ATOMIC, BPF_B, BPF_CALL, BPF_CMPXCHG, BPF_DIV, BPF_DW,
  BPF_END, BPF_EXIT, BPF_FETCH, BPF_H, BPF_IND, BPF_JA, BPF_JEQ, BPF_JGE, BPF_JGT, BPF_JLE, BPF_JLT, BPF_JMP, BPF_JMP32,
  BPF_JNE, BPF_JSET, BPF_JSGE, BPF_JSGT, BPF_JSLE, BPF_JSLT, BPF_K, BPF_LD, BPF_LD_IMM64, BPF_LDX, BPF_LSH, BPF_MEM,
  BPF_MEMSX, BPF_MOD, BPF_MOV, BPF_MUL, BPF_NEG, BPF_OR, BPF_PSEUDO_CALL, BPF_PSEUDO_KFUNC_CALL, BPF_RSH, BPF_ST, BPF_STX,
  BPF_SUB, BPF_TO_BE, BPF_TO_LE, BPF_W, BPF_X, BPF_XCHG, BPF_XOR,
} from '../opcodes.js';
import { parseImm32, parseImm64, parseOff16 } from '../text/numbers.js';
import type { LineParser } from '../text/program.js';
import { parseRaw, RAW_DIRECTIVE } from '../text/raw.js';
import { LABEL, type Statement, type Target } from '../text/statement.js';

const ALU: Readonly<Record<string, readonly [number, number]>> = {
  add: [BPF_ADD, 0], sub: [BPF_SUB, 0], mul: [BPF_MUL, 0], div: [BPF_DIV, 0], sdiv: [BPF_DIV, 1], or: [BPF_OR, 0],
  and: [BPF_AND, 0], lsh: [BPF_LSH, 0], rsh: [BPF_RSH, 0], mod: [BPF_MOD, 0], smod: [BPF_MOD, 1], xor: [BPF_XOR, 0],
  mov: [BPF_MOV, 0], arsh: [BPF_ARSH, 0],
};
const JMP: Readonly<Record<string, number>> = {
  jeq: BPF_JEQ, jgt: BPF_JGT, jge: BPF_JGE, jset: BPF_JSET, jne: BPF_JNE, jsgt: BPF_JSGT, jsge: BPF_JSGE,
  jlt: BPF_JLT, jle: BPF_JLE, jslt: BPF_JSLT, jsle: BPF_JSLE,
};
const SIZE: Readonly<Record<string, number>> = { b: BPF_B, h: BPF_H, w: BPF_W, dw: BPF_DW };
const LOCK_ALU: Readonly<Record<string, number>> = { add: BPF_ADD, or: BPF_OR, and: BPF_AND, xor: BPF_XOR };

function insn(code: number, dst: number, src: number, off: number, imm: number): Insn {
  return { code, dst, src, off, imm };
}

function reg(text: string | undefined): number {
  const t = (text ?? '').trim();
  const m = /^%r(\d{1,2})$/.exec(t);
  const n = Number(m?.[1] ?? -1);
  if (m === null || n > 15) throw asmError('asm:bad-register', `invalid register '${t}'`);
  return n;
}

function isReg(text: string): boolean {
  return text.trim().startsWith('%');
}

function mem(text: string | undefined): { reg: number; off: number } {
  const t = (text ?? '').replace(/\s+/g, '');
  const m = /^\[(%[^+\-\]]+)(?:([+-])(.+))?\]$/.exec(t);
  if (m === null) throw asmError('asm:syntax', `expected a memory operand [%rX+off], got '${t}'`);
  const off = m[3] === undefined ? 0 : parseOff16(`${m[2] === '-' ? '-' : ''}${m[3]}`, 'memory offset');
  return { reg: reg(m[1]), off };
}

function target(text: string | undefined): Target {
  const t = (text ?? '').trim();
  const m = /^([+-])(0x[0-9a-fA-F]+|\d+)$/.exec(t);
  if (m !== null) return { kind: 'rel', delta: (m[1] === '-' ? -1 : 1) * Number(BigInt(m[2] ?? '0')) };
  if (LABEL.test(t)) return { kind: 'label', name: t };
  throw asmError('asm:syntax', `bad jump target '${t}'`);
}

function operands(text: string): string[] {
  return text.trim() === '' ? [] : text.split(',').map((s) => s.trim());
}

function arity(mnemonic: string, ops: readonly string[], n: number): void {
  if (ops.length !== n) {
    throw asmError('asm:operand-count', `'${mnemonic}' takes ${String(n)} operand${n === 1 ? '' : 's'}, got ${String(ops.length)}`);
  }
}

function parseLock(rest: string): Statement {
  let body = rest.trim();
  const fetch = /^fetch(\s|$)/.test(body);
  if (fetch) body = body.slice('fetch'.length).trim();
  const space = body.search(/\s/);
  const opWord = space < 0 ? body : body.slice(0, space);
  const ops = operands(space < 0 ? '' : body.slice(space + 1));
  if (opWord === '' || ops.length !== 2) {
    throw asmError('asm:operand-count', 'Invalid number of operands for lock: expected lock [fetch] <op>[32] [%rX+off], %rY');
  }
  const m = /^(add|or|and|xor|xchg|cmpxchg)(32)?$/.exec(opWord);
  if (m === null) throw asmError('asm:syntax', `unknown lock operation '${opWord}'`);
  const op = m[1] ?? 'add';
  if (fetch && (op === 'xchg' || op === 'cmpxchg')) throw asmError('asm:syntax', `'lock fetch ${op}': ${op} always fetches`);
  const size = m[2] === '32' ? BPF_W : BPF_DW;
  const { reg: dst, off } = mem(ops[0]);
  const src = reg(ops[1]);
  let imm: number;
  if (op === 'xchg') imm = BPF_XCHG;
  else if (op === 'cmpxchg') imm = BPF_CMPXCHG;
  else imm = (LOCK_ALU[op] ?? BPF_ADD) | (fetch ? BPF_FETCH : 0);
  return { insn: insn(BPF_STX | BPF_ATOMIC | size, dst, src, off, imm) };
}

function parseCall(ops: readonly string[], labels: ReadonlySet<string>): Statement {
  const first = ops[0] ?? '';
  const words = first.split(/\s+/);
  const base = insn(BPF_JMP | BPF_CALL, 0, 0, 0, 0);
  if (ops.length !== 1) throw asmError('asm:operand-count', `'call' takes 1 operand, got ${String(ops.length)}`);
  if (words[0] === 'local' && words.length === 2) {
    const to = target(words[1]);
    if (to.kind === 'label' && !labels.has(to.name)) throw asmError('asm:undefined-label', `undefined label '${to.name}'`);
    return { insn: { ...base, src: BPF_PSEUDO_CALL }, target: { field: 'imm', to } };
  }
  if (words[0] === 'runtime' && words.length === 2) return { insn: { ...base, src: BPF_PSEUDO_KFUNC_CALL, imm: parseImm32(words[1] ?? '', 'kfunc id') } };
  if (words.length === 1 && isReg(first)) return { insn: insn(BPF_JMP | BPF_CALL | BPF_X, reg(first), 0, 0, 0) };
  if (words.length === 1) return { insn: { ...base, imm: parseImm32(first, 'helper id') } };
  throw asmError('asm:syntax', `bad call operand '${first}'`);
}

/** Parses one instruction of the conformance (uBPF / bpf_conformance) dialect. */
export function parseConformanceInsn(line: string, labels: ReadonlySet<string> = new Set()): Statement {
  const text = line.trim();
  const space = text.search(/\s/);
  const mnemonic = (space < 0 ? text : text.slice(0, space)).toLowerCase();
  const rest = space < 0 ? '' : text.slice(space + 1);
  if (mnemonic === RAW_DIRECTIVE) return { insn: parseRaw(rest) };
  if (mnemonic === 'lock') return parseLock(rest);
  const ops = operands(rest);
  if (mnemonic === 'exit') {
    arity(mnemonic, ops, 0);
    return { insn: insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0) };
  }
  if (mnemonic === 'call') return parseCall(ops, labels);
  if (mnemonic === 'ja' || mnemonic === 'ja32') {
    arity(mnemonic, ops, 1);
    const to = target(ops[0]);
    return mnemonic === 'ja'
      ? { insn: insn(BPF_JMP | BPF_JA, 0, 0, 0, 0), target: { field: 'off', to } }
      : { insn: insn(BPF_JMP32 | BPF_JA, 0, 0, 0, 0), target: { field: 'imm', to } };
  }
  if (mnemonic === 'lddw') {
    arity(mnemonic, ops, 2);
    const v = parseImm64(ops[1] ?? '');
    return { insn: { ...insn(BPF_LD_IMM64, reg(ops[0]), 0, 0, Number(v & 0xffffffffn) | 0), second: secondSlot(Number(v >> 32n)) } };
  }
  let m: RegExpExecArray | null;
  if ((m = /^j(eq|gt|ge|set|ne|sgt|sge|lt|le|slt|sle)(32)?$/.exec(mnemonic)) !== null) {
    arity(mnemonic, ops, 3);
    const cls = m[2] === '32' ? BPF_JMP32 : BPF_JMP;
    const op = JMP[`j${m[1] ?? ''}`] ?? BPF_JEQ;
    const to = target(ops[2]);
    const rhs = ops[1] ?? '';
    const i = isReg(rhs)
      ? insn(cls | op | BPF_X, reg(ops[0]), reg(rhs), 0, 0)
      : insn(cls | op | BPF_K, reg(ops[0]), 0, 0, parseImm32(rhs));
    return { insn: i, target: { field: 'off', to } };
  }
  if ((m = /^(le|be|bswap|swap)(16|32|64)$/.exec(mnemonic)) !== null) {
    arity(mnemonic, ops, 1);
    const kind = m[1];
    const code = kind === 'le' ? BPF_ALU | BPF_END | BPF_TO_LE : kind === 'be' ? BPF_ALU | BPF_END | BPF_TO_BE : BPF_ALU64 | BPF_END | BPF_TO_LE;
    return { insn: insn(code, reg(ops[0]), 0, 0, Number(m[2])) };
  }
  if ((m = /^movsx(8|16|32)(32|64)$/.exec(mnemonic)) !== null) {
    arity(mnemonic, ops, 2);
    const bits = Number(m[1]);
    const is64 = m[2] === '64';
    if (!is64 && bits === 32) throw asmError('asm:syntax', `unknown mnemonic '${mnemonic}'`);
    return { insn: insn((is64 ? BPF_ALU64 : BPF_ALU) | BPF_MOV | BPF_X, reg(ops[0]), reg(ops[1]), bits, 0) };
  }
  if ((m = /^neg(32|64)?$/.exec(mnemonic)) !== null) {
    arity(mnemonic, ops, 1);
    return { insn: insn((m[1] === '32' ? BPF_ALU : BPF_ALU64) | BPF_NEG | BPF_K, reg(ops[0]), 0, 0, 0) };
  }
  if ((m = /^(add|sub|mul|div|sdiv|or|and|lsh|rsh|mod|smod|xor|mov|arsh)(32|64)?$/.exec(mnemonic)) !== null) {
    arity(mnemonic, ops, 2);
    const [op, off] = ALU[m[1] ?? 'add'] ?? [BPF_ADD, 0];
    const cls = m[2] === '32' ? BPF_ALU : BPF_ALU64;
    const rhs = ops[1] ?? '';
    return {
      insn: isReg(rhs) ? insn(cls | op | BPF_X, reg(ops[0]), reg(rhs), off, 0) : insn(cls | op | BPF_K, reg(ops[0]), 0, off, parseImm32(rhs)),
    };
  }
  if ((m = /^ldx(s)?(b|h|w|dw)$/.exec(mnemonic)) !== null) {
    arity(mnemonic, ops, 2);
    if (m[1] === 's' && m[2] === 'dw') throw asmError('asm:syntax', `unknown mnemonic '${mnemonic}'`);
    const { reg: src, off } = mem(ops[1]);
    return { insn: insn(BPF_LDX | (m[1] === 's' ? BPF_MEMSX : BPF_MEM) | (SIZE[m[2] ?? 'w'] ?? BPF_W), reg(ops[0]), src, off, 0) };
  }
  if ((m = /^st(x)?(b|h|w|dw)$/.exec(mnemonic)) !== null) {
    arity(mnemonic, ops, 2);
    const { reg: dst, off } = mem(ops[0]);
    const size = SIZE[m[2] ?? 'w'] ?? BPF_W;
    return {
      insn: m[1] === 'x' ? insn(BPF_STX | BPF_MEM | size, dst, reg(ops[1]), off, 0) : insn(BPF_ST | BPF_MEM | size, dst, 0, off, parseImm32(ops[1] ?? '')),
    };
  }
  if ((m = /^ld(abs|ind)(b|h|w|dw)$/.exec(mnemonic)) !== null) {
    const size = SIZE[m[2] ?? 'w'] ?? BPF_W;
    if (m[1] === 'abs') {
      arity(mnemonic, ops, 1);
      return { insn: insn(BPF_LD | BPF_ABS | size, 0, 0, 0, parseImm32(ops[0] ?? '')) };
    }
    arity(mnemonic, ops, 2);
    return { insn: insn(BPF_LD | BPF_IND | size, 0, reg(ops[0]), 0, parseImm32(ops[1] ?? '')) };
  }
  throw asmError('asm:unknown-mnemonic', `unknown mnemonic '${mnemonic}'`);
}

/** The conformance dialect as a {@link LineParser}; `#` starts a comment. */
export const conformanceParser: LineParser = {
  stripComment: (line) => {
    const hash = line.indexOf('#');
    return (hash >= 0 ? line.slice(0, hash) : line).trim();
  },
  parse: parseConformanceInsn,
  implicitExitLabel: true,
};
