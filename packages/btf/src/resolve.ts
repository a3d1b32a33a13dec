import type { ErrnoName } from '@bpfkit/uapi';
import { BtfCheckError, type BtfVerifierEnv, isCompositeNo, isModifierNo, isResolveSourceOnlyNo, needsResolveNo, noSizeKind } from './env.js';
import { BtfKind } from './kinds.js';
import type { BtfComposite, BtfDatasec } from './types.js';

// Second pass of the kernel's BTF verifier (`btf_check_all_types`): a depth-first walk with
// an explicit stack of at most MAX_RESOLVE_DEPTH vertices that detects loops and records
// every type's resolved id and size.

const MAX_RESOLVE_DEPTH = 32;
const U32_MAX = 0xffffffff;

const NOT_VISITED = 0;
const VISITED = 1;
const RESOLVED = 2;

type Mode = 'TBD' | 'PTR' | 'STRUCT_OR_ARRAY';
type Status = 0 | 'E2BIG' | 'EEXIST';

interface Vertex {
  readonly id: number;
  readonly kind: number;
  nextMember: number;
}

const K = BtfKind;

class Resolver {
  readonly stack: Vertex[] = [];
  mode: Mode = 'TBD';
  readonly visit: Uint8Array;

  constructor(readonly env: BtfVerifierEnv) {
    this.visit = new Uint8Array(env.count);
  }

  /** A type of kind `k` ends the walk in the current mode. */
  isSink(k: number): boolean {
    switch (this.mode) {
      case 'TBD':
        return !needsResolveNo(k);
      case 'PTR':
        return !(k === K.PTR || isModifierNo(k));
      case 'STRUCT_OR_ARRAY':
        return !(k === K.ARRAY || k === K.STRUCT || k === K.UNION || isModifierNo(k));
    }
  }

  isResolved(id: number): boolean {
    const start = this.env.startId;
    return id < start || this.visit[id - start] === RESOLVED;
  }

  push(id: number, kind: number): Status {
    if (this.stack.length === MAX_RESOLVE_DEPTH) return 'E2BIG';
    const start = this.env.startId;
    if (id < start || this.visit[id - start] !== NOT_VISITED) return 'EEXIST';
    this.visit[id - start] = VISITED;
    this.stack.push({ id, kind, nextMember: 0 });
    if (this.mode === 'TBD') {
      if (kind === K.PTR) this.mode = 'PTR';
      else if (kind === K.STRUCT || kind === K.UNION || kind === K.ARRAY) this.mode = 'STRUCT_OR_ARRAY';
    }
    return 0;
  }

  popResolved(resolvedId: number, resolvedSize: number): 0 {
    const v = this.stack.pop();
    if (v !== undefined) {
      const local = v.id - this.env.startId;
      this.env.resolvedIds[local] = resolvedId;
      this.env.resolvedSizes[local] = resolvedSize;
      this.visit[local] = RESOLVED;
    }
    return 0;
  }

  setNextMember(n: number): void {
    const top = this.stack[this.stack.length - 1];
    if (top !== undefined) top.nextMember = n;
  }

  /** Fails type `id` with `msg`, its log line built from the type's object. */
  failType(id: number, msg: string, code: ErrnoName = 'EINVAL', details = true): BtfCheckError {
    const t = this.env.typeById(id);
    if (t === undefined) return new BtfCheckError(code);
    return this.env.failType(t, msg, code, details);
  }

  failMember(structId: number, j: number, msg: string, type?: number): BtfCheckError {
    const s = this.env.typeById(structId) as BtfComposite;
    const m = s.members[j];
    if (m === undefined) return new BtfCheckError('EINVAL');
    return this.env.failMember(s, m, msg, type ?? m.type);
  }

  /** `btf_resolve`. */
  resolve(id: number, kind: number): void {
    const env = this.env;
    const saved = env.logTypeId;
    this.mode = 'TBD';
    let err: Status = this.push(id, kind);
    for (let v = this.stack.at(-1); err === 0 && v !== undefined; v = this.stack.at(-1)) {
      env.logTypeId = v.id;
      err = this.resolveOne(v);
    }
    env.logTypeId = id;
    if (err === 'E2BIG') throw this.failType(id, `Exceeded max resolving depth:${MAX_RESOLVE_DEPTH}`, 'E2BIG');
    if (err === 'EEXIST') throw this.failType(id, 'Loop detected', 'EEXIST');
    if (!this.resolveValid(id, kind)) throw this.failType(id, 'Invalid resolve state');
    env.logTypeId = saved;
  }

  resolveOne(v: Vertex): Status {
    switch (v.kind) {
      case K.TYPEDEF:
      case K.VOLATILE:
      case K.CONST:
      case K.RESTRICT:
      case K.TYPE_TAG:
      case K.PTR:
        return this.resolveRef(v, this.env.refOf(v.id), v.kind === K.PTR);
      case K.VAR:
        return this.resolveVar(v, this.env.refOf(v.id));
      case K.ARRAY:
        return this.resolveArray(v);
      case K.STRUCT:
      case K.UNION:
        return this.resolveStruct(v);
      case K.DATASEC:
        return this.resolveDatasec(v);
      case K.FUNC: {
        const proto = this.env.refOf(v.id);
        this.funcCheck(v.id, proto);
        return this.popResolved(proto, 0);
      }
      case K.DECL_TAG:
        return this.resolveDeclTag(v);
      default:
        throw this.failType(v.id, 'Unsupported resolve', 'EINVAL', false);
    }
  }

  /** `btf_modifier_resolve` and `btf_ptr_resolve`. */
  resolveRef(v: Vertex, nextId: number, isPtr: boolean): Status {
    const env = this.env;
    let nextKind = env.kindOf(nextId);
    if (nextKind < 0 || isResolveSourceOnlyNo(nextKind)) throw this.failType(v.id, 'Invalid type_id');
    if (!this.isSink(nextKind) && !this.isResolved(nextId)) return this.push(nextId, nextKind);
    if (isPtr && isModifierNo(nextKind)) {
      const rid = env.resolvedId(nextId);
      const rk = env.kindOf(rid);
      if (rk === K.PTR && !this.isSink(rk) && !this.isResolved(rid)) return this.push(rid, rk);
    }
    let id = env.sizedTypeId(nextId);
    if (id < 0) {
      id = nextId;
      if (this.isResolved(id)) {
        id = env.resolvedId(id);
        nextKind = env.kindOf(id);
      }
      if (nextKind !== 0 && nextKind !== K.FWD && nextKind !== K.FUNC_PROTO) throw this.failType(v.id, 'Invalid type_id');
    }
    return this.popResolved(id, 0);
  }

  /** `btf_var_resolve`. */
  resolveVar(v: Vertex, nextId: number): Status {
    const env = this.env;
    const nextKind = env.kindOf(nextId);
    if (nextKind < 0 || isResolveSourceOnlyNo(nextKind)) throw this.failType(v.id, 'Invalid type_id');
    if (!this.isSink(nextKind) && !this.isResolved(nextId)) return this.push(nextId, nextKind);
    if (isModifierNo(nextKind)) {
      const rid = env.resolvedId(nextId);
      const rk = env.kindOf(rid);
      if (rk === K.PTR && !this.isSink(rk) && !this.isResolved(rid)) return this.push(rid, rk);
    }
    const sizedId = env.sizedTypeId(nextId);
    if (sizedId < 0) throw this.failType(v.id, 'Invalid type_id');
    return this.popResolved(sizedId, 0);
  }

  resolveArray(v: Vertex): Status {
    const env = this.env;
    const local = v.id - env.startId;
    const elemId = env.section.word(local, 3);
    const indexId = env.section.word(local, 4);
    const nelems = env.section.word(local, 5);
    const indexKind = env.kindOf(indexId);
    if (indexKind < 0 || noSizeKind(indexKind) || isResolveSourceOnlyNo(indexKind)) throw this.failType(v.id, 'Invalid index');
    if (!this.isSink(indexKind) && !this.isResolved(indexId)) return this.push(indexId, indexKind);
    const idx = env.sizedTypeId(indexId);
    if (idx < 0 || env.kindOf(idx) !== K.INT || !intDataIsRegular(env.intData(idx))) throw this.failType(v.id, 'Invalid index');
    const elemKind = env.kindOf(elemId);
    if (elemKind < 0 || noSizeKind(elemKind) || isResolveSourceOnlyNo(elemKind)) throw this.failType(v.id, 'Invalid elem');
    if (!this.isSink(elemKind) && !this.isResolved(elemId)) return this.push(elemId, elemKind);
    const el = env.sizedTypeId(elemId);
    if (el < 0) throw this.failType(v.id, 'Invalid elem');
    if (env.kindOf(el) === K.INT && !intDataIsRegular(env.intData(el))) throw this.failType(v.id, 'Invalid array of int');
    const elSize = env.sizedSize(el);
    if (nelems !== 0 && elSize > Math.floor(U32_MAX / nelems)) throw this.failType(v.id, 'Array size overflows U32_MAX');
    return this.popResolved(el, elSize * nelems);
  }

  resolveStruct(v: Vertex): Status {
    const env = this.env;
    const local = v.id - env.startId;
    const vlen = env.section.vlen(local);
    if (v.nextMember !== 0) {
      const last = v.nextMember - 1;
      const lastType = env.section.word(local, 4 + 3 * last);
      if (env.kindOf(lastType) < 0 || !this.isResolved(lastType)) throw new BtfCheckError('EINVAL');
      this.checkMember(v.id, last, lastType);
    }
    for (let j = v.nextMember; j < vlen; j++) {
      const mType = env.section.word(local, 4 + 3 * j);
      const mk = env.kindOf(mType);
      if (mk < 0 || noSizeKind(mk) || isResolveSourceOnlyNo(mk)) throw this.failMember(v.id, j, 'Invalid member');
      if (!this.isSink(mk) && !this.isResolved(mType)) {
        this.setNextMember(j + 1);
        return this.push(mType, mk);
      }
      this.checkMember(v.id, j, mType);
    }
    return this.popResolved(0, 0);
  }

  resolveDatasec(v: Vertex): Status {
    const env = this.env;
    const local = v.id - env.startId;
    const vlen = env.section.vlen(local);
    this.mode = 'TBD';
    for (let j = v.nextMember; j < vlen; j++) {
      const vType = env.section.word(local, 3 + 3 * j);
      const vSize = env.section.word(local, 5 + 3 * j);
      const vk = env.kindOf(vType);
      if (vk !== K.VAR) throw this.failVsi(v.id, j, 'Not a VAR kind member');
      if (!this.isSink(vk) && !this.isResolved(vType)) {
        this.setNextMember(j + 1);
        return this.push(vType, vk);
      }
      const sized = env.sizedTypeId(env.refOf(vType));
      if (sized < 0) throw this.failVsi(v.id, j, 'Invalid type');
      if (vSize < env.sizedSize(sized)) throw this.failVsi(v.id, j, 'Invalid size');
    }
    return this.popResolved(0, 0);
  }

  failVsi(datasecId: number, j: number, msg: string): BtfCheckError {
    const d = this.env.typeById(datasecId) as BtfDatasec;
    const vsi = d.vars[j];
    if (vsi === undefined) return new BtfCheckError('EINVAL');
    return this.env.failVsi(d, vsi, msg);
  }

  resolveDeclTag(v: Vertex): Status {
    const env = this.env;
    const nextId = env.refOf(v.id);
    const componentIdx = env.section.signedWord(v.id - env.startId, 3);
    const nk = env.kindOf(nextId);
    const target = nk === K.FUNC || isCompositeNo(nk) || nk === K.VAR || nk === K.TYPEDEF;
    if (!target) throw this.failType(v.id, 'Invalid type_id');
    if (!this.isSink(nk) && !this.isResolved(nextId)) return this.push(nextId, nk);
    if (componentIdx !== -1) {
      if (nk === K.VAR || nk === K.TYPEDEF) throw this.failType(v.id, 'Invalid component_idx');
      let vlen = 0;
      if (isCompositeNo(nk)) vlen = env.vlenOf(nextId);
      else if (nk === K.FUNC) {
        const proto = env.refOf(nextId);
        vlen = env.kindOf(proto) === K.FUNC_PROTO ? env.vlenOf(proto) : 0;
      }
      if (componentIdx >= vlen) throw this.failType(v.id, 'Invalid component_idx');
    }
    return this.popResolved(nextId, 0);
  }

  /** `btf_func_check`. */
  funcCheck(id: number, protoId: number): void {
    const env = this.env;
    if (env.kindOf(protoId) !== K.FUNC_PROTO) throw this.failType(id, 'Invalid type_id');
    const n = env.vlenOf(protoId);
    for (let j = 0; j < n; j++) {
      if (env.param(protoId, j, 0) === 0 && env.param(protoId, j, 1) !== 0) throw this.failType(id, `Invalid arg#${j + 1}`);
    }
  }

  /** The kind's `check_member` / `check_kflag_member`. */
  checkMember(structId: number, j: number, memberType: number): void {
    // Called for every member of every struct: the message is only built for a failure.
    const msg = this.memberError(structId, j, memberType);
    if (msg !== undefined) throw this.failMember(structId, j, msg, memberType);
  }

  /** What {@link checkMember} refuses member `j` for (its type taken as `memberType`), or undefined. */
  memberError(structId: number, j: number, memberType: number): string | undefined {
    const env = this.env;
    const local = structId - env.startId;
    const kflag = env.section.kflag(local);
    const raw = env.section.word(local, 5 + 3 * j);
    const off = kflag ? raw & 0xffffff : raw;
    const bitfieldSize = kflag ? raw >>> 24 : 0;
    const structSize = env.section.sizeType(local);
    const mk = env.kindOf(memberType);
    if (isModifierNo(mk)) {
      const r = env.sizedTypeId(memberType);
      if (r < 0) return 'Invalid member';
      this.checkMember(structId, j, r);
      return undefined;
    }
    if (mk === K.INT) {
      const data = env.intData(memberType);
      const bits = data & 0xff;
      const bitsOffset = (data >>> 16) & 0xff;
      if (kflag) {
        if (!intDataIsRegular(data)) return 'Invalid member base type';
        let nrBits = bitfieldSize;
        if (nrBits === 0) {
          if ((off & 7) !== 0) return 'Invalid member offset';
          nrBits = bits;
        } else if (nrBits > bits) return 'Invalid member bitfield_size';
        return copyBitsError(nrBits + (off & 7), off >>> 3, structSize);
      }
      if (U32_MAX - off < bitsOffset) return 'bits_offset exceeds U32_MAX';
      const bitsOff = off + bitsOffset;
      return copyBitsError(bits + (bitsOff & 7), Math.floor(bitsOff / 8), structSize);
    }
    if (mk === K.ENUM || mk === K.ENUM64) {
      if (kflag) {
        let nrBits = bitfieldSize;
        if (nrBits === 0) {
          if ((off & 7) !== 0) return 'Member is not byte aligned';
          nrBits = 32;
        } else if (nrBits > 32) return 'Invalid member bitfield_size';
        if (structSize < Math.ceil((off + nrBits) / 8)) return 'Member exceeds struct_size';
        return undefined;
      }
      return sizedError(off, structSize, env.sizeOf(memberType));
    }
    if (kflag && bitfieldSize !== 0) {
      if (mk === K.PTR || mk === K.ARRAY || isCompositeNo(mk) || mk === K.FLOAT) return 'Invalid member bitfield_size';
    }
    switch (mk) {
      case K.PTR:
        return sizedError(off, structSize, 8);
      case K.ARRAY: {
        const sized = env.sizedTypeId(memberType);
        return sizedError(off, structSize, sized < 0 ? 0 : env.sizedSize(sized));
      }
      case K.STRUCT:
      case K.UNION:
        return sizedError(off, structSize, env.sizeOf(memberType));
      case K.FLOAT: {
        const size = env.sizeOf(memberType);
        const alignBits = Math.min(8, size) * 8;
        if (off % alignBits !== 0) return 'Member is not properly aligned';
        if (Math.floor(off / 8) + size > structSize) return 'Member exceeds struct_size';
        return undefined;
      }
      default:
        throw this.failType(structId, kflag ? 'Unsupported check_kflag_member' : 'Unsupported check_member', 'EINVAL', false);
    }
  }

  /** `btf_resolve_valid`. */
  resolveValid(id: number, kind: number): boolean {
    const env = this.env;
    if (!this.isResolved(id)) return false;
    if (isCompositeNo(kind) || kind === K.DATASEC) return env.resolvedId(id) === 0 && env.resolvedSize(id) === 0;
    if (kind === K.DECL_TAG || kind === K.FUNC) return env.resolvedId(id) !== 0 && env.resolvedSize(id) === 0;
    if (isModifierNo(kind) || kind === K.PTR || kind === K.VAR) {
      const rk = env.kindOf(env.resolvedId(id));
      return rk >= 0 && !isModifierNo(rk) && rk !== K.VAR && rk !== K.DATASEC;
    }
    if (kind === K.ARRAY) {
      const el = env.sizedTypeId(env.refOf(id));
      if (el < 0 || isModifierNo(env.kindOf(el))) return false;
      const nelems = env.section.word(id - env.startId, 5);
      return (nelems * env.sizedSize(el)) % 2 ** 32 === env.resolvedSize(id);
    }
    return false;
  }

  /** `btf_func_proto_check` of own type `id`. */
  funcProtoCheck(id: number): void {
    const env = this.env;
    const ret = env.refOf(id);
    if (ret !== 0) {
      const rk = env.kindOf(ret);
      if (rk < 0 || isResolveSourceOnlyNo(rk)) throw this.failType(id, 'Invalid return type');
      if (needsResolveNo(rk) && !this.isResolved(ret)) this.resolve(ret, rk);
      if (env.sizedTypeId(ret) < 0) throw this.failType(id, 'Invalid return type');
    }
    let nr = env.vlenOf(id);
    if (nr === 0) return;
    if (env.param(id, nr - 1, 1) === 0) {
      if (env.param(id, nr - 1, 0) !== 0) throw this.failType(id, `Invalid arg#${nr}`);
      nr--;
    }
    for (let j = 0; j < nr; j++) {
      const pType = env.param(id, j, 1);
      const pName = env.param(id, j, 0);
      const pk = env.kindOf(pType);
      if (pk < 0 || isResolveSourceOnlyNo(pk)) throw this.failType(id, `Invalid arg#${j + 1}`);
      if (pName !== 0 && (!env.nameOffsetValid(pName) || !env.validIdentifier(pName))) {
        throw this.failType(id, `Invalid arg#${j + 1}`);
      }
      if (needsResolveNo(pk) && !this.isResolved(pType)) this.resolve(pType, pk);
      if (env.sizedTypeId(pType) < 0) throw this.failType(id, `Invalid arg#${j + 1}`);
    }
  }
}

function copyBitsError(nrCopyBits: number, bytesOffset: number, structSize: number): string | undefined {
  if (nrCopyBits > 128) return 'nr_copy_bits exceeds 128';
  if (structSize < bytesOffset || structSize - bytesOffset < Math.ceil(nrCopyBits / 8)) return 'Member exceeds struct_size';
  return undefined;
}

/** A member of a sized kind: byte aligned and inside the struct. */
function sizedError(off: number, structSize: number, size: number): string | undefined {
  if ((off & 7) !== 0) return 'Member is not byte aligned';
  if ((structSize - Math.floor(off / 8)) >>> 0 < size) return 'Member exceeds struct_size';
  return undefined;
}

/** `btf_type_int_is_regular` of an INT's data word: a whole u8/u16/u32/u64/u128 with no bit offset. */
function intDataIsRegular(data: number): boolean {
  const bits = data & 0xff;
  const bytes = Math.ceil(bits / 8);
  return (bits & 7) === 0 && ((data >>> 16) & 0xff) === 0 && (bytes === 1 || bytes === 2 || bytes === 4 || bytes === 8 || bytes === 16);
}

/** Runs the kernel's CHECK_TYPE phase over every own type. */
export function checkAllTypes(env: BtfVerifierEnv): void {
  const n = env.count;
  env.resolvedIds = new Uint32Array(n);
  env.resolvedSizes = new Uint32Array(n);
  env.checkingTypes = true;
  const r = new Resolver(env);
  const start = env.startId;
  const section = env.section;
  for (let i = 0; i < n; i++) {
    const id = start + i;
    const k = section.kind(i);
    env.logTypeId = id;
    if (needsResolveNo(k) && !r.isResolved(id)) r.resolve(id, k);
    if (k === BtfKind.FUNC_PROTO) r.funcProtoCheck(id);
  }
}

/** `btf_check_type_tags`: type tags must come before other modifiers in any chain. */
export function checkTypeTags(env: BtfVerifierEnv): void {
  const start = env.startId;
  const n = start + env.count;
  let goodId = start - 1;
  for (let i = start; i < n; i++) {
    let k = env.kindOf(i);
    if (k < 0) throw new BtfCheckError('EINVAL');
    if (!isModifierNo(k)) continue;
    let chainLimit = 32;
    let inTags = k === BtfKind.TYPE_TAG;
    let cur = i;
    while (isModifierNo(k)) {
      if (chainLimit-- === 0) throw env.fail('Max chain length or cycle detected', 'ELOOP');
      if (k === BtfKind.TYPE_TAG) {
        if (!inTags) throw env.fail("Type tags don't precede modifiers");
      } else if (inTags) inTags = false;
      if (cur <= goodId) break;
      cur = env.refOf(cur);
      k = env.kindOf(cur);
      if (k < 0) throw new BtfCheckError('EINVAL');
    }
    goodId = i;
  }
}
