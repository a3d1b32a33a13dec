import { BpfError } from '@bpfkit/kernel-api';
import type { Btf } from './btf.js';
import { BTF_HEADER_SIZE, BTF_MAGIC, BTF_VERSION, BtfKind } from './kinds.js';
import { cString, utf8Bytes } from './strings.js';
import type { BtfTypeInput } from './types.js';

/** Options of {@link BtfBuilder.encode}. */
export interface EncodeOptions {
  /** Byte order of the blob; default little-endian (what the kernel on x86-64/arm64 reads). */
  readonly littleEndian?: boolean;
}

/**
 * Builds a BTF blob from types: adds and de-duplicates strings, assigns ids, encodes.
 * `BtfBuilder.from(btf)` keeps the parsed string section as-is, so re-encoding a parsed
 * canonical blob gives back the same bytes.
 *
 * @example
 * const b = new BtfBuilder();
 * const int = b.add({ kind: 'INT', name: 'int', size: 4, encoding: BtfIntEncoding.SIGNED, bitsOffset: 0, bits: 32 });
 * b.add({ kind: 'PTR', name: '', type: int });
 * const bytes = b.encode();
 */
export class BtfBuilder {
  readonly #types: BtfTypeInput[] = [];
  readonly #chunks: Uint8Array[] = [];
  #strLen = 0;
  #strIndex: Map<string, number> | undefined;
  readonly #base: Btf | undefined;
  readonly #startId: number;
  readonly #startStrOff: number;
  #hdrLen = BTF_HEADER_SIZE;

  constructor(options: { readonly base?: Btf } = {}) {
    this.#base = options.base;
    this.#startId = options.base?.nrTypes ?? 1;
    this.#startStrOff = options.base === undefined ? 0 : options.base.startStrOff + options.base.strings.length;
    if (options.base === undefined) this.#appendRaw(new Uint8Array(1));
    this.#strIndex = new Map([['', 0]]);
  }

  /** A builder holding `btf`'s own types and its string section byte for byte. */
  static from(btf: Btf): BtfBuilder {
    const b = new BtfBuilder({ ...(btf.base === undefined ? {} : { base: btf.base }) });
    b.#chunks.length = 0;
    b.#strLen = 0;
    b.#appendRaw(btf.strings);
    b.#strIndex = undefined;
    b.#hdrLen = btf.header.hdrLen;
    for (const t of btf.types) if (t.kind !== 'VOID') b.#types.push(t);
    return b;
  }

  /** Id the next added type gets. */
  get nextId(): number {
    return this.#startId + this.#types.length;
  }

  /** Adds `s` to the string section unless present; returns its offset. */
  addString(s: string): number {
    const index = this.#index();
    const hit = index.get(s);
    if (hit !== undefined) return hit;
    const bytes = utf8Bytes(s);
    if (bytes.includes(0)) throw new BpfError('EINVAL', 'btf:invalid-string', 'BTF strings cannot contain NUL');
    const off = this.#startStrOff + this.#strLen;
    const buf = new Uint8Array(bytes.length + 1);
    buf.set(bytes);
    this.#appendRaw(buf);
    index.set(s, off);
    return off;
  }

  /** Adds a type; returns its id. */
  add(t: BtfTypeInput): number {
    this.#types.push(t);
    return this.nextId - 1;
  }

  /** Encodes header, types and strings. */
  encode(options: EncodeOptions = {}): Uint8Array {
    const le = options.littleEndian ?? true;
    const words: number[] = [];
    for (const t of this.#types) this.#encodeType(t, words);
    // Names are resolved above, so the string section is final only now.
    const strings = this.#stringBytes();
    const typeLen = words.length * 4;
    const out = new Uint8Array(this.#hdrLen + typeLen + strings.length);
    const view = new DataView(out.buffer);
    view.setUint16(0, BTF_MAGIC, le);
    view.setUint8(2, BTF_VERSION);
    view.setUint8(3, 0);
    view.setUint32(4, this.#hdrLen, le);
    view.setUint32(8, 0, le);
    view.setUint32(12, typeLen, le);
    view.setUint32(16, typeLen, le);
    view.setUint32(20, strings.length, le);
    for (let i = 0; i < words.length; i++) view.setUint32(this.#hdrLen + i * 4, words[i] ?? 0, le);
    out.set(strings, this.#hdrLen + typeLen);
    return out;
  }

  #name(name: string, nameOff: number | undefined): number {
    if (nameOff !== undefined && this.#stringAt(nameOff) === name) return nameOff;
    return name === '' ? 0 : this.addString(name);
  }

  #stringAt(off: number): string | undefined {
    if (off < this.#startStrOff) return this.#base?.str(off);
    const local = off - this.#startStrOff;
    if (local >= this.#strLen) return undefined;
    return cString(this.#stringBytes(), local);
  }

  #encodeType(t: BtfTypeInput, w: number[]): void {
    const info = (kind: number, vlen: number, kflag: boolean): number => ((kflag ? 0x80000000 : 0) | (kind << 24) | (vlen & 0xffff)) >>> 0;
    const name = this.#name(t.name, t.nameOff);
    switch (t.kind) {
      case 'INT':
        w.push(name, info(BtfKind.INT, 0, false), t.size, ((t.encoding << 24) | (t.bitsOffset << 16) | t.bits) >>> 0);
        return;
      case 'PTR':
        w.push(name, info(BtfKind.PTR, 0, false), t.type);
        return;
      case 'TYPEDEF':
      case 'VOLATILE':
      case 'CONST':
      case 'RESTRICT':
      case 'TYPE_TAG':
        w.push(name, info(BtfKind[t.kind], 0, t.kflag), t.type);
        return;
      case 'ARRAY':
        w.push(name, info(BtfKind.ARRAY, 0, false), 0, t.type, t.indexType, t.nelems);
        return;
      case 'STRUCT':
      case 'UNION':
        w.push(name, info(BtfKind[t.kind], t.members.length, t.kflag), t.size);
        for (const m of t.members) {
          const off = t.kflag ? ((m.bitfieldSize << 24) | (m.bitsOffset & 0xffffff)) >>> 0 : m.bitsOffset;
          w.push(this.#name(m.name, m.nameOff), m.type, off);
        }
        return;
      case 'ENUM':
        w.push(name, info(BtfKind.ENUM, t.values.length, t.signed), t.size);
        for (const v of t.values) w.push(this.#name(v.name, v.nameOff), v.value >>> 0);
        return;
      case 'ENUM64':
        w.push(name, info(BtfKind.ENUM64, t.values.length, t.signed), t.size);
        for (const v of t.values) {
          const u = BigInt.asUintN(64, v.value);
          w.push(this.#name(v.name, v.nameOff), Number(u & 0xffffffffn), Number(u >> 32n));
        }
        return;
      case 'FWD':
        w.push(name, info(BtfKind.FWD, 0, t.union), 0);
        return;
      case 'FUNC':
        w.push(name, info(BtfKind.FUNC, t.linkage, false), t.type);
        return;
      case 'FUNC_PROTO':
        w.push(name, info(BtfKind.FUNC_PROTO, t.params.length, false), t.type);
        for (const p of t.params) w.push(this.#name(p.name, p.nameOff), p.type);
        return;
      case 'VAR':
        w.push(name, info(BtfKind.VAR, 0, false), t.type, t.linkage);
        return;
      case 'DATASEC':
        w.push(name, info(BtfKind.DATASEC, t.vars.length, false), t.size);
        for (const v of t.vars) w.push(v.type, v.offset, v.size);
        return;
      case 'FLOAT':
        w.push(name, info(BtfKind.FLOAT, 0, false), t.size);
        return;
      case 'DECL_TAG':
        w.push(name, info(BtfKind.DECL_TAG, 0, t.kflag), t.type, t.componentIdx >>> 0);
        return;
    }
  }

  #appendRaw(bytes: Uint8Array): void {
    this.#chunks.push(bytes);
    this.#strLen += bytes.length;
  }

  #stringBytes(): Uint8Array {
    if (this.#chunks.length === 1 && this.#chunks[0] !== undefined) return this.#chunks[0];
    const all = new Uint8Array(this.#strLen);
    let o = 0;
    for (const c of this.#chunks) {
      all.set(c, o);
      o += c.length;
    }
    this.#chunks.length = 0;
    this.#chunks.push(all);
    return all;
  }

  #index(): Map<string, number> {
    if (this.#strIndex !== undefined) return this.#strIndex;
    const bytes = this.#stringBytes();
    const index = new Map<string, number>();
    let start = 0;
    for (let i = 0; i < bytes.length; i++) {
      if (bytes[i] !== 0) continue;
      const s = cString(bytes, start);
      if (!index.has(s)) index.set(s, this.#startStrOff + start);
      start = i + 1;
    }
    this.#strIndex = index;
    return index;
  }
}

/**
 * Encodes a parsed BTF again (its own types, its string section as-is).
 *
 * @example
 * encodeBtf(parseBtf(blob)); // same bytes as blob for a canonical blob
 */
export function encodeBtf(btf: Btf, options: EncodeOptions = { littleEndian: btf.littleEndian }): Uint8Array {
  return BtfBuilder.from(btf).encode(options);
}
