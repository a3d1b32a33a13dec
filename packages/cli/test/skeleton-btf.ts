import { BtfBuilder, BtfIntEncoding, decodeBtf, type Btf } from '@bpfkit/btf';
import type { SkeletonSource } from '../dist/skeleton/index.js';

const { SIGNED, CHAR, BOOL } = BtfIntEncoding;

/**
 * BTF with what clang emits for the hard cases (bitfields both ways, unions, enums, 64- and
 * 128-bit ints, floats, pointers, nested and 2-D arrays, an anonymous member, a typedef),
 * and an object using it for maps and globals.
 */
export function richSource(): { source: SkeletonSource; btf: Btf } {
  const b = new BtfBuilder();
  const u8 = b.add({ kind: 'INT', name: 'unsigned char', size: 1, encoding: 0, bitsOffset: 0, bits: 8 });
  const u16 = b.add({ kind: 'INT', name: 'unsigned short', size: 2, encoding: 0, bitsOffset: 0, bits: 16 });
  const s32 = b.add({ kind: 'INT', name: 'int', size: 4, encoding: SIGNED, bitsOffset: 0, bits: 32 });
  const u32 = b.add({ kind: 'INT', name: 'unsigned int', size: 4, encoding: 0, bitsOffset: 0, bits: 32 });
  const u64 = b.add({ kind: 'INT', name: 'unsigned long long', size: 8, encoding: 0, bitsOffset: 0, bits: 64 });
  const chr = b.add({ kind: 'INT', name: 'char', size: 1, encoding: CHAR | SIGNED, bitsOffset: 0, bits: 8 });
  const bool = b.add({ kind: 'INT', name: '_Bool', size: 1, encoding: BOOL, bitsOffset: 0, bits: 8 });
  const i128 = b.add({ kind: 'INT', name: '__int128', size: 16, encoding: SIGNED, bitsOffset: 0, bits: 128 });
  const flt = b.add({ kind: 'FLOAT', name: 'float', size: 4 });
  const dbl = b.add({ kind: 'FLOAT', name: 'double', size: 8 });
  const u32t = b.add({ kind: 'TYPEDEF', name: '__u32', type: u32, kflag: false });
  const u64t = b.add({ kind: 'TYPEDEF', name: '__u64', type: u64, kflag: false });
  const vptr = b.add({ kind: 'PTR', name: '', type: 0 });
  const arr = (type: number, nelems: number): number => b.add({ kind: 'ARRAY', name: '', type, indexType: u32, nelems });
  const m = (name: string, type: number, bitsOffset: number, bitfieldSize = 0) => ({ name, type, bitsOffset, bitfieldSize });
  const inner = b.add({ kind: 'STRUCT', name: 'inner', size: 8, kflag: false, members: [m('a', u16, 0), m('b', u8, 16), m('c', u32, 32)] });
  const innerT = b.add({ kind: 'TYPEDEF', name: 'inner_t', type: inner, kflag: false });
  const color = b.add({ kind: 'ENUM', name: 'color', size: 4, signed: true, values: [{ name: 'RED', value: -1 }, { name: 'GREEN', value: 0 }, { name: 'BLUE', value: 7 }] });
  const big = b.add({ kind: 'ENUM64', name: 'big', size: 8, signed: false, values: [{ name: 'SMALL', value: 1n }, { name: 'HUGE', value: 0xffffffffffffffffn }] });
  const u = b.add({ kind: 'UNION', name: 'u', size: 4, kflag: false, members: [m('word', u32, 0), m('bytes', arr(u8, 4), 0)] });
  const anon = b.add({ kind: 'STRUCT', name: '', size: 4, kflag: false, members: [m('x', u16, 0), m('y', u16, 16)] });
  const value = b.add({
    kind: 'STRUCT', name: 'value', size: 216, kflag: true,
    members: [
      m('tag', u8, 0), m('delta', s32, 32), m('total', u64t, 64), m('name', arr(chr, 16), 128), m('quad', arr(u32, 4), 256),
      m('inner', innerT, 384), m('color', color, 448), m('lo', u32, 480, 3), m('mid', s32, 483, 7), m('wide', u64, 490, 40),
      m('flag', bool, 544), m('big', big, 576), m('huge', i128, 640), m('f', flt, 768), m('d', dbl, 832), m('p', vptr, 896),
      m('many', arr(u16, 20), 960), m('u', u, 1280), m('pair', arr(inner, 2), 1344), m('color4', color, 1472, 4),
      m('grid', arr(arr(u32, 3), 2), 1504), m('', anon, 1696),
    ],
  });
  // Bitfields as older clang encodes them: kind_flag 0, the width in the INT.
  const u5 = b.add({ kind: 'INT', name: 'unsigned int', size: 4, encoding: 0, bitsOffset: 0, bits: 5 });
  const s27 = b.add({ kind: 'INT', name: 'int', size: 4, encoding: SIGNED, bitsOffset: 0, bits: 27 });
  const old = b.add({ kind: 'STRUCT', name: 'old', size: 8, kflag: false, members: [m('x', u5, 0), m('y', s27, 5), m('z', u16, 32)] });
  const s32x20 = arr(s32, 20);
  const btf = decodeBtf(b.encode());
  const source: SkeletonSource = {
    programs: [{ name: 'prog_a', sectionName: 'xdp' }],
    maps: [
      { name: 'values', type: 1, keySize: 4, valueSize: 216, keyTypeId: u32t, valueTypeId: value },
      { name: 'percpu', type: 6, keySize: 4, valueSize: 8, keyTypeId: u32, valueTypeId: inner },
      { name: 'events', type: 27, keySize: 0, valueSize: 0, keyTypeId: 0, valueTypeId: 0 },
      { name: 'opaque', type: 1, keySize: 6, valueSize: 3, keyTypeId: 0, valueTypeId: 0 },
    ],
    dataSections: [
      {
        name: '.rodata', kind: 'rodata',
        variables: [
          { name: 'knob', offset: 0, size: 4, typeId: color, global: true },
          { name: 'legacy', offset: 8, size: 8, typeId: old, global: true },
        ],
      },
      {
        name: '.bss', kind: 'bss',
        variables: [
          { name: 'counter', offset: 0, size: 8, typeId: u64, global: true },
          { name: 'hidden', offset: 8, size: 4, typeId: u32, global: false },
        ],
      },
      { name: '.data.custom', kind: 'data', variables: [{ name: 'arr', offset: 0, size: 80, typeId: s32x20, global: true }] },
    ],
    btf,
  };
  return { source, btf };
}
