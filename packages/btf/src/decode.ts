import { BpfError, type BpfErrorReason } from '@bpfkit/kernel-api';
import { Btf, type BtfHeader } from './btf.js';
import { BTF_HEADER_SIZE, BTF_KIND_MAX, BTF_KIND_NAMES, BTF_MAGIC, BTF_VERSION } from './kinds.js';
import { cString } from './strings.js';
import type { BtfEnum64Value, BtfEnumValue, BtfMember, BtfParam, BtfType, BtfVarSecinfo } from './types.js';

// A structural reader, in the spirit of libbpf's btf__new: it checks only what reading
// needs (bounds, known kinds, names inside the string section) and none of the kernel's
// semantic rules, so that BTF fresh out of clang (DATASEC size 0, VAR offsets not yet
// fixed) can be dumped and fixed up before BPF_BTF_LOAD.

/** Options of {@link decodeBtf}; all optional. */
export interface DecodeBtfOptions {
  /** Base BTF for split BTF: type ids and string offsets continue after it. */
  readonly base?: Btf;
  /** Also accept byte-swapped (other-endian) blobs. */
  readonly allowSwapped?: boolean;
}

const fail = (reason: BpfErrorReason, message: string): BpfError => new BpfError('EINVAL', reason, message);

/**
 * Decodes a BTF blob without the kernel's load-time checks: header, string section and
 * every type record. Only malformed bytes are refused (EINVAL): a truncated or
 * out-of-bounds header or section, an unknown kind, a vlen that runs past the type
 * section, a name offset outside the string section. The result has `validated` false;
 * its queries resolve on demand and throw `BpfError` on dangling ids or type loops.
 * Reserved `info` bits and header flags are ignored, as libbpf does.
 *
 * @example
 * // clang's .BTF: DATASEC sizes are 0 until libbpf fixes them, which parseBtf refuses.
 * const btf = decodeBtf(readFileSync('xdp_count.btf'));
 * console.log(dumpRaw(btf));
 */
export function decodeBtf(bytes: Uint8Array, options: DecodeBtfOptions = {}): Btf {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const { header, le } = decodeHeader(view, options.allowSwapped === true);
  const base = options.base;
  const strStart = header.hdrLen + header.strOff;
  const strings = bytes.subarray(strStart, strStart + header.strLen);
  if (header.strLen === 0 ? base === undefined : strings[header.strLen - 1] !== 0 || (base === undefined && strings[0] !== 0)) {
    throw fail('btf:invalid-string-section', 'Invalid string section: it must start (unless split) and end with a NUL byte');
  }
  const names = new Names(strings, base);
  const types: BtfType[] = [];
  const startId = base?.nrTypes ?? 1;
  const typeStart = header.hdrLen + header.typeOff;
  const end = typeStart + header.typeLen;
  for (let cur = typeStart; cur < end; ) {
    cur += decodeType(view, cur, end - cur, le, startId + types.length, names, types);
  }
  return new Btf({
    header,
    littleEndian: le,
    strings,
    types,
    base,
    resolvedIds: new Uint32Array(0),
    resolvedSizes: new Uint32Array(0),
    log: '',
    logTrueSize: 0,
    validated: false,
  });
}

function decodeHeader(view: DataView, allowSwapped: boolean): { header: BtfHeader; le: boolean } {
  const size = view.byteLength;
  const bad = (message: string): BpfError => fail('btf:invalid-header', message);
  if (size < BTF_HEADER_SIZE) throw bad(`BTF header not found: ${size} bytes, ${BTF_HEADER_SIZE} needed`);
  let le = true;
  if (view.getUint16(0, true) !== BTF_MAGIC) {
    if (!allowSwapped || view.getUint16(0, false) !== BTF_MAGIC) throw bad(`Invalid magic 0x${view.getUint16(0, true).toString(16)}`);
    le = false;
  }
  const header: BtfHeader = {
    magic: BTF_MAGIC,
    version: view.getUint8(2),
    flags: view.getUint8(3),
    hdrLen: view.getUint32(4, le),
    typeOff: view.getUint32(8, le),
    typeLen: view.getUint32(12, le),
    strOff: view.getUint32(16, le),
    strLen: view.getUint32(20, le),
  };
  if (header.version !== BTF_VERSION) throw bad(`Unsupported version ${header.version}`);
  if (header.hdrLen < BTF_HEADER_SIZE || header.hdrLen > size) throw bad(`Invalid hdr_len ${header.hdrLen} (blob is ${size} bytes)`);
  const data = size - header.hdrLen;
  if (header.typeOff + header.typeLen > data) throw bad(`Type section ${header.typeOff}+${header.typeLen} runs past the data (${data} bytes)`);
  if (header.strOff + header.strLen > data) throw bad(`String section ${header.strOff}+${header.strLen} runs past the data (${data} bytes)`);
  const overlap = header.typeOff < header.strOff + header.strLen && header.strOff < header.typeOff + header.typeLen;
  if (overlap && header.typeLen !== 0 && header.strLen !== 0) throw bad('Section overlap found');
  return { header, le };
}

/** Name lookups through the base, checking each offset lands in a string section. */
class Names {
  readonly #cache = new Map<number, string>();
  readonly #startStrOff: number;

  constructor(
    readonly strings: Uint8Array,
    readonly base: Btf | undefined,
  ) {
    this.#startStrOff = base === undefined ? 0 : base.startStrOff + base.strings.length;
  }

  /** The string at `off`, or `undefined` when `off` is outside every string section. */
  get(off: number): string | undefined {
    if (off < this.#startStrOff) return this.base?.str(off);
    const local = off - this.#startStrOff;
    if (local >= this.strings.length) return undefined;
    let s = this.#cache.get(local);
    if (s === undefined) {
      s = cString(this.strings, local);
      this.#cache.set(local, s);
    }
    return s;
  }
}

/** Bytes after the common 12-byte header, by kind number. */
function extraSize(kind: number, vlen: number): number {
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

/** Decodes the type record at `cur` into `out`; returns its length in bytes. */
function decodeType(view: DataView, cur: number, left: number, le: boolean, id: number, names: Names, out: BtfType[]): number {
  const bad = (message: string): BpfError => fail('btf:invalid-type', `[${id}] ${message}`);
  if (left < 12) throw bad(`truncated type: ${left} bytes left in the type section, 12 needed`);
  const nameOff = view.getUint32(cur, le);
  const info = view.getUint32(cur + 4, le);
  const sizeType = view.getUint32(cur + 8, le);
  const kindNo = (info >>> 24) & 0x1f;
  if (kindNo === 0 || kindNo > BTF_KIND_MAX) throw bad(`Invalid kind:${kindNo}`);
  const kind = BTF_KIND_NAMES[kindNo] ?? 'UNKNOWN';
  const vlen = info & 0xffff;
  const kflag = info >>> 31 === 1;
  const extra = extraSize(kindNo, vlen);
  if (left - 12 < extra) throw bad(`${kind} vlen=${vlen} needs ${extra} more bytes, ${left - 12} left in the type section`);
  const name = names.get(nameOff);
  if (name === undefined) throw bad(`${kind} Invalid name_offset:${nameOff}`);
  const nameAt = (off: number, what: string): string => {
    const s = names.get(off);
    if (s === undefined) throw bad(`${kind} ${name === '' ? '(anon)' : name} ${what} Invalid name_offset:${off}`);
    return s;
  };
  const x = cur + 12;
  const u32 = (o: number): number => view.getUint32(o, le);
  const base = { id, name, nameOff };
  switch (kindNo) {
    case 1: {
      const data = u32(x);
      out.push({ ...base, kind: 'INT', size: sizeType, encoding: (data >>> 24) & 0x0f, bitsOffset: (data >>> 16) & 0xff, bits: data & 0xff });
      break;
    }
    case 2:
      out.push({ ...base, kind: 'PTR', type: sizeType });
      break;
    case 3:
      out.push({ ...base, kind: 'ARRAY', type: u32(x), indexType: u32(x + 4), nelems: u32(x + 8) });
      break;
    case 4:
    case 5: {
      const members = new Array<BtfMember>(vlen);
      for (let i = 0; i < vlen; i++) {
        const o = x + i * 12;
        const raw = u32(o + 8);
        members[i] = {
          name: nameAt(u32(o), `member #${i}`),
          nameOff: u32(o),
          type: u32(o + 4),
          bitsOffset: kflag ? raw & 0xffffff : raw,
          bitfieldSize: kflag ? raw >>> 24 : 0,
        };
      }
      out.push({ ...base, kind: kindNo === 4 ? 'STRUCT' : 'UNION', size: sizeType, kflag, members });
      break;
    }
    case 6: {
      const values = new Array<BtfEnumValue>(vlen);
      for (let i = 0; i < vlen; i++) {
        const o = x + i * 8;
        values[i] = { name: nameAt(u32(o), `value #${i}`), nameOff: u32(o), value: kflag ? view.getInt32(o + 4, le) : u32(o + 4) };
      }
      out.push({ ...base, kind: 'ENUM', size: sizeType, signed: kflag, values });
      break;
    }
    case 19: {
      const values = new Array<BtfEnum64Value>(vlen);
      for (let i = 0; i < vlen; i++) {
        const o = x + i * 12;
        const u = (BigInt(u32(o + 8)) << 32n) | BigInt(u32(o + 4));
        values[i] = { name: nameAt(u32(o), `value #${i}`), nameOff: u32(o), value: kflag ? BigInt.asIntN(64, u) : u };
      }
      out.push({ ...base, kind: 'ENUM64', size: sizeType, signed: kflag, values });
      break;
    }
    case 7:
      out.push({ ...base, kind: 'FWD', union: kflag });
      break;
    case 8:
    case 9:
    case 10:
    case 11:
    case 18:
      out.push({ ...base, kind: kind as 'TYPEDEF', type: sizeType, kflag });
      break;
    case 12:
      out.push({ ...base, kind: 'FUNC', type: sizeType, linkage: vlen });
      break;
    case 13: {
      const params = new Array<BtfParam>(vlen);
      for (let i = 0; i < vlen; i++) {
        const o = x + i * 8;
        params[i] = { name: nameAt(u32(o), `arg #${i + 1}`), nameOff: u32(o), type: u32(o + 4) };
      }
      out.push({ ...base, kind: 'FUNC_PROTO', type: sizeType, params });
      break;
    }
    case 14:
      out.push({ ...base, kind: 'VAR', type: sizeType, linkage: u32(x) });
      break;
    case 15: {
      const vars = new Array<BtfVarSecinfo>(vlen);
      for (let i = 0; i < vlen; i++) {
        const o = x + i * 12;
        vars[i] = { type: u32(o), offset: u32(o + 4), size: u32(o + 8) };
      }
      out.push({ ...base, kind: 'DATASEC', size: sizeType, vars });
      break;
    }
    case 16:
      out.push({ ...base, kind: 'FLOAT', size: sizeType });
      break;
    case 17:
      out.push({ ...base, kind: 'DECL_TAG', type: sizeType, componentIdx: view.getInt32(x, le), kflag });
      break;
  }
  return 12 + extra;
}
