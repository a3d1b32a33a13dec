import { readFileSync } from 'node:fs';
import { BtfBuilder, BtfFuncLinkage, BtfIntEncoding, BtfVarLinkage, type BtfTypeInput } from '@bpfkit/btf';

/** A fixture file from test/fixtures (tests run from dist-test/). */
export function fixture(name: string): unknown {
  return JSON.parse(readFileSync(new URL(`../test/fixtures/${name}`, import.meta.url), 'utf8'));
}

export const hex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'));

export const INT: BtfTypeInput = { kind: 'INT', name: 'int', size: 4, encoding: BtfIntEncoding.SIGNED, bitsOffset: 0, bits: 32 };

/** A blob of `types` (ids from 1). */
export function blob(...types: BtfTypeInput[]): Uint8Array {
  const b = new BtfBuilder();
  for (const t of types) b.add(t);
  return b.encode();
}

/** One valid type of every kind (ids in the comments). */
export const everyKind: BtfTypeInput[] = [
  INT, // 1
  { kind: 'PTR', name: '', type: 3 }, // 2
  { kind: 'STRUCT', name: 'node', size: 16, kflag: true, members: [
    { name: 'flags', type: 1, bitsOffset: 0, bitfieldSize: 3 },
    { name: 'mode', type: 1, bitsOffset: 3, bitfieldSize: 5 },
    { name: 'next', type: 2, bitsOffset: 64, bitfieldSize: 0 },
  ] }, // 3
  { kind: 'UNION', name: 'u', size: 4, kflag: false, members: [{ name: 'i', type: 1, bitsOffset: 0, bitfieldSize: 0 }, { name: 'e', type: 5, bitsOffset: 0, bitfieldSize: 0 }] }, // 4
  { kind: 'ENUM', name: 'color', size: 4, signed: true, values: [{ name: 'RED', value: -1 }, { name: 'GREEN', value: 2 }] }, // 5
  { kind: 'FWD', name: 'later', union: false }, // 6
  { kind: 'TYPEDEF', name: 'node_t', type: 3, kflag: false }, // 7
  { kind: 'VOLATILE', name: '', type: 1, kflag: false }, // 8
  { kind: 'CONST', name: '', type: 8, kflag: false }, // 9
  { kind: 'RESTRICT', name: '', type: 2, kflag: false }, // 10
  { kind: 'FUNC_PROTO', name: '', type: 1, params: [{ name: 'n', type: 2 }, { name: '', type: 0 }] }, // 11
  { kind: 'FUNC', name: 'walk', type: 11, linkage: BtfFuncLinkage.GLOBAL }, // 12
  { kind: 'ARRAY', name: '', type: 1, indexType: 1, nelems: 4 }, // 13
  { kind: 'VAR', name: 'table', type: 13, linkage: BtfVarLinkage.GLOBAL_ALLOCATED }, // 14
  { kind: 'DATASEC', name: '.data', size: 16, vars: [{ type: 14, offset: 0, size: 16 }] }, // 15
  { kind: 'FLOAT', name: 'double', size: 8 }, // 16
  { kind: 'DECL_TAG', name: 'hot', type: 12, componentIdx: 0, kflag: false }, // 17
  { kind: 'TYPE_TAG', name: 'user', type: 1, kflag: false }, // 18
  { kind: 'PTR', name: '', type: 18 }, // 19
  { kind: 'ENUM64', name: 'big', size: 8, signed: false, values: [{ name: 'HUGE', value: 1n << 40n }, { name: 'MAX', value: (1n << 64n) - 1n }] }, // 20
];
