/**
 * The helpers a generated module carries (each only when used), so it needs nothing
 * but `@bpfkit/libbpf` at run time.
 */
const SNIPPETS = {
  codec: `/** How a value of T is laid out in little-endian memory. */
export interface Codec<T> {
  readonly size: number;
  read(v: DataView, o: number): T;
  write(v: DataView, o: number, x: T): void;
}`,
  codecEncode: `function codecEncode<T>(c: Codec<T>, x: T): Uint8Array {
  const bytes = new Uint8Array(c.size);
  c.write(new DataView(bytes.buffer), 0, x);
  return bytes;
}`,
  codecDecode: `function codecDecode<T>(c: Codec<T>, bytes: Uint8Array, o = 0): T {
  if (bytes.length < o + c.size) throw new RangeError(\`need \${String(c.size)} bytes at \${String(o)}, got \${String(bytes.length)}\`);
  return c.read(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), o);
}`,
  bytesGet: `function bytesGet(v: DataView, o: number, n: number): Uint8Array {
  return new Uint8Array(v.buffer, v.byteOffset + o, n).slice();
}`,
  bytesPut: `function bytesPut(v: DataView, o: number, n: number, x: Uint8Array): void {
  if (x.length > n) throw new RangeError(\`\${String(x.length)} bytes do not fit in \${String(n)}\`);
  const dst = new Uint8Array(v.buffer, v.byteOffset + o, n);
  dst.fill(0);
  dst.set(x);
}`,
  lengthCheck: `function lengthCheck(x: { readonly length: number }, n: number): void {
  if (x.length !== n) throw new RangeError(\`expected \${String(n)} elements, got \${String(x.length)}\`);
}`,
  bitsGet: `function bitsGet(v: DataView, o: number, bitOff: number, bits: number, signed: boolean): bigint {
  let r = 0n;
  for (let b = (bitOff + bits - 1) >> 3; b >= bitOff >> 3; b--) r = (r << 8n) | BigInt(v.getUint8(o + b));
  r = BigInt.asUintN(bits, r >> BigInt(bitOff & 7));
  return signed ? BigInt.asIntN(bits, r) : r;
}`,
  bitsSet: `function bitsSet(v: DataView, o: number, bitOff: number, bits: number, x: bigint): void {
  const first = bitOff >> 3;
  const last = (bitOff + bits - 1) >> 3;
  let cur = 0n;
  for (let b = last; b >= first; b--) cur = (cur << 8n) | BigInt(v.getUint8(o + b));
  const shift = BigInt(bitOff & 7);
  const mask = ((1n << BigInt(bits)) - 1n) << shift;
  cur = (cur & ~mask) | (BigInt.asUintN(bits, x) << shift);
  for (let b = first; b <= last; b++) {
    v.setUint8(o + b, Number(cur & 0xffn));
    cur >>= 8n;
  }
}`,
  int128Get: `function int128Get(v: DataView, o: number, signed: boolean): bigint {
  const r = (v.getBigUint64(o + 8, true) << 64n) | v.getBigUint64(o, true);
  return signed ? BigInt.asIntN(128, r) : r;
}`,
  int128Set: `function int128Set(v: DataView, o: number, x: bigint): void {
  const u = BigInt.asUintN(128, x);
  v.setBigUint64(o, BigInt.asUintN(64, u), true);
  v.setBigUint64(o + 8, u >> 64n, true);
}`,
  base64Decode: `function base64Decode(text: string): Uint8Array {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  const clean = text.replace(/=+$/, '');
  const out = new Uint8Array(Math.floor((clean.length * 3) / 4));
  let acc = 0;
  let nbits = 0;
  let j = 0;
  for (const ch of clean) {
    acc = (acc << 6) | alphabet.indexOf(ch);
    nbits += 6;
    if (nbits >= 8) {
      nbits -= 8;
      out[j++] = (acc >> nbits) & 0xff;
    }
  }
  return out;
}`,
  isNotFound: `function isNotFound(e: unknown): boolean {
  return typeof e === 'object' && e !== null && 'code' in e && e.code === 'ENOENT';
}`,
  rawLookup: `function rawLookup(m: BpfMap, key: Uint8Array): Uint8Array | undefined {
  try {
    return m.lookup(key) ?? undefined;
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}`,
  rawDelete: `function rawDelete(m: BpfMap, key: Uint8Array): boolean {
  try {
    m.delete(key);
    return true;
  } catch (e) {
    if (isNotFound(e)) return false;
    throw e;
  }
}`,
  rawKeys: `function* rawKeys(m: BpfMap): Generator<Uint8Array> {
  for (let k = m.nextKey(null); k !== null && k !== undefined; k = m.nextKey(k)) yield k;
}`,
  typedMap: `/** A map with typed keys and values, over the client's byte-level handle. */
export class TypedMap<K, V> {
  readonly raw: BpfMap;
  readonly #key: Codec<K>;
  readonly #value: Codec<V>;

  constructor(raw: BpfMap, key: Codec<K>, value: Codec<V>) {
    this.raw = raw;
    this.#key = key;
    this.#value = value;
  }

  /** The value under \`key\`, or undefined when there is none. */
  lookup(key: K): V | undefined {
    const bytes = rawLookup(this.raw, codecEncode(this.#key, key));
    return bytes === undefined ? undefined : codecDecode(this.#value, bytes);
  }

  /** Sets \`key\` to \`value\`; \`flags\` is BPF_ANY (0), BPF_NOEXIST (1) or BPF_EXIST (2). */
  update(key: K, value: V, flags = 0): void {
    this.raw.update(codecEncode(this.#key, key), codecEncode(this.#value, value), flags);
  }

  /** Removes \`key\`; false when it was not there. */
  delete(key: K): boolean {
    return rawDelete(this.raw, codecEncode(this.#key, key));
  }

  *keys(): Generator<K> {
    for (const k of rawKeys(this.raw)) yield codecDecode(this.#key, k);
  }

  *entries(): Generator<[K, V]> {
    for (const k of rawKeys(this.raw)) {
      const bytes = rawLookup(this.raw, k);
      if (bytes !== undefined) yield [codecDecode(this.#key, k), codecDecode(this.#value, bytes)];
    }
  }
}`,
  perCpuMap: `/** A per-CPU map: one value per possible CPU, each in an 8-byte aligned slot. */
export class PerCpuMap<K, V> {
  readonly raw: BpfMap;
  readonly #key: Codec<K>;
  readonly #value: Codec<V>;
  readonly #stride: number;

  constructor(raw: BpfMap, key: Codec<K>, value: Codec<V>) {
    this.raw = raw;
    this.#key = key;
    this.#value = value;
    this.#stride = Math.ceil(value.size / 8) * 8;
  }

  #values(bytes: Uint8Array): V[] {
    const n = Math.floor(bytes.length / this.#stride);
    return Array.from({ length: n }, (_, cpu) => codecDecode(this.#value, bytes, cpu * this.#stride));
  }

  /** The values of every CPU under \`key\`, or undefined when there is none. */
  lookup(key: K): V[] | undefined {
    const bytes = rawLookup(this.raw, codecEncode(this.#key, key));
    return bytes === undefined ? undefined : this.#values(bytes);
  }

  /** Sets the value of every CPU (one per possible CPU). */
  update(key: K, values: readonly V[], flags = 0): void {
    const bytes = new Uint8Array(values.length * this.#stride);
    const view = new DataView(bytes.buffer);
    for (const [cpu, x] of values.entries()) this.#value.write(view, cpu * this.#stride, x);
    this.raw.update(codecEncode(this.#key, key), bytes, flags);
  }

  delete(key: K): boolean {
    return rawDelete(this.raw, codecEncode(this.#key, key));
  }

  *keys(): Generator<K> {
    for (const k of rawKeys(this.raw)) yield codecDecode(this.#key, k);
  }

  *entries(): Generator<[K, V[]]> {
    for (const k of rawKeys(this.raw)) {
      const bytes = rawLookup(this.raw, k);
      if (bytes !== undefined) yield [codecDecode(this.#key, k), this.#values(bytes)];
    }
  }
}`,
  globals: `/** One global data section: through the client's globals before load, through its map after. */
export class GlobalSection {
  readonly #obj: BpfObject;
  readonly #section: string;
  readonly #mapSuffix: string;
  readonly #mapPrefixMax: number;
  readonly #loaded: () => boolean;

  constructor(obj: BpfObject, section: string, mapSuffix: string, mapPrefixMax: number, loaded: () => boolean) {
    this.#obj = obj;
    this.#section = section;
    this.#mapSuffix = mapSuffix;
    this.#mapPrefixMax = mapPrefixMax;
    this.#loaded = loaded;
  }

  /** The section's map, named as libbpf names it: a piece of the object's name, then the section's. */
  #map(): BpfMap {
    const suffix = this.#mapSuffix;
    const prefix = this.#obj.name.slice(0, this.#mapPrefixMax).replace(/[^A-Za-z0-9_.]/g, '_');
    const internal = this.#obj.maps.filter((x) => x.internal);
    const m = internal.find((x) => x.name === prefix + suffix) ?? internal.find((x) => x.name.endsWith(suffix));
    if (m === undefined) throw new Error(\`no map for section \${this.#section}\`);
    return m;
  }

  #contents(m: BpfMap): Uint8Array {
    const bytes = rawLookup(m, new Uint8Array(4));
    if (bytes === undefined) throw new Error(\`section \${this.#section} has no contents\`);
    return bytes;
  }

  read<T>(name: string, offset: number, c: Codec<T>): T {
    if (!this.#loaded()) return codecDecode(c, this.#obj.globals(this.#section).get(name));
    return codecDecode(c, this.#contents(this.#map()), offset);
  }

  write<T>(name: string, offset: number, c: Codec<T>, x: T): void {
    if (!this.#loaded()) {
      this.#obj.globals(this.#section).set(name, codecEncode(c, x));
      return;
    }
    const m = this.#map();
    const bytes = this.#contents(m);
    c.write(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), offset, x);
    m.update(new Uint8Array(4), bytes, 0);
  }
}`,
} as const;

/** A helper a generated module may include. */
export type Helper = keyof typeof SNIPPETS;

const REQUIRES: Partial<Record<Helper, readonly Helper[]>> = {
  codecEncode: ['codec'],
  codecDecode: ['codec'],
  rawLookup: ['isNotFound'],
  rawDelete: ['isNotFound'],
  typedMap: ['codecEncode', 'codecDecode', 'rawLookup', 'rawDelete', 'rawKeys'],
  perCpuMap: ['codecEncode', 'codecDecode', 'rawLookup', 'rawDelete', 'rawKeys'],
  globals: ['codecEncode', 'codecDecode', 'rawLookup'],
};

/** The source of the helpers in `needed` (and what they call), in a fixed order. */
export function helperSource(needed: ReadonlySet<Helper>): string {
  const all = new Set<Helper>();
  const add = (h: Helper): void => {
    if (all.has(h)) return;
    all.add(h);
    for (const r of REQUIRES[h] ?? []) add(r);
  };
  for (const h of needed) add(h);
  return (Object.keys(SNIPPETS) as Helper[])
    .filter((h) => all.has(h))
    .map((h) => SNIPPETS[h])
    .join('\n\n');
}
