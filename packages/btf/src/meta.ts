import type { ErrnoName } from '@bpfkit/uapi';
import { BtfCheckError, type BtfVerifierEnv } from './env.js';
import { BTF_KIND_MAX, BTF_KIND_NAMES, BTF_MAX_TYPE } from './kinds.js';
import { TypeSection } from './type-section.js';
import type { BtfComposite, BtfDatasec, BtfEnum, BtfEnum64, BtfType } from './types.js';

const BTF_INFO_MASK = 0x9f00ffff;
const BTF_INT_MASK = 0x0fffffff;

/**
 * Reads one type after another like `btf_check_all_metas`, checking each kind's `check_meta`,
 * and records where each type starts: the types are then read in place ({@link TypeSection}).
 */
export function checkAllMetas(env: BtfVerifierEnv, view: DataView, start: number, end: number, le: boolean): void {
  env.logTypeId = env.startId;
  const offsets = new Uint32Array(Math.floor((end - start) / 12) + 1);
  const meta = new MetaReader(env, view, le, offsets);
  let cur = start;
  while (cur < end) {
    offsets[meta.count] = cur;
    const size = meta.check(cur, end - cur);
    meta.count++;
    if (env.logTypeId >= BTF_MAX_TYPE) {
      env.section = meta.section();
      throw env.fail('Exceeded max num of types', 'E2BIG');
    }
    cur += size;
    env.logTypeId++;
  }
  env.section = meta.section();
}

class MetaReader {
  count = 0;

  constructor(
    readonly env: BtfVerifierEnv,
    readonly view: DataView,
    readonly le: boolean,
    readonly offsets: Uint32Array,
  ) {}

  section(): TypeSection {
    return new TypeSection(this.view, this.le, this.offsets.subarray(0, this.count));
  }

  /** The record being checked as an object, for a log line or an error (its vlen already known to fit). */
  current(): BtfType {
    const env = this.env;
    env.section = new TypeSection(this.view, this.le, this.offsets.subarray(0, this.count + 1));
    const t = env.typeById(env.logTypeId);
    if (t === undefined) throw new RangeError(`type ${env.logTypeId} not recorded`);
    return t;
  }

  failType(msg: string, code: ErrnoName = 'EINVAL', details = true): BtfCheckError {
    return this.env.failType(this.current(), msg, code, details);
  }

  failMember(j: number, msg: string): BtfCheckError {
    const s = this.current() as BtfComposite;
    const m = s.members[j];
    if (m === undefined) throw new RangeError(`member ${j} of type ${s.id} not recorded`);
    return this.env.failMember(s, m, msg);
  }

  logType(): void {
    if (this.env.log.enabled) this.env.logType(this.current());
  }

  u32(off: number): number {
    return this.view.getUint32(off, this.le);
  }

  /** One kind's `check_meta`; returns the record's size. */
  check(cur: number, metaLeft: number): number {
    const env = this.env;
    const id = env.logTypeId;
    if (metaLeft < 12) throw env.fail(`[${id}] meta_left:${metaLeft} meta_needed:12`);
    const nameOff = this.u32(cur);
    const info = this.u32(cur + 4);
    const sizeType = this.u32(cur + 8);
    if ((info & ~BTF_INFO_MASK) >>> 0 !== 0) throw env.fail(`[${id}] Invalid btf_info:${info.toString(16)}`);
    const kindNo = (info >>> 24) & 0x1f;
    if (kindNo > BTF_KIND_MAX || kindNo === 0) throw env.fail(`[${id}] Invalid kind:${kindNo}`);
    if (!env.nameOffsetValid(nameOff)) throw env.fail(`[${id}] Invalid name_offset:${nameOff}`);
    const vlen = info & 0xffff;
    const kflag = info >>> 31 === 1;
    const left = metaLeft - 12;
    const kind = BTF_KIND_NAMES[kindNo] ?? 'UNKNOWN';
    const extra = cur + 12;
    let metaSize = 0;
    let logged = false;
    switch (kindNo) {
      case 1: {
        if (left < 4) metaShort(env, id, kind, nameOff, left, 4);
        const data = this.u32(extra);
        if (vlen !== 0) throw this.failType('vlen != 0');
        if (kflag) throw this.failType('Invalid btf_info kind_flag');
        if ((data & ~BTF_INT_MASK) >>> 0 !== 0) throw this.failType(`Invalid int_data:${data.toString(16)}`, 'EINVAL', false);
        const nrBits = (data & 0xff) + ((data >>> 16) & 0xff);
        if (nrBits > 128) throw this.failType('nr_bits exceeds 128');
        if ((nrBits + 7) >>> 3 > sizeType) throw this.failType('nr_bits exceeds type_size');
        const encoding = (data >>> 24) & 0x0f;
        if (encoding !== 0 && encoding !== 1 && encoding !== 2 && encoding !== 4) throw this.failType('Unsupported encoding', 'ENOTSUPP');
        metaSize = 4;
        break;
      }
      case 2:
      case 8:
      case 9:
      case 10:
      case 11:
      case 18: {
        if (vlen !== 0) throw this.failType('vlen != 0');
        if (kflag && kindNo !== 18) throw this.failType('Invalid btf_info kind_flag');
        if (sizeType > BTF_MAX_TYPE) throw this.failType('Invalid type_id');
        if (kindNo === 8) {
          if (nameOff === 0 || !env.validIdentifier(nameOff)) throw this.failType('Invalid name');
        } else if (kindNo === 18) {
          if (!env.nonEmpty(nameOff)) throw this.failType('Invalid name');
        } else if (nameOff !== 0) {
          throw this.failType('Invalid name');
        }
        break;
      }
      case 3: {
        if (left < 12) metaShort(env, id, kind, nameOff, left, 12);
        const elem = this.u32(extra);
        const index = this.u32(extra + 4);
        if (nameOff !== 0) throw this.failType('Invalid name');
        if (vlen !== 0) throw this.failType('vlen != 0');
        if (kflag) throw this.failType('Invalid btf_info kind_flag');
        if (sizeType !== 0) throw this.failType('size != 0');
        if (elem === 0 || elem > BTF_MAX_TYPE) throw this.failType('Invalid elem');
        if (index === 0 || index > BTF_MAX_TYPE) throw this.failType('Invalid index');
        metaSize = 12;
        break;
      }
      case 4:
      case 5: {
        metaSize = vlen * 12;
        if (left < metaSize) metaShort(env, id, kind, nameOff, left, metaSize);
        if (nameOff !== 0 && !env.validIdentifier(nameOff)) throw this.failType('Invalid name');
        this.logType();
        let lastOffset = 0;
        for (let j = 0; j < vlen; j++) {
          const o = extra + j * 12;
          const mName = this.u32(o);
          const mType = this.u32(o + 4);
          const raw = this.u32(o + 8);
          if (!env.nameOffsetValid(mName)) throw this.failMember(j, `Invalid member name_offset:${mName}`);
          if (mName !== 0 && !env.validIdentifier(mName)) throw this.failMember(j, 'Invalid name');
          if (mType === 0 || mType > BTF_MAX_TYPE) throw this.failMember(j, 'Invalid type_id');
          const off = kflag ? raw & 0xffffff : raw;
          if (kindNo === 5 && off !== 0) throw this.failMember(j, 'Invalid member bits_offset');
          if (lastOffset > off) throw this.failMember(j, 'Invalid member bits_offset');
          if (Math.floor((off + 7) / 8) > sizeType) throw this.failMember(j, 'Member bits_offset exceeds its struct size');
          if (env.log.enabled) {
            const s = this.current() as BtfComposite;
            const m = s.members[j];
            if (m !== undefined) env.logMember(s, m);
          }
          lastOffset = off;
        }
        logged = true;
        break;
      }
      case 6:
      case 19: {
        const rec = kindNo === 19 ? 12 : 8;
        metaSize = vlen * rec;
        if (left < metaSize) metaShort(env, id, kind, nameOff, left, metaSize);
        if (sizeType > 8 || sizeType === 0 || (sizeType & (sizeType - 1)) !== 0) throw this.failType('Unexpected size');
        if (nameOff !== 0 && !env.validIdentifier(nameOff)) throw this.failType('Invalid name');
        this.logType();
        for (let j = 0; j < vlen; j++) {
          const n = this.u32(extra + j * rec);
          if (!env.nameOffsetValid(n)) {
            const line = `\tInvalid name_offset:${n}`;
            env.log.fail(line, `${env.typeLine(this.current(), true)} Invalid name_offset:${n}`);
            throw new BtfCheckError('EINVAL');
          }
          if (n === 0 || !env.validIdentifier(n)) throw this.failType('Invalid name');
          if (env.log.enabled) {
            const t = this.current() as BtfEnum | BtfEnum64;
            const v = t.values[j];
            if (v !== undefined) env.log.write(`\t${env.logName(v.nameOff)} val=${String(v.value)}\n`);
          }
        }
        logged = true;
        break;
      }
      case 7: {
        if (vlen !== 0) throw this.failType('vlen != 0');
        if (sizeType !== 0) throw this.failType('type != 0');
        if (nameOff === 0 || !env.validIdentifier(nameOff)) throw this.failType('Invalid name');
        break;
      }
      case 12: {
        if (nameOff === 0 || !env.validIdentifier(nameOff)) throw this.failType('Invalid name');
        if (vlen > 1) throw this.failType('Invalid func linkage');
        if (kflag) throw this.failType('Invalid btf_info kind_flag');
        break;
      }
      case 13: {
        metaSize = vlen * 8;
        if (left < metaSize) metaShort(env, id, kind, nameOff, left, metaSize);
        if (nameOff !== 0) throw this.failType('Invalid name');
        if (kflag) throw this.failType('Invalid btf_info kind_flag');
        break;
      }
      case 14: {
        if (left < 4) metaShort(env, id, kind, nameOff, left, 4);
        const linkage = this.u32(extra);
        if (vlen !== 0) throw this.failType('vlen != 0');
        if (kflag) throw this.failType('Invalid btf_info kind_flag');
        if (nameOff === 0 || !env.validIdentifier(nameOff)) throw this.failType('Invalid name');
        if (sizeType === 0 || sizeType > BTF_MAX_TYPE) throw this.failType('Invalid type_id');
        if (linkage !== 0 && linkage !== 1) throw this.failType('Linkage not supported');
        metaSize = 4;
        break;
      }
      case 15: {
        metaSize = vlen * 12;
        if (left < metaSize) metaShort(env, id, kind, nameOff, left, metaSize);
        if (sizeType === 0) throw this.failType('size == 0');
        if (kflag) throw this.failType('Invalid btf_info kind_flag');
        if (nameOff === 0 || !env.validSection(nameOff)) throw this.failType('Invalid name');
        this.logType();
        let lastEnd = 0;
        let sum = 0;
        for (let j = 0; j < vlen; j++) {
          const o = extra + j * 12;
          const vType = this.u32(o);
          const vOff = this.u32(o + 4);
          const vSize = this.u32(o + 8);
          const fail = (msg: string): BtfCheckError => {
            const d = this.current() as BtfDatasec;
            const v = d.vars[j];
            if (v === undefined) throw new RangeError(`var ${j} of type ${d.id} not recorded`);
            return env.failVsi(d, v, msg);
          };
          if (vType === 0 || vType > BTF_MAX_TYPE) throw fail('Invalid type_id');
          if (vOff < lastEnd || vOff >= sizeType) throw fail('Invalid offset');
          if (vSize === 0 || vSize > sizeType) throw fail('Invalid size');
          lastEnd = vOff + vSize;
          if (lastEnd > sizeType) throw fail('Invalid offset+size');
          if (env.log.enabled) env.logVsi({ type: vType, offset: vOff, size: vSize });
          sum += vSize;
        }
        if (sizeType < sum) throw this.failType('Invalid btf_info size');
        logged = true;
        break;
      }
      case 16: {
        if (vlen !== 0) throw this.failType('vlen != 0');
        if (kflag) throw this.failType('Invalid btf_info kind_flag');
        if (sizeType !== 2 && sizeType !== 4 && sizeType !== 8 && sizeType !== 12 && sizeType !== 16) {
          throw this.failType('Invalid type_size');
        }
        break;
      }
      case 17: {
        if (left < 4) metaShort(env, id, kind, nameOff, left, 4);
        const componentIdx = this.view.getInt32(extra, this.le);
        if (!env.nonEmpty(nameOff)) throw this.failType('Invalid value');
        if (vlen !== 0) throw this.failType('vlen != 0');
        if (componentIdx < -1) throw this.failType('Invalid component_idx');
        metaSize = 4;
        break;
      }
      default:
        throw env.fail(`[${id}] Invalid kind:${kindNo}`);
    }
    if (!logged) this.logType();
    return 12 + metaSize;
  }
}

function metaShort(env: BtfVerifierEnv, id: number, kind: string, nameOff: number, left: number, needed: number): never {
  const line = `[${id}] ${kind} ${env.logName(nameOff)} meta_left:${left} meta_needed:${needed}`;
  env.log.fail(line + '\n', line);
  throw new BtfCheckError('EINVAL');
}
