import { asmError } from '../errors.js';

const NUM = /^([+-])?(0x[0-9a-fA-F]+|[0-9]+)$/;

/** Parses a decimal or hex integer literal; `undefined` when it is not one. */
export function parseBigInt(text: string): { value: bigint; hex: boolean } | undefined {
  const m = NUM.exec(text.trim());
  if (m === null) return undefined;
  const digits = m[2] ?? '';
  const magnitude = BigInt(digits);
  return { value: m[1] === '-' ? -magnitude : magnitude, hex: digits.startsWith('0x') || digits.startsWith('0X') };
}

function fail(what: string, text: string, range: string): never {
  throw asmError('asm:range', `${what} ${text} out of range (${range})`);
}

function literal(text: string, what: string): { value: bigint; hex: boolean } {
  const n = parseBigInt(text);
  if (n === undefined) throw asmError('asm:syntax', `expected a number for ${what}, got '${text}'`);
  return n;
}

/**
 * A 32-bit immediate: decimal within the signed range, or hex up to
 * 0xffffffff (stored as the same 32 bits), as the conformance assembler does.
 */
export function parseImm32(text: string, what = 'immediate'): number {
  const { value, hex } = literal(text, what);
  const max = hex ? 0xffffffffn : 0x7fffffffn;
  if (value < -0x80000000n || value > max) fail(what, text, hex ? '-0x80000000..0xffffffff' : '-2147483648..2147483647');
  return Number(BigInt.asIntN(32, value));
}

/** A signed 16-bit offset. */
export function parseOff16(text: string, what = 'offset'): number {
  const { value } = literal(text, what);
  if (value < -0x8000n || value > 0x7fffn) fail(what, text, '-32768..32767');
  return Number(value);
}

/** A 64-bit constant, signed or unsigned; returned as its unsigned 64-bit value. */
export function parseImm64(text: string, what = 'immediate'): bigint {
  const { value } = literal(text, what);
  if (value < -(1n << 63n) || value >= 1n << 64n) fail(what, text, '64 bits');
  return BigInt.asUintN(64, value);
}

/** An unsigned number below `limit`. */
export function parseUnsigned(text: string, limit: number, what: string): number {
  const { value } = literal(text, what);
  if (value < 0n || value >= BigInt(limit)) fail(what, text, `0..${String(limit - 1)}`);
  return Number(value);
}
