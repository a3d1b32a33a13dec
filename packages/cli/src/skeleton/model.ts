import type { Btf, BtfComposite, BtfEnum, BtfEnum64, BtfType } from '@bpfkit/btf';
import { BpfError } from '@bpfkit/kernel-api';
import { NameTable, pascalCase } from './names.js';

const BTF_INT_SIGNED = 1;
const BTF_INT_BOOL = 4;
const MAX_DEPTH = 32;
/** Arrays up to this length become tuples; longer ones plain arrays. */
export const MAX_TUPLE = 16;

/**
 * How a value is laid out in memory and which TypeScript type holds it.
 *
 * @example
 * { kind: 'int', size: 4, signed: false } // a __u32: number
 */
export type Shape =
  | { readonly kind: 'int'; readonly size: 1 | 2 | 4 | 8 | 16; readonly signed: boolean }
  | { readonly kind: 'bool'; readonly size: 1 | 2 | 4 | 8 }
  | { readonly kind: 'float'; readonly size: 4 | 8 }
  | { readonly kind: 'bytes'; readonly size: number }
  | { readonly kind: 'array'; readonly elem: Shape; readonly n: number; readonly stride: number; readonly size: number }
  | { readonly kind: 'ref'; readonly decl: Decl; readonly size: number };

/** A bitfield's place: bits from the start of its struct. @example { bitOffset: 35, bits: 3, signed: false } */
export interface Bitfield {
  readonly bitOffset: number;
  readonly bits: number;
  readonly signed: boolean;
}

/** One member of a generated struct or union. @example { name: 'packets', offset: 0, shape: u64 } */
export interface Field {
  readonly name: string;
  /** Byte offset from the start of the struct (0 for bitfields, which use `bitfield`). */
  readonly offset: number;
  readonly shape: Shape;
  readonly bitfield: Bitfield | undefined;
}

/** A named type the module declares. @example { kind: 'struct', name: 'Traffic', cName: 'struct traffic', size: 16, fields } */
export type Decl =
  | { readonly kind: 'struct' | 'union'; readonly name: string; readonly cName: string; readonly size: number; fields: Field[] }
  | { readonly kind: 'enum'; readonly name: string; readonly cName: string; readonly size: 1 | 2 | 4 | 8; readonly signed: boolean; readonly big: boolean; readonly values: readonly { readonly name: string; readonly value: number | bigint }[] }
  | { readonly kind: 'alias'; readonly name: string; readonly cName: string; readonly target: Decl };

function badBtf(message: string): BpfError {
  return new BpfError('EINVAL', 'skeleton:bad-btf', message);
}

function intSize(size: number): 1 | 2 | 4 | 8 | 16 | undefined {
  return size === 1 || size === 2 || size === 4 || size === 8 || size === 16 ? size : undefined;
}

/**
 * Turns BTF types into {@link Shape}s and named {@link Decl}s, each BTF type once,
 * in the order they are first reached (so the output is deterministic).
 */
export class TypeModel {
  readonly decls: Decl[] = [];
  readonly #btf: Btf;
  readonly #names = new NameTable();
  readonly #byId = new Map<number, Decl>();
  readonly #aliases = new Map<number, Decl>();
  /** Structs and unions whose members are being walked: reaching one again is a loop. */
  readonly #open = new Set<number>();

  constructor(btf: Btf) {
    this.#btf = btf;
  }

  /** Claims a name for something that is not a BTF type (the skeleton class, section classes). */
  claim(name: string): string {
    return this.#names.claim(name);
  }

  /** The shape of BTF type `id`; `hint` names an anonymous struct, union or enum. */
  shapeOf(id: number, hint: string, depth = 0): Shape {
    if (depth > MAX_DEPTH) throw badBtf(`type ${String(id)}: types nest deeper than ${String(MAX_DEPTH)}`);
    const t = this.#btf.type(id);
    if (t === undefined) throw badBtf(`type id ${String(id)} does not exist`);
    switch (t.kind) {
      case 'CONST':
      case 'VOLATILE':
      case 'RESTRICT':
      case 'TYPE_TAG':
        return this.shapeOf(t.type, hint, depth + 1);
      case 'TYPEDEF':
        return this.#typedef(t.id, t.name, t.type, hint, depth);
      case 'INT':
        return this.#int(t.size, t.encoding);
      case 'PTR':
        return { kind: 'int', size: 8, signed: false };
      case 'FLOAT':
        return t.size === 4 || t.size === 8 ? { kind: 'float', size: t.size } : { kind: 'bytes', size: t.size };
      case 'ARRAY':
        return this.#array(t.type, t.nelems, hint, depth);
      case 'STRUCT':
      case 'UNION':
      case 'ENUM':
      case 'ENUM64': {
        const decl = this.#named(t, t.name === '' ? hint : t.name, depth);
        return { kind: 'ref', decl, size: t.size };
      }
      default:
        return { kind: 'bytes', size: this.#btf.size(id) ?? 0 };
    }
  }

  #int(size: number, encoding: number): Shape {
    if ((encoding & BTF_INT_BOOL) !== 0 && (size === 1 || size === 2 || size === 4 || size === 8)) return { kind: 'bool', size };
    const s = intSize(size);
    if (s === undefined) return { kind: 'bytes', size };
    return { kind: 'int', size: s, signed: (encoding & BTF_INT_SIGNED) !== 0 };
  }

  #array(elemId: number, n: number, hint: string, depth: number): Shape {
    const elem = this.shapeOf(elemId, hint, depth + 1);
    const stride = this.#btf.size(elemId) ?? elem.size;
    if (elem.kind === 'int' && elem.size === 1) return { kind: 'bytes', size: n };
    if (n === 0) return { kind: 'bytes', size: 0 };
    const size = n * stride;
    if (!Number.isSafeInteger(size)) throw badBtf(`array of ${String(n)} elements is too large`);
    return { kind: 'array', elem, n, stride, size };
  }

  /** A typedef to a named struct/union/enum is an alias of it; to an anonymous one it names it; else it vanishes. */
  #typedef(id: number, name: string, target: number, hint: string, depth: number): Shape {
    let cur = this.#btf.type(target);
    for (let d = depth; cur !== undefined && (cur.kind === 'CONST' || cur.kind === 'VOLATILE' || cur.kind === 'TYPE_TAG' || cur.kind === 'RESTRICT'); d++) {
      if (d > MAX_DEPTH) throw badBtf(`typedef ${name}: too many qualifiers`);
      cur = this.#btf.type(cur.type);
    }
    if (cur === undefined || (cur.kind !== 'STRUCT' && cur.kind !== 'UNION' && cur.kind !== 'ENUM' && cur.kind !== 'ENUM64')) return this.shapeOf(target, name === '' ? hint : name, depth + 1);
    const inner = this.shapeOf(target, name, depth + 1);
    if (inner.kind !== 'ref' || cur.name === '' || pascalCase(cur.name) === pascalCase(name)) return inner;
    if (!this.#aliases.has(id)) {
      const alias: Decl = { kind: 'alias', name: this.#names.claim(pascalCase(name)), cName: name, target: inner.decl };
      this.#aliases.set(id, alias);
      this.decls.push(alias);
    }
    return inner;
  }

  #named(t: BtfComposite | BtfEnum | BtfEnum64, name: string, depth: number): Decl {
    if (this.#open.has(t.id)) throw badBtf(`${t.kind.toLowerCase()} ${t.name === '' ? String(t.id) : t.name} contains itself`);
    const known = this.#byId.get(t.id);
    if (known !== undefined) return known;
    const tsName = this.#names.claim(pascalCase(name));
    if (t.kind === 'ENUM' || t.kind === 'ENUM64') {
      const size = t.size;
      if (size !== 1 && size !== 2 && size !== 4 && size !== 8) throw badBtf(`enum ${t.name} has size ${String(t.size)}`);
      const big = size === 8;
      const values = t.values.map((v) => ({ name: v.name, value: big ? BigInt(v.value) : Number(v.value) }));
      const decl: Decl = { kind: 'enum', name: tsName, cName: t.name === '' ? `enum (anonymous ${name})` : `enum ${t.name}`, size, signed: t.signed, big, values };
      this.#byId.set(t.id, decl);
      this.decls.push(decl);
      return decl;
    }
    const decl: Decl = { kind: t.kind === 'STRUCT' ? 'struct' : 'union', name: tsName, cName: `${t.kind.toLowerCase()} ${t.name === '' ? `(anonymous ${name})` : t.name}`, size: t.size, fields: [] };
    this.#byId.set(t.id, decl);
    this.decls.push(decl);
    this.#open.add(t.id);
    decl.fields = t.members.map((m, i) => this.#field(t, m, i, tsName, depth));
    this.#open.delete(t.id);
    return decl;
  }

  #field(t: BtfComposite, m: BtfComposite['members'][number], index: number, parent: string, depth: number): Field {
    const name = m.name === '' ? `__anon${String(index)}` : m.name;
    const shape = this.shapeOf(m.type, `${parent}${pascalCase(name)}`, depth + 1);
    const where = `${t.kind.toLowerCase()} ${t.name} member ${name}`;
    const intType = this.#intBehind(m.type);
    let bitfield: Bitfield | undefined;
    if (t.kflag && m.bitfieldSize > 0) {
      bitfield = { bitOffset: m.bitsOffset, bits: m.bitfieldSize, signed: signedShape(shape) };
    } else if (!t.kflag && intType !== undefined && (intType.bits !== intType.size * 8 || intType.bitsOffset !== 0 || m.bitsOffset % 8 !== 0)) {
      bitfield = { bitOffset: m.bitsOffset + intType.bitsOffset, bits: intType.bits, signed: signedShape(shape) };
    }
    if (bitfield !== undefined) {
      // Shapes never hold aliases (a typedef resolves to its target), so this is the real type.
      if (shape.kind !== 'int' && shape.kind !== 'bool' && !(shape.kind === 'ref' && shape.decl.kind === 'enum')) throw badBtf(`${where}: a bitfield of a ${shape.kind}`);
      if (bitfield.bits < 1 || bitfield.bits > 64 || bitfield.bitOffset + bitfield.bits > t.size * 8) throw badBtf(`${where}: bitfield does not fit`);
      return { name, offset: 0, shape, bitfield };
    }
    if (m.bitsOffset % 8 !== 0) throw badBtf(`${where}: not byte-aligned`);
    const offset = m.bitsOffset / 8;
    if (offset + shape.size > t.size) throw badBtf(`${where} (${String(offset)}+${String(shape.size)}) does not fit in ${String(t.size)} bytes`);
    return { name, offset, shape, bitfield: undefined };
  }

  /** The INT a member's type stands for (through typedefs and qualifiers), for kflag-0 bitfields. */
  #intBehind(id: number): Extract<BtfType, { kind: 'INT' }> | undefined {
    let t = this.#btf.type(id);
    for (let d = 0; t !== undefined && d < MAX_DEPTH; d++) {
      if (t.kind === 'INT') return t;
      if (t.kind !== 'TYPEDEF' && t.kind !== 'CONST' && t.kind !== 'VOLATILE' && t.kind !== 'RESTRICT' && t.kind !== 'TYPE_TAG') return undefined;
      t = this.#btf.type(t.type);
    }
    return undefined;
  }
}

function signedShape(shape: Shape): boolean {
  if (shape.kind === 'int') return shape.signed;
  if (shape.kind === 'ref' && shape.decl.kind === 'enum') return shape.decl.signed;
  return false;
}
