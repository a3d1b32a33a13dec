import { bpfFuncId } from '@bpfkit/uapi';
import { asmError } from '../errors.js';
import { type Insn, secondSlot } from '../insn.js';
import {
  BPF_ABS, BPF_ADD, BPF_ADDR_SPACE_CAST, BPF_ALU, BPF_ALU64, BPF_AND, BPF_ARSH, BPF_ATOMIC, BPF_B, BPF_CALL, BPF_CMPXCHG,
  BPF_DIV, BPF_DW, BPF_END, BPF_EXIT, BPF_FETCH, BPF_H, BPF_IND, BPF_JA, BPF_JCOND, BPF_JEQ, BPF_JGE, BPF_JGT, BPF_JLE,
  BPF_JLT, BPF_JMP, BPF_JMP32, BPF_JNE, BPF_JSET, BPF_JSGE, BPF_JSGT, BPF_JSLE, BPF_JSLT, BPF_K, BPF_LD, BPF_LD_IMM64,
  BPF_LDX, BPF_LOAD_ACQ, BPF_LSH, BPF_MEM, BPF_MEMSX, BPF_MOD, BPF_MOV, BPF_MUL, BPF_NEG, BPF_NOSPEC, BPF_OR,
  BPF_PSEUDO_BTF_ID, BPF_PSEUDO_CALL, BPF_PSEUDO_FUNC, BPF_PSEUDO_KFUNC_CALL, BPF_PSEUDO_MAP_FD, BPF_PSEUDO_MAP_IDX,
  BPF_PSEUDO_MAP_IDX_VALUE, BPF_PSEUDO_MAP_VALUE, BPF_RSH, BPF_ST, BPF_STORE_REL, BPF_STX, BPF_SUB, BPF_TO_BE, BPF_TO_LE,
  BPF_W, BPF_X, BPF_XCHG, BPF_XOR,
} from '../opcodes.js';
import { parseImm32, parseImm64, parseOff16, parseUnsigned } from '../text/numbers.js';
import type { LineParser } from '../text/program.js';
import { parseRaw, RAW_DIRECTIVE } from '../text/raw.js';
import { LABEL, type Statement, type Target } from '../text/statement.js';

const ALU_OPS: Readonly<Record<string, readonly [number, number]>> = {
  '+': [BPF_ADD, 0], '-': [BPF_SUB, 0], '*': [BPF_MUL, 0], '/': [BPF_DIV, 0], '|': [BPF_OR, 0], '&': [BPF_AND, 0],
  '<<': [BPF_LSH, 0], '>>': [BPF_RSH, 0], '%': [BPF_MOD, 0], '^': [BPF_XOR, 0], 's>>': [BPF_ARSH, 0],
  's/': [BPF_DIV, 1], 's%': [BPF_MOD, 1],
};
const JMP_OPS: Readonly<Record<string, number>> = {
  '==': BPF_JEQ, '!=': BPF_JNE, '>': BPF_JGT, '>=': BPF_JGE, '<': BPF_JLT, '<=': BPF_JLE, '&': BPF_JSET,
  's>': BPF_JSGT, 's>=': BPF_JSGE, 's<': BPF_JSLT, 's<=': BPF_JSLE,
};
const ATOMIC_ALU: Readonly<Record<string, number>> = { add: BPF_ADD, and: BPF_AND, or: BPF_OR, xor: BPF_XOR };
const SIZES: Readonly<Record<string, number>> = { 8: BPF_B, 16: BPF_H, 32: BPF_W, 64: BPF_DW };

const NUM = '([+-]?(?:0x[0-9a-fA-F]+|\\d+))';
const REG = '([rw]\\d+)';
const TYPE = '\\(([us](?:8|16|32|64)) ?\\*\\)';
const MEM = '\\(([rw]\\d+)(?: ?([+-]) ?(0x[0-9a-fA-F]+|\\d+))?\\)';
const TARGET = '(\\S+)';

function re(pattern: string): RegExp {
  return new RegExp(`^${pattern}$`);
}

const R_EXIT = /^exit$/;
const R_GOTO = re(`(goto|gotol|may_goto) ${TARGET}`);
const R_CALLX = re(`callx ${REG}`);
const R_CALL = re('call (.+)');
const R_IF = re(`if ${REG} (==|!=|>=|<=|>|<|&|s>=|s<=|s>|s<) (\\S+) goto ${TARGET}`);
const R_LOCK = re(`lock \\*${TYPE}${MEM} (\\+|\\||&|\\^)= ${REG}`);
const R_STORE = re(`\\*${TYPE}${MEM} = (\\S+)`);
const R_STORE_REL = re(`store_release\\(${TYPE}${MEM}, ${REG}\\)`);
const R_ALU = re(`${REG} (\\+|-|\\*|/|\\||&|<<|>>|%|\\^|s>>|s/|s%)= (\\S+)`);
const R_ASSIGN = re(`${REG} = (.+)`);

const V_LOAD = re(`\\*${TYPE}${MEM}`);
const V_ABS = re(`\\*${TYPE}skb\\[${NUM}\\]`);
const V_IND = re(`\\*${TYPE}skb\\[${REG} \\+ ${NUM}\\]`);
const V_FETCH = re(`atomic(64)?_fetch_(add|and|or|xor)\\(${TYPE}${MEM}, ${REG}\\)`);
const V_XCHG = re(`atomic(64)?_xchg\\(${TYPE}${MEM}, ${REG}\\)`);
const V_CMPXCHG = re(`atomic(64)?_cmpxchg\\(${TYPE}${MEM}, ([rw]0), ${REG}\\)`);
const V_LOAD_ACQ = re(`load_acquire\\(${TYPE}${MEM}\\)`);
const V_CAST = re(`addr_space_cast\\(${REG}, ${NUM}, ${NUM}\\)`);
const V_END = re(`(be|le|bswap)(\\d+) ${REG}`);
const V_NEG = re(`-${REG}`);
const V_MOVSX = re(`\\((s8|s16|s32)\\) ?${REG}`);
const V_REG = re(REG);
const V_LL = re(`${NUM} ll`);
const V_MAP = re(`map\\[(fd|idx):${NUM}\\](?:\\[0\\]\\+${NUM})?`);
const V_BTF = re(`btf\\[id:${NUM}\\]`);
const V_SUBPROG = re(`subprog\\[${TARGET}\\]`);
const V_IMM = re(NUM);

interface Reg {
  readonly n: number;
  readonly wide: boolean;
}

function reg(text: string | undefined): Reg {
  const t = text ?? '';
  const n = Number(t.slice(1));
  if (!/^[rw]\d{1,2}$/.test(t) || n > 15) throw asmError('asm:bad-register', `invalid register '${t}'`);
  return { n, wide: t.startsWith('r') };
}

function g(m: RegExpExecArray, i: number): string {
  return m[i] ?? '';
}

function memOff(sign: string | undefined, value: string | undefined): number {
  if (value === undefined || value === '') return 0;
  return parseOff16(`${sign === '-' ? '-' : ''}${value}`, 'memory offset');
}

function typeSize(t: string): { size: number; signed: boolean } {
  const size = SIZES[t.slice(1)];
  if (size === undefined) throw asmError('asm:syntax', `unknown type '${t}'`);
  return { size, signed: t.startsWith('s') };
}

function unsignedType(t: string): number {
  const { size, signed } = typeSize(t);
  if (signed) throw asmError('asm:syntax', `'${t}' is not allowed here`);
  return size;
}

function target(text: string): Target {
  const m = /^(?:pc)?([+-](?:0x[0-9a-fA-F]+|\d+))$/.exec(text);
  if (m !== null) {
    const sign = (m[1] ?? '').startsWith('-') ? -1 : 1;
    return { kind: 'rel', delta: sign * Number(BigInt((m[1] ?? '').slice(1))) };
  }
  if (LABEL.test(text)) return { kind: 'label', name: text };
  throw asmError('asm:syntax', `bad jump target '${text}'`);
}

function insn(code: number, dst: number, src: number, off: number, imm: number): Insn {
  return { code, dst, src, off, imm };
}

function stmt(i: Insn, field?: 'off' | 'imm', to?: Target): Statement {
  return field === undefined || to === undefined ? { insn: i } : { insn: i, target: { field, to } };
}

function ldImm64(dst: number, src: number, lo: number, hi: number): Insn {
  return { code: BPF_LD_IMM64, dst, src, off: 0, imm: lo | 0, second: secondSlot(hi) };
}

function sameReg(a: Reg, b: Reg, what: string): void {
  if (a.n !== b.n) throw asmError('asm:syntax', `${what} needs the same register on both sides`);
}

function parseCall(arg: string, labels: ReadonlySet<string>): Statement {
  const base = insn(BPF_JMP | BPF_CALL, 0, 0, 0, 0);
  if (/^pc[+-]/.test(arg)) return stmt({ ...base, src: BPF_PSEUDO_CALL }, 'imm', target(arg));
  const named = /^([A-Za-z_][\w-]*)#(-?\d+)$/.exec(arg);
  if (named !== null) {
    const name = g(named, 1);
    const imm = parseImm32(g(named, 2), 'call id');
    if (name === 'unknown') return stmt({ ...base, imm });
    if (name === 'kernel-function') return stmt({ ...base, src: BPF_PSEUDO_KFUNC_CALL, imm });
    const helper = name === 'bpf_unspec' ? 0 : bpfFuncId(name);
    // A name that is not this helper's is a kfunc named from BTF, as the verifier log prints them.
    return stmt(helper === imm && name.startsWith('bpf_') ? { ...base, imm } : { ...base, src: BPF_PSEUDO_KFUNC_CALL, imm });
  }
  if (/^[+-]?(0x[0-9a-fA-F]+|\d+)$/.test(arg)) return stmt({ ...base, imm: parseImm32(arg, 'helper id') });
  if (labels.has(arg)) return stmt({ ...base, src: BPF_PSEUDO_CALL }, 'imm', { kind: 'label', name: arg });
  const id = bpfFuncId(arg);
  if (id === undefined) throw asmError('asm:unknown-helper', `unknown helper or label '${arg}'`);
  return stmt({ ...base, imm: id });
}

function parseAssign(dst: Reg, value: string, hint: number | undefined, labels: ReadonlySet<string>): Statement {
  let m: RegExpExecArray | null;
  if ((m = V_LOAD.exec(value)) !== null) {
    const { size, signed } = typeSize(g(m, 1));
    if (signed && size === BPF_DW) throw asmError('asm:syntax', 'there is no 64-bit sign-extending load');
    return stmt(insn(BPF_LDX | (signed ? BPF_MEMSX : BPF_MEM) | size, dst.n, reg(m[2]).n, memOff(m[3], m[4]), 0));
  }
  if ((m = V_ABS.exec(value)) !== null) {
    return stmt(insn(BPF_LD | BPF_ABS | unsignedType(g(m, 1)), dst.n, 0, 0, parseImm32(g(m, 2))));
  }
  if ((m = V_IND.exec(value)) !== null) {
    return stmt(insn(BPF_LD | BPF_IND | unsignedType(g(m, 1)), dst.n, reg(m[2]).n, 0, parseImm32(g(m, 3))));
  }
  if ((m = V_FETCH.exec(value)) !== null) {
    const size = atomicSize(m[1], g(m, 3));
    const src = reg(m[7]);
    sameReg(dst, src, 'atomic fetch');
    return stmt(insn(BPF_STX | BPF_ATOMIC | size, reg(m[4]).n, src.n, memOffOf(m, 5), (ATOMIC_ALU[g(m, 2)] ?? 0) | BPF_FETCH));
  }
  if ((m = V_XCHG.exec(value)) !== null) {
    const size = atomicSize(m[1], g(m, 2));
    const src = reg(m[6]);
    sameReg(dst, src, 'atomic xchg');
    return stmt(insn(BPF_STX | BPF_ATOMIC | size, reg(m[3]).n, src.n, memOffOf(m, 4), BPF_XCHG));
  }
  if ((m = V_CMPXCHG.exec(value)) !== null) {
    const size = atomicSize(m[1], g(m, 2));
    if (dst.n !== 0) throw asmError('asm:syntax', 'cmpxchg leaves its result in r0');
    return stmt(insn(BPF_STX | BPF_ATOMIC | size, reg(m[3]).n, reg(m[7]).n, memOffOf(m, 4), BPF_CMPXCHG));
  }
  if ((m = V_LOAD_ACQ.exec(value)) !== null) {
    return stmt(insn(BPF_STX | BPF_ATOMIC | unsignedType(g(m, 1)), dst.n, reg(m[2]).n, memOffOf(m, 3), BPF_LOAD_ACQ));
  }
  if ((m = V_CAST.exec(value)) !== null) {
    const hi = parseUnsigned(g(m, 2), 0x10000, 'address space');
    const lo = parseUnsigned(g(m, 3), 0x10000, 'address space');
    return stmt(insn(BPF_ALU64 | BPF_MOV | BPF_X, dst.n, reg(m[1]).n, BPF_ADDR_SPACE_CAST, ((hi << 16) | lo) | 0));
  }
  if ((m = V_END.exec(value)) !== null) {
    sameReg(dst, reg(m[3]), 'byte swap');
    const kind = g(m, 1);
    const code = kind === 'bswap' ? BPF_ALU64 | BPF_END | BPF_TO_LE : BPF_ALU | BPF_END | (kind === 'be' ? BPF_TO_BE : BPF_TO_LE);
    return stmt(insn(code, dst.n, 0, 0, parseImm32(g(m, 2), 'swap width')));
  }
  if ((m = V_NEG.exec(value)) !== null) {
    const src = reg(m[1]);
    sameReg(dst, src, 'neg');
    return stmt(insn((dst.wide ? BPF_ALU64 : BPF_ALU) | BPF_NEG | BPF_K, dst.n, 0, 0, 0));
  }
  if ((m = V_MOVSX.exec(value)) !== null) {
    const bits = Number(g(m, 1).slice(1));
    return stmt(insn((dst.wide ? BPF_ALU64 : BPF_ALU) | BPF_MOV | BPF_X, dst.n, reg(m[2]).n, bits, 0));
  }
  if ((m = V_REG.exec(value)) !== null) {
    return stmt(insn((dst.wide ? BPF_ALU64 : BPF_ALU) | BPF_MOV | BPF_X, dst.n, reg(m[1]).n, 0, 0));
  }
  const ll = V_LL.exec(value);
  if (ll !== null || (hint === BPF_LD_IMM64 && V_IMM.test(value))) {
    const v = parseImm64(ll === null ? value : g(ll, 1));
    return stmt(ldImm64(dst.n, 0, Number(v & 0xffffffffn), Number(v >> 32n)));
  }
  if ((m = V_MAP.exec(value)) !== null) {
    const byIdx = g(m, 1) === 'idx';
    const withValue = m[3] !== undefined;
    const src = byIdx
      ? withValue ? BPF_PSEUDO_MAP_IDX_VALUE : BPF_PSEUDO_MAP_IDX
      : withValue ? BPF_PSEUDO_MAP_VALUE : BPF_PSEUDO_MAP_FD;
    return stmt(ldImm64(dst.n, src, parseImm32(g(m, 2)), withValue ? parseImm32(g(m, 3), 'value offset') : 0));
  }
  if ((m = V_BTF.exec(value)) !== null) return stmt(ldImm64(dst.n, BPF_PSEUDO_BTF_ID, parseImm32(g(m, 1)), 0));
  if ((m = V_SUBPROG.exec(value)) !== null) {
    const to = target(g(m, 1));
    if (to.kind === 'label' && !labels.has(to.name)) throw asmError('asm:undefined-label', `undefined label '${to.name}'`);
    return stmt(ldImm64(dst.n, BPF_PSEUDO_FUNC, 0, 0), 'imm', to);
  }
  if (V_IMM.test(value)) {
    return stmt(insn((dst.wide ? BPF_ALU64 : BPF_ALU) | BPF_MOV | BPF_K, dst.n, 0, 0, parseImm32(value)));
  }
  throw asmError('asm:syntax', `cannot parse '${value}'`);
}

function memOffOf(m: RegExpExecArray, signIndex: number): number {
  return memOff(m[signIndex], m[signIndex + 1]);
}

function atomicSize(suffix64: string | undefined, type: string): number {
  const size = unsignedType(type);
  if ((suffix64 === '64') !== (size === BPF_DW)) throw asmError('asm:syntax', `atomic${suffix64 ?? ''} does not match ${type}`);
  return size;
}

/** Parses one instruction of the kernel (verifier log / llvm-objdump) syntax. */
export function parseKernelInsn(line: string, labels: ReadonlySet<string> = new Set()): Statement {
  let text = line.replace(/\s+/g, ' ').trim();
  let hint: number | undefined;
  const hinted = /^\(([0-9a-fA-F]{2})\) ?/.exec(text);
  if (hinted !== null) {
    hint = parseInt(g(hinted, 1), 16);
    text = text.slice(hinted[0].length);
  }
  text = text.replace(/ ?<[^>]*>$/, '').replace(/\( /g, '(').replace(/ \)/g, ')');
  if (text.startsWith(`${RAW_DIRECTIVE} `)) return stmt(parseRaw(text.slice(RAW_DIRECTIVE.length + 1)));
  let m: RegExpExecArray | null;
  if (R_EXIT.test(text)) return stmt(insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
  if (text === 'nospec') return stmt(insn(BPF_ST | BPF_NOSPEC, 0, 0, 0, 0));
  if ((m = R_GOTO.exec(text)) !== null) {
    const kind = g(m, 1);
    const to = target(g(m, 2));
    if (kind === 'gotol') return stmt(insn(BPF_JMP32 | BPF_JA, 0, 0, 0, 0), 'imm', to);
    return stmt(insn(BPF_JMP | (kind === 'goto' ? BPF_JA : BPF_JCOND), 0, 0, 0, 0), 'off', to);
  }
  if ((m = R_CALLX.exec(text)) !== null) return stmt(insn(BPF_JMP | BPF_CALL | BPF_X, reg(m[1]).n, 0, 0, 0));
  if ((m = R_CALL.exec(text)) !== null) return parseCall(g(m, 1), labels);
  if ((m = R_IF.exec(text)) !== null) {
    const dst = reg(m[1]);
    const op = JMP_OPS[g(m, 2)] ?? 0;
    const cls = dst.wide ? BPF_JMP : BPF_JMP32;
    const rhs = g(m, 3);
    const to = target(g(m, 4));
    if (/^[rw]\d+$/.test(rhs)) {
      const src = reg(rhs);
      if (src.wide !== dst.wide) throw asmError('asm:syntax', 'mixed 32- and 64-bit registers in a jump');
      return stmt(insn(cls | op | BPF_X, dst.n, src.n, 0, 0), 'off', to);
    }
    return stmt(insn(cls | op | BPF_K, dst.n, 0, 0, parseImm32(rhs)), 'off', to);
  }
  if ((m = R_LOCK.exec(text)) !== null) {
    const op = { '+': BPF_ADD, '|': BPF_OR, '&': BPF_AND, '^': BPF_XOR }[g(m, 5)] ?? BPF_ADD;
    return stmt(insn(BPF_STX | BPF_ATOMIC | unsignedType(g(m, 1)), reg(m[2]).n, reg(m[6]).n, memOffOf(m, 3), op));
  }
  if ((m = R_STORE_REL.exec(text)) !== null) {
    return stmt(insn(BPF_STX | BPF_ATOMIC | unsignedType(g(m, 1)), reg(m[2]).n, reg(m[5]).n, memOffOf(m, 3), BPF_STORE_REL));
  }
  if ((m = R_STORE.exec(text)) !== null) {
    const size = unsignedType(g(m, 1));
    const dst = reg(m[2]).n;
    const off = memOffOf(m, 3);
    const value = g(m, 5);
    if (/^[rw]\d+$/.test(value)) return stmt(insn(BPF_STX | BPF_MEM | size, dst, reg(value).n, off, 0));
    return stmt(insn(BPF_ST | BPF_MEM | size, dst, 0, off, parseImm32(value)));
  }
  if ((m = R_ALU.exec(text)) !== null) {
    const dst = reg(m[1]);
    const [op, off] = ALU_OPS[g(m, 2)] ?? [BPF_ADD, 0];
    const cls = dst.wide ? BPF_ALU64 : BPF_ALU;
    const rhs = g(m, 3);
    if (/^[rw]\d+$/.test(rhs)) {
      const src = reg(rhs);
      if (src.wide !== dst.wide) throw asmError('asm:syntax', 'mixed 32- and 64-bit registers');
      return stmt(insn(cls | op | BPF_X, dst.n, src.n, off, 0));
    }
    return stmt(insn(cls | op | BPF_K, dst.n, 0, off, parseImm32(rhs)));
  }
  if ((m = R_ASSIGN.exec(text)) !== null) return parseAssign(reg(m[1]), g(m, 2), hint, labels);
  throw asmError('asm:syntax', `cannot parse '${text}'`);
}

/** Comments: `;` (what the verifier log appends) and `//`; leading `N:` log or objdump prefixes. */
export function stripKernelComment(line: string): string {
  let text = line;
  const semi = text.indexOf(';');
  if (semi >= 0) text = text.slice(0, semi);
  const slash = text.indexOf('//');
  if (slash >= 0) text = text.slice(0, slash);
  return text.replace(/^\s*\d+:\s*(?:(?:[0-9a-fA-F]{2} ){7}[0-9a-fA-F]{2}\s)?/, '').trim();
}

/** The kernel syntax as a {@link LineParser}. */
export const kernelParser: LineParser = {
  stripComment: stripKernelComment,
  parse: parseKernelInsn,
  implicitExitLabel: false,
};
