import { btfRecordExtraSize } from '@bpfkit/btf';
import type { FeatureProbes } from './probes.js';

const K = {
  INT: 1, PTR: 2, ARRAY: 3, STRUCT: 4, UNION: 5, ENUM: 6, FWD: 7, TYPEDEF: 8, VOLATILE: 9, CONST: 10, RESTRICT: 11,
  FUNC: 12, FUNC_PROTO: 13, VAR: 14, DATASEC: 15, FLOAT: 16, DECL_TAG: 17, TYPE_TAG: 18, ENUM64: 19,
} as const;

const infoOf = (kind: number, vlen: number, kflag = false): number => (((kflag ? 1 : 0) << 31) | (kind << 24) | vlen) >>> 0;

/** Which BTF kinds the kernel takes, from libbpf's FEAT_BTF_* probes. */
interface BtfSupport {
  readonly func: boolean;
  readonly funcGlobal: boolean;
  readonly datasec: boolean;
  readonly float: boolean;
  readonly declTag: boolean;
  readonly typeTag: boolean;
  readonly enum64: boolean;
}

function supportOf(f: FeatureProbes): BtfSupport {
  return {
    func: f.supports('BTF_FUNC'), funcGlobal: f.supports('BTF_GLOBAL_FUNC'), datasec: f.supports('BTF_DATASEC'), float: f.supports('BTF_FLOAT'),
    declTag: f.supports('BTF_DECL_TAG'), typeTag: f.supports('BTF_TYPE_TAG'), enum64: f.supports('BTF_ENUM64'),
  };
}

/**
 * libbpf's `bpf_object__sanitize_btf`, run only when a BTF probe failed
 * (`btf_needs_sanitization`): kinds the kernel lacks become ones it has, keeping sizes —
 * VAR and DECL_TAG a 1-byte INT, DATASEC a STRUCT (`.`/`?` in its name made `_`), FUNC_PROTO an
 * ENUM, FUNC a TYPEDEF (or a static FUNC without global funcs), FLOAT an empty anonymous
 * STRUCT, TYPE_TAG an anonymous CONST, ENUM64 a UNION of a 1-byte `enum64_placeholder` INT
 * (and ENUM's signedness kflag cleared). Returns the input itself when nothing is missing.
 *
 * @example
 * const kernelBtf = downgradeBtf(bytes, features); // what BPF_BTF_LOAD gets
 */
export function downgradeBtf(input: Uint8Array, features: FeatureProbes): Uint8Array {
  const has = supportOf(features);
  if (Object.values(has).every(Boolean)) return input;
  const src = input.slice();
  const v = new DataView(src.buffer);
  const hdrLen = v.getUint32(4, true);
  const typeOff = hdrLen + v.getUint32(8, true);
  const typeLen = v.getUint32(12, true);
  const strOff = hdrLen + v.getUint32(16, true);
  const strLen = v.getUint32(20, true);
  let placeholderName = -1;
  let placeholderId = 0;
  let count = 0;
  for (let p = typeOff; p + 12 <= typeOff + typeLen; count++) {
    const i = v.getUint32(p + 4, true);
    const kind = (i >>> 24) & 0x1f;
    const vlen = i & 0xffff;
    const next = p + 12 + btfRecordExtraSize(kind, vlen);
    if ((!has.datasec && kind === K.VAR) || (!has.declTag && kind === K.DECL_TAG)) {
      v.setUint32(p + 4, infoOf(K.INT, 0), true);
      v.setUint32(p + 8, 1, true);
      v.setUint32(p + 12, 8, true);
    } else if (!has.datasec && kind === K.DATASEC) {
      for (let s = strOff + v.getUint32(p, true); s < strOff + strLen && src[s] !== 0; s++) {
        if (src[s] === 0x2e || src[s] === 0x3f) src[s] = 0x5f;
      }
      v.setUint32(p + 4, infoOf(K.STRUCT, vlen), true);
      for (let j = 0; j < vlen; j++) {
        const m = p + 12 + j * 12;
        const varType = v.getUint32(m, true);
        v.setUint32(m + 8, v.getUint32(m + 4, true) * 8, true);
        v.setUint32(m + 4, varType, true);
        v.setUint32(m, nameOffOf(v, typeOff, typeLen, varType), true);
      }
    } else if (!has.func && kind === K.FUNC_PROTO) {
      v.setUint32(p + 4, infoOf(K.ENUM, vlen), true);
      v.setUint32(p + 8, 4, true);
    } else if (!has.func && kind === K.FUNC) {
      v.setUint32(p + 4, infoOf(K.TYPEDEF, 0), true);
    } else if (!has.funcGlobal && kind === K.FUNC) {
      v.setUint32(p + 4, infoOf(K.FUNC, 0), true);
    } else if (!has.float && kind === K.FLOAT) {
      v.setUint32(p, 0, true);
      v.setUint32(p + 4, infoOf(K.STRUCT, 0), true);
    } else if (!has.typeTag && kind === K.TYPE_TAG) {
      v.setUint32(p, 0, true);
      v.setUint32(p + 4, infoOf(K.CONST, 0), true);
    } else if (!has.enum64 && kind === K.ENUM) {
      v.setUint32(p + 4, infoOf(K.ENUM, vlen), true);
    } else if (!has.enum64 && kind === K.ENUM64) {
      if (placeholderId === 0) {
        placeholderName = strLen;
        placeholderId = countTypes(v, typeOff, typeLen) + 1;
      }
      v.setUint32(p + 4, infoOf(K.UNION, vlen, false), true);
      for (let j = 0; j < vlen; j++) {
        const m = p + 12 + j * 12;
        v.setUint32(m + 4, placeholderId, true);
        v.setUint32(m + 8, 0, true);
      }
    }
    p = next;
  }
  if (placeholderId === 0) return src;
  return appendPlaceholder(src, { hdrLen, typeOff, typeLen, strOff, strLen }, placeholderName);
}

function countTypes(v: DataView, typeOff: number, typeLen: number): number {
  let n = 0;
  for (let p = typeOff; p + 12 <= typeOff + typeLen; n++) {
    const i = v.getUint32(p + 4, true);
    p += 12 + btfRecordExtraSize((i >>> 24) & 0x1f, i & 0xffff);
  }
  return n;
}

function nameOffOf(v: DataView, typeOff: number, typeLen: number, id: number): number {
  let n = 1;
  for (let p = typeOff; p + 12 <= typeOff + typeLen; n++) {
    if (n === id) return v.getUint32(p, true);
    const i = v.getUint32(p + 4, true);
    p += 12 + btfRecordExtraSize((i >>> 24) & 0x1f, i & 0xffff);
  }
  return 0;
}

/** Appends `INT enum64_placeholder` (1 byte, 8 bits, unsigned) after the last type. */
function appendPlaceholder(src: Uint8Array, h: { hdrLen: number; typeOff: number; typeLen: number; strOff: number; strLen: number }, nameOff: number): Uint8Array {
  const name = new TextEncoder().encode('enum64_placeholder\0');
  const t = new Uint8Array(16);
  const tv = new DataView(t.buffer);
  tv.setUint32(0, nameOff, true);
  tv.setUint32(4, infoOf(K.INT, 0), true);
  tv.setUint32(8, 1, true);
  tv.setUint32(12, 8, true);
  const typeLen = h.typeLen + t.length;
  const strLen = h.strLen + name.length;
  const out = new Uint8Array(24 + typeLen + strLen);
  const ov = new DataView(out.buffer);
  out.set(src.subarray(0, 8));
  ov.setUint32(4, 24, true);
  ov.setUint32(8, 0, true);
  ov.setUint32(12, typeLen, true);
  ov.setUint32(16, typeLen, true);
  ov.setUint32(20, strLen, true);
  out.set(src.subarray(h.typeOff, h.typeOff + h.typeLen), 24);
  out.set(t, 24 + h.typeLen);
  out.set(src.subarray(h.strOff, h.strOff + h.strLen), 24 + typeLen);
  out.set(name, 24 + typeLen + h.strLen);
  return out;
}
