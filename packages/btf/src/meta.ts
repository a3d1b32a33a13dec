import { BtfCheckError, type BtfVerifierEnv } from './env.js';
import { BTF_KIND_MAX, BTF_KIND_NAMES, BTF_MAX_TYPE } from './kinds.js';
import type { BtfEnum64Value, BtfEnumValue, BtfMember, BtfParam, BtfType, BtfVarSecinfo } from './types.js';

const BTF_INFO_MASK = 0x9f00ffff;
const BTF_INT_MASK = 0x0fffffff;

/** Reads one type after another like `btf_check_all_metas`, checking each kind's `check_meta`. */
export function checkAllMetas(env: BtfVerifierEnv, view: DataView, start: number, end: number, le: boolean): void {
  env.logTypeId = env.startId;
  let cur = start;
  while (cur < end) {
    const size = checkMeta(env, view, cur, end - cur, le);
    if (env.logTypeId >= BTF_MAX_TYPE) throw env.fail('Exceeded max num of types', 'E2BIG');
    cur += size;
    env.logTypeId++;
  }
}

const nameCache = new WeakMap<BtfVerifierEnv, Map<number, string>>();

function str(env: BtfVerifierEnv, off: number): string {
  if (off === 0) return '';
  const ascii = env.ownAsciiName(off);
  if (ascii !== undefined) return ascii;
  let cache = nameCache.get(env);
  if (cache === undefined) {
    cache = new Map();
    nameCache.set(env, cache);
  }
  const hit = cache.get(off);
  if (hit !== undefined) return hit;
  const loc = env.strLocation(off);
  if (loc === undefined) return '';
  const [b, p] = loc;
  const e = b.indexOf(0, p);
  const s = decode(b, p, e < 0 ? b.length : e);
  cache.set(off, s);
  return s;
}

const utf8 = new TextDecoder();
function decode(b: Uint8Array, p: number, e: number): string {
  for (let i = p; i < e; i++) if ((b[i] ?? 0) >= 0x80) return utf8.decode(b.subarray(p, e));
  return e - p < 128 ? String.fromCharCode(...b.subarray(p, e)) : utf8.decode(b.subarray(p, e));
}

function metaShort(env: BtfVerifierEnv, id: number, kind: string, nameOff: number, left: number, needed: number): never {
  const line = `[${id}] ${kind} ${env.logName(nameOff)} meta_left:${left} meta_needed:${needed}`;
  env.log.fail(line + '\n', line);
  throw new BtfCheckError('EINVAL');
}

function checkMeta(env: BtfVerifierEnv, view: DataView, cur: number, metaLeft: number, le: boolean): number {
  const id = env.logTypeId;
  if (metaLeft < 12) throw env.fail(`[${id}] meta_left:${metaLeft} meta_needed:12`);
  const nameOff = view.getUint32(cur, le);
  const info = view.getUint32(cur + 4, le);
  const sizeType = view.getUint32(cur + 8, le);
  if ((info & ~BTF_INFO_MASK) >>> 0 !== 0) throw env.fail(`[${id}] Invalid btf_info:${info.toString(16)}`);
  const kindNo = (info >>> 24) & 0x1f;
  if (kindNo > BTF_KIND_MAX || kindNo === 0) throw env.fail(`[${id}] Invalid kind:${kindNo}`);
  if (!env.nameOffsetValid(nameOff)) throw env.fail(`[${id}] Invalid name_offset:${nameOff}`);
  const vlen = info & 0xffff;
  const kflag = info >>> 31 === 1;
  const left = metaLeft - 12;
  const kind = BTF_KIND_NAMES[kindNo] ?? 'UNKNOWN';
  const name = nameOff === 0 ? '' : str(env, nameOff);
  const extra = cur + 12;
  let t: BtfType;
  let metaSize = 0;
  let logged = false;
  switch (kindNo) {
    case 1: {
      if (left < 4) metaShort(env, id, kind, nameOff, left, 4);
      const data = view.getUint32(extra, le);
      t = { id, name, nameOff, kind: 'INT', size: sizeType, encoding: (data >>> 24) & 0x0f, bitsOffset: (data >>> 16) & 0xff, bits: data & 0xff };
      if (vlen !== 0) throw env.failType(t, 'vlen != 0');
      if (kflag) throw env.failType(t, 'Invalid btf_info kind_flag');
      if ((data & ~BTF_INT_MASK) >>> 0 !== 0) throw env.failType(t, `Invalid int_data:${data.toString(16)}`, 'EINVAL', false);
      const nrBits = t.bits + t.bitsOffset;
      if (nrBits > 128) throw env.failType(t, 'nr_bits exceeds 128');
      if ((nrBits + 7) >>> 3 > t.size) throw env.failType(t, 'nr_bits exceeds type_size');
      if (t.encoding !== 0 && t.encoding !== 1 && t.encoding !== 2 && t.encoding !== 4) {
        throw env.failType(t, 'Unsupported encoding', 'ENOTSUPP');
      }
      metaSize = 4;
      break;
    }
    case 2:
    case 8:
    case 9:
    case 10:
    case 11:
    case 18: {
      t = kindNo === 2 ? { id, name, nameOff, kind: 'PTR', type: sizeType } : { id, name, nameOff, kind: kind as 'TYPEDEF', type: sizeType, kflag };
      if (vlen !== 0) throw env.failType(t, 'vlen != 0');
      if (kflag && kindNo !== 18) throw env.failType(t, 'Invalid btf_info kind_flag');
      if (sizeType > BTF_MAX_TYPE) throw env.failType(t, 'Invalid type_id');
      if (kindNo === 8) {
        if (nameOff === 0 || !env.validIdentifier(nameOff)) throw env.failType(t, 'Invalid name');
      } else if (kindNo === 18) {
        if (!env.nonEmpty(nameOff)) throw env.failType(t, 'Invalid name');
      } else if (nameOff !== 0) {
        throw env.failType(t, 'Invalid name');
      }
      break;
    }
    case 3: {
      if (left < 12) metaShort(env, id, kind, nameOff, left, 12);
      t = { id, name, nameOff, kind: 'ARRAY', type: view.getUint32(extra, le), indexType: view.getUint32(extra + 4, le), nelems: view.getUint32(extra + 8, le) };
      if (nameOff !== 0) throw env.failType(t, 'Invalid name');
      if (vlen !== 0) throw env.failType(t, 'vlen != 0');
      if (kflag) throw env.failType(t, 'Invalid btf_info kind_flag');
      if (sizeType !== 0) throw env.failType(t, 'size != 0');
      if (t.type === 0 || t.type > BTF_MAX_TYPE) throw env.failType(t, 'Invalid elem');
      if (t.indexType === 0 || t.indexType > BTF_MAX_TYPE) throw env.failType(t, 'Invalid index');
      metaSize = 12;
      break;
    }
    case 4:
    case 5: {
      metaSize = vlen * 12;
      if (left < metaSize) metaShort(env, id, kind, nameOff, left, metaSize);
      const members: BtfMember[] = new Array<BtfMember>(vlen);
      for (let i = 0; i < vlen; i++) {
        const o = extra + i * 12;
        const mName = view.getUint32(o, le);
        const raw = view.getUint32(o + 8, le);
        members[i] = {
          name: mName === 0 ? '' : str(env, mName),
          nameOff: mName,
          type: view.getUint32(o + 4, le),
          bitsOffset: kflag ? raw & 0xffffff : raw,
          bitfieldSize: kflag ? raw >>> 24 : 0,
        };
      }
      const s = { id, name, nameOff, kind: kindNo === 4 ? ('STRUCT' as const) : ('UNION' as const), size: sizeType, kflag, members };
      t = s;
      if (nameOff !== 0 && !env.validIdentifier(nameOff)) throw env.failType(t, 'Invalid name');
      env.logType(t);
      let lastOffset = 0;
      for (const m of members) {
        if (!env.nameOffsetValid(m.nameOff)) throw env.failMember(s, m, `Invalid member name_offset:${m.nameOff}`);
        if (m.nameOff !== 0 && !env.validIdentifier(m.nameOff)) throw env.failMember(s, m, 'Invalid name');
        if (m.type === 0 || m.type > BTF_MAX_TYPE) throw env.failMember(s, m, 'Invalid type_id');
        const off = m.bitsOffset;
        if (kindNo === 5 && off !== 0) throw env.failMember(s, m, 'Invalid member bits_offset');
        if (lastOffset > off) throw env.failMember(s, m, 'Invalid member bits_offset');
        if (Math.floor((off + 7) / 8) > sizeType) throw env.failMember(s, m, 'Member bits_offset exceeds its struct size');
        env.logMember(s, m);
        lastOffset = off;
      }
      logged = true;
      break;
    }
    case 6:
    case 19: {
      const is64 = kindNo === 19;
      const rec = is64 ? 12 : 8;
      metaSize = vlen * rec;
      if (left < metaSize) metaShort(env, id, kind, nameOff, left, metaSize);
      if (is64) {
        const values: BtfEnum64Value[] = new Array<BtfEnum64Value>(vlen);
        for (let i = 0; i < vlen; i++) {
          const o = extra + i * 12;
          const lo = BigInt(view.getUint32(o + 4, le));
          const hi = BigInt(view.getUint32(o + 8, le));
          const u = (hi << 32n) | lo;
          const n = view.getUint32(o, le);
          values[i] = { name: n === 0 ? '' : str(env, n), nameOff: n, value: kflag ? BigInt.asIntN(64, u) : u };
        }
        t = { id, name, nameOff, kind: 'ENUM64', size: sizeType, signed: kflag, values };
      } else {
        const values: BtfEnumValue[] = new Array<BtfEnumValue>(vlen);
        for (let i = 0; i < vlen; i++) {
          const o = extra + i * 8;
          const n = view.getUint32(o, le);
          values[i] = { name: n === 0 ? '' : str(env, n), nameOff: n, value: kflag ? view.getInt32(o + 4, le) : view.getUint32(o + 4, le) };
        }
        t = { id, name, nameOff, kind: 'ENUM', size: sizeType, signed: kflag, values };
      }
      if (sizeType > 8 || sizeType === 0 || (sizeType & (sizeType - 1)) !== 0) throw env.failType(t, 'Unexpected size');
      if (nameOff !== 0 && !env.validIdentifier(nameOff)) throw env.failType(t, 'Invalid name');
      env.logType(t);
      for (const v of t.values) {
        if (!env.nameOffsetValid(v.nameOff)) {
          const line = `\tInvalid name_offset:${v.nameOff}`;
          env.log.fail(line, `${env.typeLine(t, true)} Invalid name_offset:${v.nameOff}`);
          throw new BtfCheckError('EINVAL');
        }
        if (v.nameOff === 0 || !env.validIdentifier(v.nameOff)) throw env.failType(t, 'Invalid name');
        if (env.log.enabled) env.log.write(`\t${env.logName(v.nameOff)} val=${String(v.value)}\n`);
      }
      logged = true;
      break;
    }
    case 7: {
      t = { id, name, nameOff, kind: 'FWD', union: kflag };
      if (vlen !== 0) throw env.failType(t, 'vlen != 0');
      if (sizeType !== 0) throw env.failType(t, 'type != 0');
      if (nameOff === 0 || !env.validIdentifier(nameOff)) throw env.failType(t, 'Invalid name');
      break;
    }
    case 12: {
      t = { id, name, nameOff, kind: 'FUNC', type: sizeType, linkage: vlen };
      if (nameOff === 0 || !env.validIdentifier(nameOff)) throw env.failType(t, 'Invalid name');
      if (vlen > 1) throw env.failType(t, 'Invalid func linkage');
      if (kflag) throw env.failType(t, 'Invalid btf_info kind_flag');
      break;
    }
    case 13: {
      metaSize = vlen * 8;
      if (left < metaSize) metaShort(env, id, kind, nameOff, left, metaSize);
      const params: BtfParam[] = new Array<BtfParam>(vlen);
      for (let i = 0; i < vlen; i++) {
        const o = extra + i * 8;
        const n = view.getUint32(o, le);
        params[i] = { name: env.nameOffsetValid(n) && n !== 0 ? str(env, n) : '', nameOff: n, type: view.getUint32(o + 4, le) };
      }
      t = { id, name, nameOff, kind: 'FUNC_PROTO', type: sizeType, params };
      if (nameOff !== 0) throw env.failType(t, 'Invalid name');
      if (kflag) throw env.failType(t, 'Invalid btf_info kind_flag');
      break;
    }
    case 14: {
      if (left < 4) metaShort(env, id, kind, nameOff, left, 4);
      t = { id, name, nameOff, kind: 'VAR', type: sizeType, linkage: view.getUint32(extra, le) };
      if (vlen !== 0) throw env.failType(t, 'vlen != 0');
      if (kflag) throw env.failType(t, 'Invalid btf_info kind_flag');
      if (nameOff === 0 || !env.validIdentifier(nameOff)) throw env.failType(t, 'Invalid name');
      if (sizeType === 0 || sizeType > BTF_MAX_TYPE) throw env.failType(t, 'Invalid type_id');
      if (t.linkage !== 0 && t.linkage !== 1) throw env.failType(t, 'Linkage not supported');
      metaSize = 4;
      break;
    }
    case 15: {
      metaSize = vlen * 12;
      if (left < metaSize) metaShort(env, id, kind, nameOff, left, metaSize);
      const vars: BtfVarSecinfo[] = new Array<BtfVarSecinfo>(vlen);
      for (let i = 0; i < vlen; i++) {
        const o = extra + i * 12;
        vars[i] = { type: view.getUint32(o, le), offset: view.getUint32(o + 4, le), size: view.getUint32(o + 8, le) };
      }
      const d = { id, name, nameOff, kind: 'DATASEC' as const, size: sizeType, vars };
      t = d;
      if (sizeType === 0) throw env.failType(t, 'size == 0');
      if (kflag) throw env.failType(t, 'Invalid btf_info kind_flag');
      if (nameOff === 0 || !env.validSection(nameOff)) throw env.failType(t, 'Invalid name');
      env.logType(t);
      let lastEnd = 0;
      let sum = 0;
      for (const v of vars) {
        if (v.type === 0 || v.type > BTF_MAX_TYPE) throw env.failVsi(d, v, 'Invalid type_id');
        if (v.offset < lastEnd || v.offset >= sizeType) throw env.failVsi(d, v, 'Invalid offset');
        if (v.size === 0 || v.size > sizeType) throw env.failVsi(d, v, 'Invalid size');
        lastEnd = v.offset + v.size;
        if (lastEnd > sizeType) throw env.failVsi(d, v, 'Invalid offset+size');
        env.logVsi(v);
        sum += v.size;
      }
      if (sizeType < sum) throw env.failType(t, 'Invalid btf_info size');
      logged = true;
      break;
    }
    case 16: {
      t = { id, name, nameOff, kind: 'FLOAT', size: sizeType };
      if (vlen !== 0) throw env.failType(t, 'vlen != 0');
      if (kflag) throw env.failType(t, 'Invalid btf_info kind_flag');
      if (sizeType !== 2 && sizeType !== 4 && sizeType !== 8 && sizeType !== 12 && sizeType !== 16) {
        throw env.failType(t, 'Invalid type_size');
      }
      break;
    }
    case 17: {
      if (left < 4) metaShort(env, id, kind, nameOff, left, 4);
      t = { id, name, nameOff, kind: 'DECL_TAG', type: sizeType, componentIdx: view.getInt32(extra, le), kflag };
      if (!env.nonEmpty(nameOff)) throw env.failType(t, 'Invalid value');
      if (vlen !== 0) throw env.failType(t, 'vlen != 0');
      if (t.componentIdx < -1) throw env.failType(t, 'Invalid component_idx');
      metaSize = 4;
      break;
    }
    default:
      throw env.fail(`[${id}] Invalid kind:${kindNo}`);
  }
  if (!logged) env.logType(t);
  env.types.push(t);
  return 12 + metaSize;
}
