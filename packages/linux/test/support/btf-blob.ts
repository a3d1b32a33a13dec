// A small BTF encoder for the differential cases (the test package does not depend on @bpfkit/btf).

/** One type, in the order it gets its id (1, 2, …). */
export type BtfSpec =
  | { readonly kind: 'INT'; readonly name: string; readonly size: number; readonly bits?: number; readonly signed?: boolean }
  | { readonly kind: 'PTR' | 'TYPEDEF' | 'CONST' | 'VOLATILE'; readonly name?: string; readonly type: number }
  | { readonly kind: 'TYPE_TAG'; readonly name: string; readonly type: number }
  | { readonly kind: 'ARRAY'; readonly type: number; readonly index: number; readonly nelems: number }
  | { readonly kind: 'STRUCT' | 'UNION'; readonly name: string; readonly size: number; readonly members: readonly (readonly [string, number, number])[] }
  | { readonly kind: 'FUNC_PROTO'; readonly ret: number; readonly params: readonly (readonly [string, number])[] }
  | { readonly kind: 'FUNC'; readonly name: string; readonly type: number; readonly linkage?: number }
  | { readonly kind: 'VAR'; readonly name: string; readonly type: number }
  | { readonly kind: 'DATASEC'; readonly name: string; readonly size: number; readonly vars: readonly (readonly [number, number, number])[] }
  | { readonly kind: 'DECL_TAG'; readonly name: string; readonly type: number; readonly component: number };

const KIND: Readonly<Record<BtfSpec['kind'], number>> = {
  INT: 1, PTR: 2, ARRAY: 3, STRUCT: 4, UNION: 5, TYPEDEF: 8, VOLATILE: 9, CONST: 10, FUNC: 12, FUNC_PROTO: 13, VAR: 14, DATASEC: 15, DECL_TAG: 17, TYPE_TAG: 18,
};

/** Encodes `types` (ids from 1) plus extra strings (for line_info) into a little-endian BTF blob. */
export function encodeBtfBlob(types: readonly BtfSpec[], extraStrings: readonly string[] = []): { blob: Uint8Array; strOff: (s: string) => number } {
  const strs: number[] = [0];
  const offs = new Map<string, number>([['', 0]]);
  const str = (s: string): number => {
    const known = offs.get(s);
    if (known !== undefined) return known;
    const off = strs.length;
    offs.set(s, off);
    strs.push(...new TextEncoder().encode(s), 0);
    return off;
  };
  const words: number[] = [];
  const head = (name: string, kind: BtfSpec['kind'], vlen: number, sizeOrType: number, kflag = false): void => {
    words.push(str(name), ((kflag ? 1 : 0) << 31) | (KIND[kind] << 24) | vlen, sizeOrType);
  };
  for (const t of types) {
    switch (t.kind) {
      case 'INT':
        head(t.name, 'INT', 0, t.size);
        words.push(((t.signed ?? true) ? 1 << 24 : 0) | (t.bits ?? t.size * 8));
        break;
      case 'PTR': case 'TYPEDEF': case 'CONST': case 'VOLATILE': case 'TYPE_TAG':
        head(t.name ?? '', t.kind, 0, t.type);
        break;
      case 'ARRAY':
        head('', 'ARRAY', 0, 0);
        words.push(t.type, t.index, t.nelems);
        break;
      case 'STRUCT': case 'UNION':
        head(t.name, t.kind, t.members.length, t.size);
        for (const [n, type, bitOff] of t.members) words.push(str(n), type, bitOff);
        break;
      case 'FUNC_PROTO':
        head('', 'FUNC_PROTO', t.params.length, t.ret);
        for (const [n, type] of t.params) words.push(str(n), type);
        break;
      case 'FUNC':
        head(t.name, 'FUNC', t.linkage ?? 1, t.type);
        break;
      case 'VAR':
        head(t.name, 'VAR', 0, t.type);
        words.push(1);
        break;
      case 'DATASEC':
        head(t.name, 'DATASEC', t.vars.length, t.size);
        for (const v of t.vars) words.push(...v);
        break;
      case 'DECL_TAG':
        head(t.name, 'DECL_TAG', 0, t.type);
        words.push(t.component >>> 0);
        break;
    }
  }
  for (const s of extraStrings) str(s);
  const typeLen = words.length * 4;
  const blob = new Uint8Array(24 + typeLen + strs.length);
  const dv = new DataView(blob.buffer);
  dv.setUint16(0, 0xeb9f, true);
  dv.setUint8(2, 1);
  dv.setUint32(4, 24, true);
  dv.setUint32(8, 0, true);
  dv.setUint32(12, typeLen, true);
  dv.setUint32(16, typeLen, true);
  dv.setUint32(20, strs.length, true);
  words.forEach((w, i) => { dv.setUint32(24 + i * 4, w >>> 0, true); });
  blob.set(strs, 24 + typeLen);
  return { blob, strOff: str };
}
