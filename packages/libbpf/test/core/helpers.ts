import { BtfBuilder, BtfIntEncoding, decodeBtf, parseBtf, type Btf, type BtfTypeInput } from '@bpfkit/btf';
import { applyCoreRelocations, type CoreRelocation, type CoreReloResult } from '../../dist/core/index.js';

/** A member at a byte offset, or a bitfield at a bit offset (kflag structs). */
export const m = (name: string, type: number, byteOffset: number) => ({ name, type, bitsOffset: byteOffset * 8, bitfieldSize: 0 });
export const bf = (name: string, type: number, bitOffset: number, bits: number) => ({ name, type, bitsOffset: bitOffset, bitfieldSize: bits });

/** A BTF under construction with the usual ints. */
export class Types {
  readonly b = new BtfBuilder();
  readonly int = this.add({ kind: 'INT', name: 'int', size: 4, encoding: BtfIntEncoding.SIGNED, bitsOffset: 0, bits: 32 });
  readonly uint = this.add({ kind: 'INT', name: 'unsigned int', size: 4, encoding: 0, bitsOffset: 0, bits: 32 });
  readonly u64 = this.add({ kind: 'INT', name: 'long long unsigned int', size: 8, encoding: 0, bitsOffset: 0, bits: 64 });
  readonly s64 = this.add({ kind: 'INT', name: 'long long int', size: 8, encoding: BtfIntEncoding.SIGNED, bitsOffset: 0, bits: 64 });
  readonly char = this.add({ kind: 'INT', name: 'char', size: 1, encoding: BtfIntEncoding.SIGNED, bitsOffset: 0, bits: 8 });
  readonly ushort = this.add({ kind: 'INT', name: 'short unsigned int', size: 2, encoding: 0, bitsOffset: 0, bits: 16 });

  add(t: BtfTypeInput): number {
    return this.b.add(t);
  }

  struct(name: string, size: number, members: readonly ReturnType<typeof m>[], union = false): number {
    return this.add({ kind: union ? 'UNION' : 'STRUCT', name, size, kflag: members.some((x) => x.bitfieldSize > 0), members });
  }

  ptr(type: number): number {
    return this.add({ kind: 'PTR', name: '', type });
  }

  array(type: number, nelems: number): number {
    return this.add({ kind: 'ARRAY', name: '', type, indexType: this.int, nelems });
  }

  typedef(name: string, type: number): number {
    return this.add({ kind: 'TYPEDEF', name, type, kflag: false });
  }

  enum(name: string, values: Record<string, number>, size = 4, signed = false): number {
    return this.add({ kind: 'ENUM', name, size, signed, values: Object.entries(values).map(([n, value]) => ({ name: n, value })) });
  }

  enum64(name: string, values: Record<string, bigint>, signed = false): number {
    return this.add({ kind: 'ENUM64', name, size: 8, signed, values: Object.entries(values).map(([n, value]) => ({ name: n, value })) });
  }

  /** Local BTF is read as libbpf reads an object's: decoded, not kernel-validated. */
  local(): Btf {
    return decodeBtf(this.b.encode());
  }

  /** Target BTF goes through the kernel's checks, as vmlinux would. */
  target(): Btf {
    return parseBtf(this.b.encode());
  }
}

/** One 8-byte instruction. */
export function insn(code: number, dst: number, src: number, off: number, imm: number): Uint8Array {
  const out = new Uint8Array(8);
  const v = new DataView(out.buffer);
  v.setUint8(0, code);
  v.setUint8(1, (src << 4) | dst);
  v.setInt16(2, off, true);
  v.setInt32(4, imm, true);
  return out;
}

export const movImm = (dst: number, imm: number): Uint8Array => insn(0xb7, dst, 0, 0, imm);
export const addImm = (dst: number, imm: number): Uint8Array => insn(0x07, dst, 0, 0, imm);
export const ldxW = (dst: number, src: number, off: number): Uint8Array => insn(0x61, dst, src, off, 0);
export const ldxDW = (dst: number, src: number, off: number): Uint8Array => insn(0x79, dst, src, off, 0);
export const ldxB = (dst: number, src: number, off: number): Uint8Array => insn(0x71, dst, src, off, 0);
export const stxW = (dst: number, src: number, off: number): Uint8Array => insn(0x63, dst, src, off, 0);
export const exit = (): Uint8Array => insn(0x95, 0, 0, 0, 0);
export function ldImm64(dst: number, value: bigint): Uint8Array[] {
  return [insn(0x18, dst, 0, 0, Number(BigInt.asIntN(32, value))), insn(0, 0, 0, 0, Number(BigInt.asIntN(32, value >> 32n)))];
}

/** A program from instructions (ld_imm64 as two entries). */
export function program(...insns: (Uint8Array | Uint8Array[])[]): Uint8Array {
  const flat = insns.flat();
  const out = new Uint8Array(flat.length * 8);
  flat.forEach((x, i) => {
    out.set(x, i * 8);
  });
  return out;
}

/** The fields of slot `i`. */
export function slot(code: Uint8Array, i: number): { code: number; dst: number; src: number; off: number; imm: number } {
  const v = new DataView(code.buffer, code.byteOffset + i * 8, 8);
  return { code: v.getUint8(0), dst: v.getUint8(1) & 0xf, src: v.getUint8(1) >> 4, off: v.getInt16(2, true), imm: v.getInt32(4, true) };
}

/** The 64-bit immediate of the ld_imm64 at `i`. */
export function imm64(code: Uint8Array, i: number): bigint {
  const v = new DataView(code.buffer, code.byteOffset + i * 8, 16);
  return (BigInt(v.getUint32(12, true)) << 32n) | BigInt(v.getUint32(4, true));
}

export const POISON = { code: 0x85, dst: 0, src: 0, off: 0, imm: 0xbad2310 };

/** Applies one relocation at insn 0 of `code`; returns the result and the patched code. */
export function applyOne(code: Uint8Array, relo: Omit<CoreRelocation, 'insn'> & { insn?: number }, local: Btf, target: Btf): { r: CoreReloResult; code: Uint8Array } {
  const copy = code.slice();
  const [r] = applyCoreRelocations(copy, [{ insn: 0, ...relo }], local, target, 'prog');
  if (r === undefined) throw new Error('no result');
  return { r, code: copy };
}
