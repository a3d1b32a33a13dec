import { imm64, type Insn, insnEquals, isPlainLdImm64 } from '../insn.js';
import {
  BPF_ABS, BPF_ADD, BPF_ALU, BPF_ALU64, BPF_AND, BPF_ATOMIC, BPF_CALL, BPF_CMPXCHG, BPF_DIV, BPF_END, BPF_EXIT,
  BPF_FETCH, BPF_IND, BPF_JA, BPF_JMP, BPF_JMP32, BPF_LD, BPF_LD_IMM64, BPF_LDX, BPF_MEM, BPF_MEMSX, BPF_MOD, BPF_MOV,
  BPF_NEG, BPF_OR, BPF_PSEUDO_CALL, BPF_PSEUDO_KFUNC_CALL, BPF_ST, BPF_STX, BPF_TO_BE, BPF_W, BPF_X, BPF_XCHG, BPF_XOR,
  BPF_DW, bpfClass, bpfMode, bpfOp, bpfSize, bpfSrc,
} from '../opcodes.js';
import { formatRaw } from '../text/raw.js';
import { settle } from '../text/statement.js';
import { insnKey, Memo } from '../text/memo.js';
import { parseConformanceInsn } from './parse.js';

const ALU_NAMES: readonly (string | undefined)[] = [
  'add', 'sub', 'mul', 'div', 'or', 'and', 'lsh', 'rsh', 'neg', 'mod', 'xor', 'mov', 'arsh', undefined, undefined, undefined,
];
const JMP_NAMES: readonly (string | undefined)[] = [
  undefined, 'jeq', 'jgt', 'jge', 'jset', 'jne', 'jsgt', 'jsge', undefined, undefined, 'jlt', 'jle', 'jslt', 'jsle', undefined, undefined,
];
const SIZE_NAMES: readonly string[] = ['w', 'h', 'b', 'dw'];

function r(n: number): string {
  return `%r${String(n)}`;
}
function rel(n: number): string {
  return n < 0 ? String(n) : `+${String(n)}`;
}
function mem(reg: number, off: number): string {
  return `[${r(reg)}${off < 0 ? String(off) : `+${String(off)}`}]`;
}

function candidate(insn: Insn): string | undefined {
  const cls = bpfClass(insn.code);
  const op = bpfOp(insn.code);
  const size = SIZE_NAMES[bpfSize(insn.code) >> 3] ?? 'w';
  switch (cls) {
    case BPF_ALU:
    case BPF_ALU64: {
      const sfx = cls === BPF_ALU ? '32' : '';
      if (op === BPF_END) {
        if (cls === BPF_ALU64) return `bswap${String(insn.imm)} ${r(insn.dst)}`;
        return `${bpfSrc(insn.code) === BPF_TO_BE ? 'be' : 'le'}${String(insn.imm)} ${r(insn.dst)}`;
      }
      if (op === BPF_NEG) return `neg${sfx} ${r(insn.dst)}`;
      if (op === BPF_MOV && bpfSrc(insn.code) === BPF_X && insn.off !== 0) {
        return `movsx${String(insn.off)}${cls === BPF_ALU ? '32' : '64'} ${r(insn.dst)}, ${r(insn.src)}`;
      }
      let name = ALU_NAMES[op >> 4];
      if (name === undefined) return undefined;
      if ((op === BPF_DIV || op === BPF_MOD) && insn.off === 1) name = `s${name}`;
      const rhs = bpfSrc(insn.code) === BPF_X ? r(insn.src) : String(insn.imm);
      return `${name}${sfx} ${r(insn.dst)}, ${rhs}`;
    }
    case BPF_LDX: {
      const mode = bpfMode(insn.code);
      if (mode !== BPF_MEM && mode !== BPF_MEMSX) return undefined;
      return `ldx${mode === BPF_MEMSX ? 's' : ''}${size} ${r(insn.dst)}, ${mem(insn.src, insn.off)}`;
    }
    case BPF_ST:
      return `st${size} ${mem(insn.dst, insn.off)}, ${String(insn.imm)}`;
    case BPF_STX: {
      if (bpfMode(insn.code) === BPF_MEM) return `stx${size} ${mem(insn.dst, insn.off)}, ${r(insn.src)}`;
      if (bpfMode(insn.code) !== BPF_ATOMIC) return undefined;
      const w = bpfSize(insn.code) === BPF_W ? '32' : bpfSize(insn.code) === BPF_DW ? '' : undefined;
      if (w === undefined) return undefined;
      const operands = `${mem(insn.dst, insn.off)}, ${r(insn.src)}`;
      if (insn.imm === BPF_XCHG) return `lock xchg${w} ${operands}`;
      if (insn.imm === BPF_CMPXCHG) return `lock cmpxchg${w} ${operands}`;
      const base = insn.imm & ~BPF_FETCH;
      const name = { [BPF_ADD]: 'add', [BPF_OR]: 'or', [BPF_AND]: 'and', [BPF_XOR]: 'xor' }[base];
      if (name === undefined) return undefined;
      return `lock ${insn.imm & BPF_FETCH ? 'fetch ' : ''}${name}${w} ${operands}`;
    }
    case BPF_LD: {
      if (insn.code === BPF_LD_IMM64) return `lddw ${r(insn.dst)}, 0x${imm64(insn).toString(16)}`;
      if (bpfMode(insn.code) === BPF_ABS) return `ldabs${size} ${String(insn.imm)}`;
      if (bpfMode(insn.code) === BPF_IND) return `ldind${size} ${r(insn.src)}, ${String(insn.imm)}`;
      return undefined;
    }
    default:
      return jump(insn);
  }
}

function jump(insn: Insn): string | undefined {
  const cls = bpfClass(insn.code);
  const op = bpfOp(insn.code);
  if (insn.code === (BPF_JMP | BPF_EXIT)) return 'exit';
  if (insn.code === (BPF_JMP | BPF_JA)) return `ja ${rel(insn.off)}`;
  if (insn.code === (BPF_JMP32 | BPF_JA)) return `ja32 ${rel(insn.imm)}`;
  if (insn.code === (BPF_JMP | BPF_CALL)) {
    if (insn.src === BPF_PSEUDO_CALL) return `call local ${rel(insn.imm)}`;
    if (insn.src === BPF_PSEUDO_KFUNC_CALL) return `call runtime ${String(insn.imm)}`;
    return `call ${String(insn.imm)}`;
  }
  if (insn.code === (BPF_JMP | BPF_CALL | BPF_X)) return `call ${r(insn.dst)}`;
  const name = JMP_NAMES[op >> 4];
  if (name === undefined) return undefined;
  const sfx = cls === BPF_JMP32 ? '32' : '';
  const rhs = bpfSrc(insn.code) === BPF_X ? r(insn.src) : String(insn.imm);
  return `${name}${sfx} ${r(insn.dst)}, ${rhs}, ${rel(insn.off)}`;
}

/**
 * One instruction in the conformance (uBPF / bpf_conformance) dialect, e.g.
 * `ldxw %r0, [%r1+4]`. Encodings the dialect cannot spell (reserved fields,
 * pseudo loads, may_goto, addr_space_cast…) are written as `.insn 0x…`.
 */
export function formatConformanceInsn(insn: Insn): string {
  // Plain 64-bit constants are always canonical and rarely repeat: no check, no cache.
  if (isPlainLdImm64(insn)) return `lddw ${r(insn.dst)}, 0x${imm64(insn).toString(16)}`;
  return memo.get(insnKey(insn), () => uncached(insn));
}

const memo = new Memo<string>();

function uncached(insn: Insn): string {
  const text = candidate(insn);
  if (text !== undefined) {
    try {
      const back = settle(parseConformanceInsn(text));
      if (back !== undefined && insnEquals(back, insn)) return text;
    } catch {
      // falls back to the raw form below
    }
  }
  return formatRaw(insn);
}
