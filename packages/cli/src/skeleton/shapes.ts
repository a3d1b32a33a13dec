import { MAX_TUPLE, type Field, type Shape } from './model.js';
import { propertyAccess } from './names.js';
import type { Helper } from './runtime.js';

/** An offset expression: a variable part plus a constant, printed folded (`o + 12`). */
export interface Offset {
  readonly base: string;
  readonly k: number;
}

function at(off: Offset, plus = 0): string {
  const k = off.k + plus;
  return k === 0 ? off.base : `${off.base} + ${String(k)}`;
}

function shift(off: Offset, plus: number): Offset {
  return { base: off.base, k: off.k + plus };
}

/** Collects the runtime helpers the emitted code calls. */
export interface HelperSink {
  need(helper: Helper): void;
}

/**
 * The TypeScript type that holds a shape.
 *
 * @example
 * tsType({ kind: 'int', size: 8, signed: false }); // 'bigint'
 */
export function tsType(shape: Shape): string {
  switch (shape.kind) {
    case 'int':
      return shape.size <= 4 ? 'number' : 'bigint';
    case 'bool':
      return 'boolean';
    case 'float':
      return 'number';
    case 'bytes':
      return 'Uint8Array';
    case 'array': {
      const elem = tsType(shape.elem);
      return shape.n <= MAX_TUPLE ? `[${Array.from({ length: shape.n }, () => elem).join(', ')}]` : `${elem}[]`;
    }
    case 'ref':
      return shape.decl.name;
  }
}

const INT_NAMES = { 1: '8', 2: '16', 4: '32' } as const;

/** An expression that reads `shape` from DataView `v` at `off`. */
export function readExpr(shape: Shape, off: Offset, sink: HelperSink, depth = 0): string {
  const o = at(off);
  switch (shape.kind) {
    case 'int':
      if (shape.size === 16) {
        sink.need('int128Get');
        return `int128Get(v, ${o}, ${String(shape.signed)})`;
      }
      if (shape.size === 8) return `v.${shape.signed ? 'getBigInt64' : 'getBigUint64'}(${o}, true)`;
      return `v.get${shape.signed ? 'Int' : 'Uint'}${INT_NAMES[shape.size]}(${o}${shape.size === 1 ? '' : ', true'})`;
    case 'bool':
      return shape.size === 8 ? `v.getBigUint64(${o}, true) !== 0n` : `v.getUint${INT_NAMES[shape.size]}(${o}${shape.size === 1 ? '' : ', true'}) !== 0`;
    case 'float':
      return `v.getFloat${String(shape.size * 8)}(${o}, true)`;
    case 'bytes':
      sink.need('bytesGet');
      return `bytesGet(v, ${o}, ${String(shape.size)})`;
    case 'array': {
      if (shape.n <= MAX_TUPLE) {
        return `[${Array.from({ length: shape.n }, (_, i) => readExpr(shape.elem, shift(off, i * shape.stride), sink, depth + 1)).join(', ')}]`;
      }
      const i = `i${String(depth)}`;
      const inner = readExpr(shape.elem, { base: `${o} + ${i} * ${String(shape.stride)}`, k: 0 }, sink, depth + 1);
      return `Array.from({ length: ${String(shape.n)} }, (_, ${i}) => ${inner})`;
    }
    case 'ref':
      return `read${shape.decl.name}(v, ${o})`;
  }
}

/** Statements that write `value` (an expression of {@link tsType}) as `shape` into DataView `v` at `off`. */
export function writeStmts(shape: Shape, off: Offset, value: string, sink: HelperSink, depth = 0): string[] {
  const o = at(off);
  switch (shape.kind) {
    case 'int':
      if (shape.size === 16) {
        sink.need('int128Set');
        return [`int128Set(v, ${o}, ${value});`];
      }
      if (shape.size === 8) return [`v.${shape.signed ? 'setBigInt64' : 'setBigUint64'}(${o}, ${value}, true);`];
      return [`v.set${shape.signed ? 'Int' : 'Uint'}${INT_NAMES[shape.size]}(${o}, ${value}${shape.size === 1 ? '' : ', true'});`];
    case 'bool':
      return shape.size === 8
        ? [`v.setBigUint64(${o}, ${value} ? 1n : 0n, true);`]
        : [`v.setUint${INT_NAMES[shape.size]}(${o}, ${value} ? 1 : 0${shape.size === 1 ? '' : ', true'});`];
    case 'float':
      return [`v.setFloat${String(shape.size * 8)}(${o}, ${value}, true);`];
    case 'bytes':
      sink.need('bytesPut');
      return [`bytesPut(v, ${o}, ${String(shape.size)}, ${value});`];
    case 'array': {
      sink.need('lengthCheck');
      const i = `i${String(depth)}`;
      const e = `e${String(depth)}`;
      const inner = writeStmts(shape.elem, { base: `${o} + ${i} * ${String(shape.stride)}`, k: 0 }, e, sink, depth + 1);
      return [`lengthCheck(${value}, ${String(shape.n)});`, `for (const [${i}, ${e}] of ${value}.entries()) {`, ...inner.map((l) => `  ${l}`), '}'];
    }
    case 'ref':
      return [`write${shape.decl.name}(v, ${o}, ${value});`];
  }
}

/** The read expression of a struct member (bitfields through the bit helpers). */
export function readField(f: Field, off: Offset, sink: HelperSink): string {
  if (f.bitfield === undefined) return readExpr(f.shape, shift(off, f.offset), sink);
  sink.need('bitsGet');
  const bits = `bitsGet(v, ${at(off)}, ${String(f.bitfield.bitOffset)}, ${String(f.bitfield.bits)}, ${String(f.bitfield.signed)})`;
  const s = f.shape;
  if (s.kind === 'bool') return `${bits} !== 0n`;
  if (s.kind === 'ref' && s.decl.kind === 'enum') return `as${s.decl.name}(${s.decl.big ? bits : `Number(${bits})`})`;
  return s.kind === 'int' && s.size >= 8 ? bits : `Number(${bits})`;
}

/** The statements that write a struct member. */
export function writeField(f: Field, off: Offset, value: string, sink: HelperSink): string[] {
  if (f.bitfield === undefined) return writeStmts(f.shape, shift(off, f.offset), value, sink);
  sink.need('bitsSet');
  const s = f.shape;
  const big = (s.kind === 'int' && s.size >= 8) || (s.kind === 'ref' && s.decl.kind === 'enum' && s.decl.big);
  const x = s.kind === 'bool' ? `${value} ? 1n : 0n` : big ? value : `BigInt(Math.trunc(${value}))`;
  return [`bitsSet(v, ${at(off)}, ${String(f.bitfield.bitOffset)}, ${String(f.bitfield.bits)}, ${x});`];
}

/** `x.name` for a field of `x`. */
export function fieldOf(target: string, f: Field): string {
  return propertyAccess(target, f.name);
}
