import type { ElfFile } from '@bpfkit/elf';

const KIND_INT = 1;
const KIND_ARRAY = 3;
const KIND_STRUCT = 4;
const KIND_UNION = 5;
const KIND_ENUM = 6;
const KIND_FUNC = 12;
const KIND_FUNC_PROTO = 13;
const KIND_VAR = 14;
const KIND_DATASEC = 15;
const KIND_DECL_TAG = 17;
const KIND_ENUM64 = 19;
const VAR_GLOBAL_ALLOCATED = 1;
const FUNC_GLOBAL = 1;
const FUNC_EXTERN = 2;
const HDR_LEN = 24;

/** Where the loader placed each `.kconfig` extern, to write into the DATASEC. */
export interface KconfigLayout {
  readonly offsets: ReadonlyMap<string, number>;
  readonly size: number;
}

interface TypeAt {
  readonly off: number;
  readonly kind: number;
  readonly vlen: number;
}

function extraBytes(kind: number, vlen: number): number {
  switch (kind) {
    case KIND_INT: case KIND_VAR: case KIND_DECL_TAG: return 4;
    case KIND_ARRAY: return 12;
    case KIND_STRUCT: case KIND_UNION: case KIND_DATASEC: case KIND_ENUM64: return vlen * 12;
    case KIND_ENUM: case KIND_FUNC_PROTO: return vlen * 8;
    default: return 0;
  }
}

/**
 * Makes clang's `.BTF` acceptable to the kernel the way libbpf does before BPF_BTF_LOAD:
 * DATASEC sizes and variable offsets from the ELF sections and symbols (sorted by
 * offset), `.kconfig` variables placed where the loader put them, `.ksyms` entries turned
 * into int-typed allocated variables (kfuncs through one added dummy VAR), extern FUNCs made
 * global, unnamed kfunc parameters named. Returns new bytes; the input is not changed.
 *
 * @example
 * const bytes = sanitizeObjectBtf(encodeBtf(spec.btf), readElf(obj), { offsets: new Map(), size: 0 });
 */
export function sanitizeObjectBtf(input: Uint8Array, elf: ElfFile, kconfig: KconfigLayout): Uint8Array {
  const src = input.slice();
  const v = new DataView(src.buffer);
  const hdrLen = v.getUint32(4, true);
  const typeOff = hdrLen + v.getUint32(8, true);
  const typeLen = v.getUint32(12, true);
  const strOff = hdrLen + v.getUint32(16, true);
  const strLen = v.getUint32(20, true);
  const strings = src.subarray(strOff, strOff + strLen);
  const str = (off: number): string => {
    const end = strings.indexOf(0, off);
    return new TextDecoder().decode(strings.subarray(off, end < 0 ? strings.length : end));
  };
  const types: (TypeAt | undefined)[] = [undefined];
  for (let p = typeOff; p + 12 <= typeOff + typeLen;) {
    const info = v.getUint32(p + 4, true);
    const kind = (info >>> 24) & 0x1f;
    const vlen = info & 0xffff;
    types.push({ off: p, kind, vlen });
    p += 12 + extraBytes(kind, vlen);
  }
  const symsBySection = new Map<number, Map<string, number>>();
  for (const y of elf.symbols) {
    const m = symsBySection.get(y.shndx) ?? new Map<string, number>();
    if (!m.has(y.name)) m.set(y.name, y.value);
    symsBySection.set(y.shndx, m);
  }
  const intId = types.findIndex((t) => t?.kind === KIND_INT && v.getUint32(t.off + 8, true) === 4);
  const dummyId = types.length;
  let needDummy = false;
  // FUNC keeps its linkage in vlen; VAR in the u32 after the common header.
  const setLinkage = (t: TypeAt, linkage: number): void => {
    if (t.kind === KIND_VAR) v.setUint32(t.off + 12, linkage, true);
    else v.setUint32(t.off + 4, ((v.getUint32(t.off + 4, true) & ~0xffff) | linkage) >>> 0, true);
  };

  for (const t of types) {
    if (t?.kind === KIND_FUNC && t.vlen === FUNC_EXTERN) setLinkage(t, FUNC_GLOBAL);
    if (t?.kind !== KIND_DATASEC) continue;
    const name = str(v.getUint32(t.off, true));
    const entries: { type: number; offset: number; size: number }[] = [];
    for (let i = 0; i < t.vlen; i++) {
      const e = t.off + 12 + i * 12;
      entries.push({ type: v.getUint32(e, true), offset: v.getUint32(e + 4, true), size: v.getUint32(e + 8, true) });
    }
    let size = v.getUint32(t.off + 8, true);
    if (name === '.kconfig') {
      size = kconfig.size;
      for (const e of entries) {
        const vt = types[e.type];
        if (vt?.kind !== KIND_VAR) continue;
        setLinkage(vt, VAR_GLOBAL_ALLOCATED);
        e.offset = kconfig.offsets.get(str(v.getUint32(vt.off, true))) ?? e.offset;
      }
    } else if (name === '.ksyms') {
      let off = 0;
      for (const e of entries) {
        const vt = types[e.type];
        if (vt?.kind === KIND_FUNC) {
          needDummy = true;
          e.type = dummyId;
          const proto = types[v.getUint32(vt.off + 8, true)];
          if (proto?.kind === KIND_FUNC_PROTO) {
            for (let i = 0; i < proto.vlen; i++) {
              const pOff = proto.off + 12 + i * 8;
              if (v.getUint32(pOff, true) === 0 && v.getUint32(pOff + 4, true) !== 0) v.setUint32(pOff, 0xffff_ffff, true);
            }
          }
        } else if (vt?.kind === KIND_VAR) {
          setLinkage(vt, VAR_GLOBAL_ALLOCATED);
          if (intId > 0) v.setUint32(vt.off + 8, intId, true);
        }
        e.offset = off;
        e.size = 4;
        off += 4;
      }
      size = off;
    } else {
      const sec = elf.sections.find((s) => s.name === name);
      if (sec !== undefined) {
        size = sec.size;
        const syms = symsBySection.get(sec.index);
        for (const e of entries) {
          const vt = types[e.type];
          const found = vt === undefined ? undefined : syms?.get(str(v.getUint32(vt.off, true)));
          if (found !== undefined) e.offset = found;
        }
      }
    }
    entries.sort((a, b) => a.offset - b.offset);
    v.setUint32(t.off + 8, size, true);
    entries.forEach((e, i) => {
      const p = t.off + 12 + i * 12;
      v.setUint32(p, e.type, true);
      v.setUint32(p + 4, e.offset, true);
      v.setUint32(p + 8, e.size, true);
    });
  }
  if (!needDummy) return src.slice(0, strOff + strLen);
  return appendDummyVar(src, { hdrLen, typeOff, typeLen, strOff, strLen }, intId > 0 ? intId : 0);
}

/** Adds `VAR dummy_ksym: int` (global allocated) and names every unnamed kfunc parameter after it. */
function appendDummyVar(src: Uint8Array, h: { hdrLen: number; typeOff: number; typeLen: number; strOff: number; strLen: number }, intId: number): Uint8Array {
  const name = new TextEncoder().encode('dummy_ksym\0');
  const nameOff = h.strLen;
  const types = src.slice(h.typeOff, h.typeOff + h.typeLen);
  const tv = new DataView(types.buffer);
  for (let p = 0; p + 12 <= types.length;) {
    const info = tv.getUint32(p + 4, true);
    const kind = (info >>> 24) & 0x1f;
    const vlen = info & 0xffff;
    if (kind === KIND_FUNC_PROTO) {
      for (let i = 0; i < vlen; i++) if (tv.getUint32(p + 12 + i * 8, true) === 0xffff_ffff) tv.setUint32(p + 12 + i * 8, nameOff, true);
    }
    p += 12 + extraBytes(kind, vlen);
  }
  const dummy = new Uint8Array(16);
  const dv = new DataView(dummy.buffer);
  dv.setUint32(0, nameOff, true);
  dv.setUint32(4, (KIND_VAR << 24) >>> 0, true);
  dv.setUint32(8, intId, true);
  dv.setUint32(12, VAR_GLOBAL_ALLOCATED, true);
  const typeLen = h.typeLen + dummy.length;
  const strLen = h.strLen + name.length;
  const out = new Uint8Array(HDR_LEN + typeLen + strLen);
  const ov = new DataView(out.buffer);
  out.set(src.subarray(0, 8));
  ov.setUint32(4, HDR_LEN, true);
  ov.setUint32(8, 0, true);
  ov.setUint32(12, typeLen, true);
  ov.setUint32(16, typeLen, true);
  ov.setUint32(20, strLen, true);
  out.set(types, HDR_LEN);
  out.set(dummy, HDR_LEN + h.typeLen);
  out.set(src.subarray(h.strOff, h.strOff + h.strLen), HDR_LEN + typeLen);
  out.set(name, HDR_LEN + typeLen + h.strLen);
  return out;
}
