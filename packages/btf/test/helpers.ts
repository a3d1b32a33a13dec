import { readFileSync } from 'node:fs';
import { BtfBuilder, BtfIntEncoding, type BtfTypeInput } from '@bpfkit/btf';

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
