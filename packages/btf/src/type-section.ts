import { BTF_KIND_NAMES } from './kinds.js';
import type { BtfEnum64Value, BtfEnumValue, BtfMember, BtfParam, BtfType, BtfVarSecinfo } from './types.js';

// The type section read in place, as the kernel and libbpf keep it: one byte offset per
// type and the record's words read on demand. Validating vmlinux BTF (~126k types, ~170k
// members, parameters and enum values) this way allocates nothing per record; the
// `BtfType` objects of the public API are built the first time a type is asked for.

/**
 * Bytes a record of this kind carries after its 12-byte `struct btf_type` (`btf_type_size` less 12).
 *
 * @example
 * btfRecordExtraSize(4, 3); // 36: a STRUCT's three members
 */
export function btfRecordExtraSize(kind: number, vlen: number): number {
  switch (kind) {
    case 1: // INT
    case 14: // VAR
    case 17: // DECL_TAG
      return 4;
    case 3: // ARRAY
      return 12;
    case 4: // STRUCT
    case 5: // UNION
    case 15: // DATASEC
    case 19: // ENUM64
      return vlen * 12;
    case 6: // ENUM
    case 13: // FUNC_PROTO
      return vlen * 8;
    default:
      return 0;
  }
}

/** The names records point at; `''` for an offset outside every string section. */
export interface NameSource {
  nameAt(off: number): string;
}

/**
 * The records of a BTF type section, by index (type id less the first own id). Every
 * accessor reads the blob; none checks bounds, which the scan that found the records did.
 */
export class TypeSection {
  constructor(
    readonly view: DataView,
    readonly littleEndian: boolean,
    /** Byte offset in `view` of each record. */
    readonly offsets: Uint32Array,
  ) {}

  get length(): number {
    return this.offsets.length;
  }

  /** The `k`th 32-bit word of record `i` (0: name_off, 1: info, 2: size/type, 3…: what follows). */
  word(i: number, k: number): number {
    return this.view.getUint32((this.offsets[i] ?? 0) + 4 * k, this.littleEndian);
  }

  /** The `k`th word of record `i` as a signed 32-bit value. */
  signedWord(i: number, k: number): number {
    return this.view.getInt32((this.offsets[i] ?? 0) + 4 * k, this.littleEndian);
  }

  nameOff(i: number): number {
    return this.word(i, 0);
  }

  kind(i: number): number {
    return (this.word(i, 1) >>> 24) & 0x1f;
  }

  vlen(i: number): number {
    return this.word(i, 1) & 0xffff;
  }

  kflag(i: number): boolean {
    return this.word(i, 1) >>> 31 === 1;
  }

  /** The `size`/`type` union of `struct btf_type`. */
  sizeType(i: number): number {
    return this.word(i, 2);
  }

  /**
   * Builds the {@link BtfType} of record `i`, which has type id `id`. Member, parameter and
   * value names come from `names`; the record must be whole (its vlen inside the section).
   */
  materialize(i: number, id: number, names: NameSource): BtfType {
    const view = this.view;
    const le = this.littleEndian;
    const cur = this.offsets[i] ?? 0;
    const nameOff = view.getUint32(cur, le);
    const info = view.getUint32(cur + 4, le);
    const sizeType = view.getUint32(cur + 8, le);
    const kindNo = (info >>> 24) & 0x1f;
    const vlen = info & 0xffff;
    const kflag = info >>> 31 === 1;
    const name = nameOff === 0 ? '' : names.nameAt(nameOff);
    const x = cur + 12;
    switch (kindNo) {
      case 1: {
        const data = view.getUint32(x, le);
        return { id, name, nameOff, kind: 'INT', size: sizeType, encoding: (data >>> 24) & 0x0f, bitsOffset: (data >>> 16) & 0xff, bits: data & 0xff };
      }
      case 2:
        return { id, name, nameOff, kind: 'PTR', type: sizeType };
      case 3:
        return { id, name, nameOff, kind: 'ARRAY', type: view.getUint32(x, le), indexType: view.getUint32(x + 4, le), nelems: view.getUint32(x + 8, le) };
      case 4:
      case 5: {
        const members = new Array<BtfMember>(vlen);
        for (let j = 0; j < vlen; j++) {
          const o = x + j * 12;
          const mName = view.getUint32(o, le);
          const raw = view.getUint32(o + 8, le);
          members[j] = {
            name: mName === 0 ? '' : names.nameAt(mName),
            nameOff: mName,
            type: view.getUint32(o + 4, le),
            bitsOffset: kflag ? raw & 0xffffff : raw,
            bitfieldSize: kflag ? raw >>> 24 : 0,
          };
        }
        return { id, name, nameOff, kind: kindNo === 4 ? 'STRUCT' : 'UNION', size: sizeType, kflag, members };
      }
      case 6: {
        const values = new Array<BtfEnumValue>(vlen);
        for (let j = 0; j < vlen; j++) {
          const o = x + j * 8;
          const n = view.getUint32(o, le);
          values[j] = { name: n === 0 ? '' : names.nameAt(n), nameOff: n, value: kflag ? view.getInt32(o + 4, le) : view.getUint32(o + 4, le) };
        }
        return { id, name, nameOff, kind: 'ENUM', size: sizeType, signed: kflag, values };
      }
      case 19: {
        const values = new Array<BtfEnum64Value>(vlen);
        for (let j = 0; j < vlen; j++) {
          const o = x + j * 12;
          const u = (BigInt(view.getUint32(o + 8, le)) << 32n) | BigInt(view.getUint32(o + 4, le));
          const n = view.getUint32(o, le);
          values[j] = { name: n === 0 ? '' : names.nameAt(n), nameOff: n, value: kflag ? BigInt.asIntN(64, u) : u };
        }
        return { id, name, nameOff, kind: 'ENUM64', size: sizeType, signed: kflag, values };
      }
      case 7:
        return { id, name, nameOff, kind: 'FWD', union: kflag };
      case 8:
      case 9:
      case 10:
      case 11:
      case 18:
        return { id, name, nameOff, kind: BTF_KIND_NAMES[kindNo] as 'TYPEDEF', type: sizeType, kflag };
      case 12:
        return { id, name, nameOff, kind: 'FUNC', type: sizeType, linkage: vlen };
      case 13: {
        const params = new Array<BtfParam>(vlen);
        for (let j = 0; j < vlen; j++) {
          const o = x + j * 8;
          const n = view.getUint32(o, le);
          params[j] = { name: n === 0 ? '' : names.nameAt(n), nameOff: n, type: view.getUint32(o + 4, le) };
        }
        return { id, name, nameOff, kind: 'FUNC_PROTO', type: sizeType, params };
      }
      case 14:
        return { id, name, nameOff, kind: 'VAR', type: sizeType, linkage: view.getUint32(x, le) };
      case 15: {
        const vars = new Array<BtfVarSecinfo>(vlen);
        for (let j = 0; j < vlen; j++) {
          const o = x + j * 12;
          vars[j] = { type: view.getUint32(o, le), offset: view.getUint32(o + 4, le), size: view.getUint32(o + 8, le) };
        }
        return { id, name, nameOff, kind: 'DATASEC', size: sizeType, vars };
      }
      case 16:
        return { id, name, nameOff, kind: 'FLOAT', size: sizeType };
      case 17:
        return { id, name, nameOff, kind: 'DECL_TAG', type: sizeType, componentIdx: view.getInt32(x, le), kflag };
      default:
        throw new RangeError(`BTF record ${i} has unknown kind ${kindNo}`);
    }
  }
}
