/**
 * A BigInt model of the BPF ALU and jump conditions, written from RFC 9669
 * and the kernel's rewrites (division by zero, INT_MIN / -1), to check the
 * interpreter's (lo, hi) arithmetic against.
 */
const M64 = (1n << 64n) - 1n;
const M32 = 0xffffffffn;

function s64(x: bigint): bigint {
  return BigInt.asIntN(64, x);
}
function s32(x: bigint): bigint {
  return BigInt.asIntN(32, x);
}

/** ALU operations by kernel-syntax operator. */
export const ALU_OPS = ['+=', '-=', '*=', '/=', '|=', '&=', '<<=', '>>=', '%=', '^=', '=', 's>>=', 's/=', 's%='] as const;
export type AluOp = (typeof ALU_OPS)[number];

/** dst op src, 64-bit (`wide`) or 32-bit (zero-extended). */
export function aluRef(op: AluOp, dst: bigint, src: bigint, wide: boolean): bigint {
  const mask = wide ? M64 : M32;
  const bits = wide ? 64n : 32n;
  const a = dst & mask;
  const b = src & mask;
  const sa = wide ? s64(a) : s32(a);
  const sb = wide ? s64(b) : s32(b);
  let v: bigint;
  switch (op) {
    case '+=': v = a + b; break;
    case '-=': v = a - b; break;
    case '*=': v = a * b; break;
    case '/=': v = b === 0n ? 0n : a / b; break;
    case '%=': v = b === 0n ? a : a % b; break;
    case '|=': v = a | b; break;
    case '&=': v = a & b; break;
    case '^=': v = a ^ b; break;
    case '=': v = b; break;
    case '<<=': v = a << (b & (bits - 1n)); break;
    case '>>=': v = a >> (b & (bits - 1n)); break;
    case 's>>=': v = sa >> (b & (bits - 1n)); break;
    // BigInt division truncates toward zero like C; INT_MIN / -1 wraps back to INT_MIN.
    case 's/=': v = sb === 0n ? 0n : sa / sb; break;
    case 's%=': v = sb === 0n ? a : sa % sb; break;
  }
  return v & mask;
}

/** Jump conditions by kernel-syntax operator. */
export const JMP_OPS = ['==', '!=', '>', '>=', '<', '<=', 's>', 's>=', 's<', 's<=', '&'] as const;
export type JmpOp = (typeof JMP_OPS)[number];

/** Whether `if dst op src` branches, on 64 bits or the low 32. */
export function jmpRef(op: JmpOp, dst: bigint, src: bigint, wide: boolean): boolean {
  const mask = wide ? M64 : M32;
  const a = dst & mask;
  const b = src & mask;
  const sa = wide ? s64(a) : s32(a);
  const sb = wide ? s64(b) : s32(b);
  switch (op) {
    case '==': return a === b;
    case '!=': return a !== b;
    case '>': return a > b;
    case '>=': return a >= b;
    case '<': return a < b;
    case '<=': return a <= b;
    case 's>': return sa > sb;
    case 's>=': return sa >= sb;
    case 's<': return sa < sb;
    case 's<=': return sa <= sb;
    case '&': return (a & b) !== 0n;
  }
}

/** A 64-bit value as the kernel-syntax ld_imm64 operand. */
export function hex64(x: bigint): string {
  return `0x${(x & M64).toString(16)}`;
}
