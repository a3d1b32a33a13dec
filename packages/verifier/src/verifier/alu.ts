import {
  BPF_ADD, BPF_AND, BPF_ARSH, BPF_DIV, BPF_END, BPF_LSH, BPF_MOD, BPF_MOV, BPF_MUL, BPF_NEG, BPF_OR, BPF_RSH, BPF_SUB, BPF_XOR,
} from '@bpfkit/asm';
import { U64_MAX as U64 } from './tnum.js';

/** `BPF_OP` values of ALU instructions, by their short names. */
export const ADD = BPF_ADD, SUB = BPF_SUB, MUL = BPF_MUL, DIV = BPF_DIV, OR = BPF_OR, AND = BPF_AND, LSH = BPF_LSH, RSH = BPF_RSH,
  NEG = BPF_NEG, MOD = BPF_MOD, XOR = BPF_XOR, MOV = BPF_MOV, ARSH = BPF_ARSH, END = BPF_END;

export const ALU_OP_NAMES: Readonly<Record<number, string>> = {
  [ADD]: '+=', [SUB]: '-=', [MUL]: '*=', [DIV]: '/=', [OR]: '|=', [AND]: '&=', [LSH]: '<<=', [RSH]: '>>=', [NEG]: 'neg',
  [MOD]: '%=', [XOR]: '^=', [MOV]: '=', [ARSH]: 's>>=', [END]: 'endian',
};

function bswap(v: bigint, bytes: number): bigint {
  let out = 0n;
  for (let i = 0; i < bytes; i++) out = (out << 8n) | ((v >> BigInt(8 * i)) & 0xffn);
  return out;
}

/** The value of a constant ALU operation, BPF semantics (x/0 = 0, x%0 = x), or undefined when not computable. */
export function foldConst(o: number, a: bigint, b: bigint, is64: boolean, signed: boolean, insnImm: number, toBe: boolean): bigint {
  const bits = is64 ? 64 : 32;
  const mask = is64 ? U64 : 0xffffffffn;
  const ua = a & mask, ub = b & mask;
  const sa = BigInt.asIntN(bits, ua), sb = BigInt.asIntN(bits, ub);
  let r: bigint;
  switch (o) {
    case ADD: r = ua + ub; break;
    case SUB: r = ua - ub; break;
    case MUL: r = ua * ub; break;
    case DIV: r = ub === 0n ? 0n : signed ? sa / sb : ua / ub; break;
    case MOD: r = ub === 0n ? ua : signed ? sa % sb : ua % ub; break;
    case OR: r = ua | ub; break;
    case AND: r = ua & ub; break;
    case XOR: r = ua ^ ub; break;
    case LSH: r = ua << (ub & BigInt(bits - 1)); break;
    case RSH: r = ua >> (ub & BigInt(bits - 1)); break;
    case ARSH: r = sa >> (ub & BigInt(bits - 1)); break;
    case NEG: r = -ua; break;
    case MOV: r = ub; break;
    case END: {
      const width = insnImm;
      const v = a & ((1n << BigInt(width)) - 1n);
      r = toBe ? bswap(v, width / 8) : v;
      return r & U64;
    }
    default: r = 0n;
  }
  return BigInt.asUintN(bits, r);
}

