import { BpfCmd, encodeBtfLoadAttr } from '@bpfkit/uapi';
import type { CaseRunner } from './runner.js';

/** A member of a BTF struct: name, type id, byte offset. */
export type BtfMember = readonly [name: string, type: number, offset: number];

/** One BTF type, enough for map values and a program: a signed 32-bit int, a struct, a function and its prototype. */
export type BtfTypeSpec =
  | { readonly kind: 'int'; readonly name: string }
  | { readonly kind: 'struct'; readonly name: string; readonly size: number; readonly members: readonly BtfMember[] }
  | { readonly kind: 'func_proto'; readonly ret: number }
  | { readonly kind: 'func'; readonly name: string; readonly proto: number; readonly linkage?: 'static' | 'global' };

/**
 * Encodes a small BTF blob (header, types from id 1 in order, strings).
 *
 * @example
 * btfBlob([{ kind: 'int', name: 'int' }]); // id 1 is a 4-byte int
 */
export function btfBlob(types: readonly BtfTypeSpec[]): Uint8Array {
  return btfBlobWithStrings(types, []).blob;
}

/**
 * {@link btfBlob} with more strings in the string section (for line info),
 * and where each string landed.
 *
 * @example
 * const { blob, offsets } = btfBlobWithStrings([{ kind: 'int', name: 'int' }], ['prog.c']);
 * offsets.get('prog.c'); // its name offset
 */
export function btfBlobWithStrings(types: readonly BtfTypeSpec[], extra: readonly string[]): { blob: Uint8Array; offsets: ReadonlyMap<string, number> } {
  const strings: string[] = [''];
  let strLen = 1;
  const offsets = new Map<string, number>([['', 0]]);
  const str = (s: string): number => {
    const known = offsets.get(s);
    if (known !== undefined) return known;
    const off = strLen;
    offsets.set(s, off);
    strings.push(s);
    strLen += s.length + 1;
    return off;
  };
  const words: number[] = [];
  for (const t of types) {
    if (t.kind === 'int') {
      words.push(str(t.name), 0x0100_0000, 4, (1 << 24) | 32);
    } else if (t.kind === 'func_proto') {
      words.push(0, 13 << 24, t.ret);
    } else if (t.kind === 'func') {
      // vlen is the linkage: 0 static, 1 global (the default)
      words.push(str(t.name), (12 << 24) | (t.linkage === 'static' ? 0 : 1), t.proto);
    } else {
      words.push(str(t.name), (4 << 24) | t.members.length, t.size);
      for (const [name, type, offset] of t.members) words.push(str(name), type, offset * 8);
    }
  }
  for (const e of extra) str(e);
  const typeLen = words.length * 4;
  const strBytes = new TextEncoder().encode(strings.map((s) => `${s}\0`).join(''));
  const out = new Uint8Array(24 + typeLen + strBytes.length);
  const v = new DataView(out.buffer);
  v.setUint16(0, 0xeb9f, true);
  v.setUint8(2, 1);
  v.setUint32(4, 24, true);
  v.setUint32(8, 0, true);
  v.setUint32(12, typeLen, true);
  v.setUint32(16, typeLen, true);
  v.setUint32(20, strBytes.length, true);
  words.forEach((w, i) => {
    v.setUint32(24 + i * 4, w >>> 0, true);
  });
  out.set(strBytes, 24 + typeLen);
  return { blob: out, offsets };
}

/** BTF_LOAD of `blob`; the fd is owned by the case. */
export function loadBtf(r: CaseRunner, step: string, blob: Uint8Array): number | undefined {
  const fd = r.call(step, BpfCmd.BPF_BTF_LOAD, encodeBtfLoadAttr({ btf: r.mem(blob), btf_size: blob.length }));
  return fd === undefined ? undefined : r.own(fd);
}

/** `int` (1), `struct bpf_spin_lock { int val; }` (2), `struct value { struct bpf_spin_lock lock; int data; }` (3), `struct plain { int data; }` (4). */
export const SPIN_LOCK_BTF = btfBlob([
  { kind: 'int', name: 'int' },
  { kind: 'struct', name: 'bpf_spin_lock', size: 4, members: [['val', 1, 0]] },
  { kind: 'struct', name: 'value', size: 8, members: [['lock', 2, 0], ['data', 1, 4]] },
  { kind: 'struct', name: 'plain', size: 4, members: [['data', 1, 0]] },
]);
