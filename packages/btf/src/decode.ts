import { BpfError, type BpfErrorReason } from '@bpfkit/kernel-api';
import { Btf, type BtfHeader } from './btf.js';
import { BTF_HEADER_SIZE, BTF_KIND_MAX, BTF_KIND_NAMES, BTF_MAGIC, BTF_VERSION } from './kinds.js';
import { cString } from './strings.js';
import { TypeSection, btfRecordExtraSize } from './type-section.js';

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
  const startId = base?.nrTypes ?? 1;
  const typeStart = header.hdrLen + header.typeOff;
  const end = typeStart + header.typeLen;
  const offsets = new Uint32Array(Math.floor(header.typeLen / 12) + 1);
  let count = 0;
  for (let cur = typeStart; cur < end; count++) {
    offsets[count] = cur;
    cur += checkRecord(view, cur, end - cur, le, startId + count, names);
  }
  const types = new TypeSection(view, le, offsets.subarray(0, count));
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

  /** True when `off` is inside a string section. */
  has(off: number): boolean {
    if (off < this.#startStrOff) return this.base?.str(off) !== undefined;
    return off - this.#startStrOff < this.strings.length;
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

/**
 * Checks that the record at `cur` is readable (whole, a known kind, names inside a string
 * section); returns its length in bytes.
 */
function checkRecord(view: DataView, cur: number, left: number, le: boolean, id: number, names: Names): number {
  const bad = (message: string): BpfError => fail('btf:invalid-type', `[${id}] ${message}`);
  if (left < 12) throw bad(`truncated type: ${left} bytes left in the type section, 12 needed`);
  const nameOff = view.getUint32(cur, le);
  const info = view.getUint32(cur + 4, le);
  const kindNo = (info >>> 24) & 0x1f;
  if (kindNo === 0 || kindNo > BTF_KIND_MAX) throw bad(`Invalid kind:${kindNo}`);
  const kind = BTF_KIND_NAMES[kindNo] ?? 'UNKNOWN';
  const vlen = info & 0xffff;
  const extra = btfRecordExtraSize(kindNo, vlen);
  if (left - 12 < extra) throw bad(`${kind} vlen=${vlen} needs ${extra} more bytes, ${left - 12} left in the type section`);
  const name = names.get(nameOff);
  if (name === undefined) throw bad(`${kind} Invalid name_offset:${nameOff}`);
  // Members, enum values and parameters each start with a name offset.
  let stride = 0;
  let what = '';
  let first = 0;
  if (kindNo === 4 || kindNo === 5) [stride, what] = [12, 'member #'];
  else if (kindNo === 6) [stride, what] = [8, 'value #'];
  else if (kindNo === 19) [stride, what] = [12, 'value #'];
  else if (kindNo === 13) [stride, what, first] = [8, 'arg #', 1];
  for (let j = 0; stride !== 0 && j < vlen; j++) {
    const off = view.getUint32(cur + 12 + j * stride, le);
    if (!names.has(off)) throw bad(`${kind} ${name === '' ? '(anon)' : name} ${what}${j + first} Invalid name_offset:${off}`);
  }
  return 12 + extra;
}
