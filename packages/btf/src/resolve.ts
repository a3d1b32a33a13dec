import { BtfCheckError, type BtfVerifierEnv, isComposite, isModifierKind, isResolveSourceOnly, needsResolve, noSize } from './env.js';
import type { BtfComposite, BtfFuncProto, BtfInt, BtfMember, BtfType } from './types.js';

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
  readonly t: BtfType;
  readonly id: number;
  nextMember: number;
}

class Resolver {
  readonly stack: Vertex[] = [];
  mode: Mode = 'TBD';
  readonly visit: Uint8Array;

  constructor(readonly env: BtfVerifierEnv) {
    this.visit = new Uint8Array(env.types.length);
  }

  isSink(next: BtfType): boolean {
    switch (this.mode) {
      case 'TBD':
        return !needsResolve(next);
      case 'PTR': {
        const k = next.kind;
        return !(k === 'PTR' || k === 'TYPEDEF' || k === 'VOLATILE' || k === 'CONST' || k === 'RESTRICT' || k === 'TYPE_TAG');
      }
      case 'STRUCT_OR_ARRAY': {
        const k = next.kind;
        return !(k === 'ARRAY' || k === 'STRUCT' || k === 'UNION' || k === 'TYPEDEF' || k === 'VOLATILE' || k === 'CONST' || k === 'RESTRICT' || k === 'TYPE_TAG');
      }
    }
  }

  isResolved(id: number): boolean {
    const start = this.env.startId;
    return id < start || this.visit[id - start] === RESOLVED;
  }

  push(t: BtfType, id: number): Status {
    if (this.stack.length === MAX_RESOLVE_DEPTH) return 'E2BIG';
    const start = this.env.startId;
    if (id < start || this.visit[id - start] !== NOT_VISITED) return 'EEXIST';
    this.visit[id - start] = VISITED;
    this.stack.push({ t, id, nextMember: 0 });
    if (this.mode === 'TBD') {
      const k = t.kind;
      if (k === 'PTR') this.mode = 'PTR';
      else if (k === 'STRUCT' || k === 'UNION' || k === 'ARRAY') this.mode = 'STRUCT_OR_ARRAY';
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

  /** `btf_resolve`. */
  resolve(t: BtfType, id: number): void {
    const env = this.env;
    const saved = env.logTypeId;
    this.mode = 'TBD';
    let err: Status = this.push(t, id);
    for (let v = this.stack.at(-1); err === 0 && v !== undefined; v = this.stack.at(-1)) {
      env.logTypeId = v.id;
      err = this.resolveOne(v);
    }
    env.logTypeId = id;
    if (err === 'E2BIG') throw env.failType(t, `Exceeded max resolving depth:${MAX_RESOLVE_DEPTH}`, 'E2BIG');
    if (err === 'EEXIST') throw env.failType(t, 'Loop detected', 'EEXIST');
    if (!this.resolveValid(t, id)) throw env.failType(t, 'Invalid resolve state');
    env.logTypeId = saved;
  }

  resolveOne(v: Vertex): Status {
    const t = v.t;
    switch (t.kind) {
      case 'TYPEDEF':
      case 'VOLATILE':
      case 'CONST':
      case 'RESTRICT':
      case 'TYPE_TAG':
      case 'PTR':
        return this.resolveRef(v, t.type, t.kind === 'PTR');
      case 'VAR':
        return this.resolveVar(v, t.type);
      case 'ARRAY':
        return this.resolveArray(v, t);
      case 'STRUCT':
      case 'UNION':
        return this.resolveStruct(v, t);
      case 'DATASEC':
        return this.resolveDatasec(v);
      case 'FUNC':
        this.funcCheck(t, t.type);
        return this.popResolved(t.type, 0);
      case 'DECL_TAG':
        return this.resolveDeclTag(v);
      default:
        throw this.env.failType(t, 'Unsupported resolve', 'EINVAL', false);
    }
  }

  /** `btf_modifier_resolve` and `btf_ptr_resolve`. */
  resolveRef(v: Vertex, nextId: number, isPtr: boolean): Status {
    const env = this.env;
    let next = env.typeById(nextId);
    if (next === undefined || isResolveSourceOnly(next)) throw env.failType(v.t, 'Invalid type_id');
    if (!this.isSink(next) && !this.isResolved(nextId)) return this.push(next, nextId);
    if (isPtr && isModifierKind(next)) {
      const rid = env.resolvedId(nextId);
      const rt = env.typeById(rid);
      if (rt !== undefined && rt.kind === 'PTR' && !this.isSink(rt) && !this.isResolved(rid)) return this.push(rt, rid);
    }
    let id = env.sizedTypeId(nextId);
    if (id < 0) {
      id = nextId;
      if (this.isResolved(id)) {
        id = env.resolvedId(id);
        next = env.typeById(id);
      }
      if (next === undefined || (next.kind !== 'VOID' && next.kind !== 'FWD' && next.kind !== 'FUNC_PROTO')) {
        throw env.failType(v.t, 'Invalid type_id');
      }
    }
    return this.popResolved(id, 0);
  }

  /** `btf_var_resolve`. */
  resolveVar(v: Vertex, nextId: number): Status {
    const env = this.env;
    const next = env.typeById(nextId);
    if (next === undefined || isResolveSourceOnly(next)) throw env.failType(v.t, 'Invalid type_id');
    if (!this.isSink(next) && !this.isResolved(nextId)) return this.push(next, nextId);
    if (isModifierKind(next)) {
      const rid = env.resolvedId(nextId);
      const rt = env.typeById(rid);
      if (rt !== undefined && rt.kind === 'PTR' && !this.isSink(rt) && !this.isResolved(rid)) return this.push(rt, rid);
    }
    const sizedId = env.sizedTypeId(nextId);
    if (sizedId < 0) throw env.failType(v.t, 'Invalid type_id');
    return this.popResolved(sizedId, 0);
  }

  resolveArray(v: Vertex, t: Extract<BtfType, { kind: 'ARRAY' }>): Status {
    const env = this.env;
    const index = env.typeById(t.indexType);
    if (index === undefined || noSize(index) || isResolveSourceOnly(index)) throw env.failType(t, 'Invalid index');
    if (!this.isSink(index) && !this.isResolved(t.indexType)) return this.push(index, t.indexType);
    const idx = env.typeIdSize(t.indexType);
    if (idx === undefined || idx.type.kind !== 'INT' || !intIsRegular(idx.type)) throw env.failType(t, 'Invalid index');
    const elem = env.typeById(t.type);
    if (elem === undefined || noSize(elem) || isResolveSourceOnly(elem)) throw env.failType(t, 'Invalid elem');
    if (!this.isSink(elem) && !this.isResolved(t.type)) return this.push(elem, t.type);
    const el = env.typeIdSize(t.type);
    if (el === undefined) throw env.failType(t, 'Invalid elem');
    if (el.type.kind === 'INT' && !intIsRegular(el.type)) throw env.failType(t, 'Invalid array of int');
    if (t.nelems !== 0 && el.size > Math.floor(U32_MAX / t.nelems)) throw env.failType(t, 'Array size overflows U32_MAX');
    return this.popResolved(el.id, el.size * t.nelems);
  }

  resolveStruct(v: Vertex, s: BtfComposite): Status {
    const env = this.env;
    if (v.nextMember !== 0) {
      const last = s.members[v.nextMember - 1];
      if (last !== undefined) {
        const lt = env.typeById(last.type);
        if (lt === undefined || !this.isResolved(last.type)) throw new BtfCheckError('EINVAL');
        this.checkMember(s, last, lt);
      }
    }
    for (let i = v.nextMember; i < s.members.length; i++) {
      const m = s.members[i];
      if (m === undefined) break;
      const mt = env.typeById(m.type);
      if (mt === undefined || noSize(mt) || isResolveSourceOnly(mt)) throw env.failMember(s, m, 'Invalid member');
      if (!this.isSink(mt) && !this.isResolved(m.type)) {
        this.setNextMember(i + 1);
        return this.push(mt, m.type);
      }
      this.checkMember(s, m, mt);
    }
    return this.popResolved(0, 0);
  }

  resolveDatasec(v: Vertex): Status {
    const env = this.env;
    const d = v.t as Extract<BtfType, { kind: 'DATASEC' }>;
    this.mode = 'TBD';
    for (let i = v.nextMember; i < d.vars.length; i++) {
      const vsi = d.vars[i];
      if (vsi === undefined) break;
      const vt = env.typeById(vsi.type);
      if (vt === undefined || vt.kind !== 'VAR') throw env.failVsi(d, vsi, 'Not a VAR kind member');
      if (!this.isSink(vt) && !this.isResolved(vsi.type)) {
        this.setNextMember(i + 1);
        return this.push(vt, vsi.type);
      }
      const sized = env.typeIdSize(vt.type);
      if (sized === undefined) throw env.failVsi(d, vsi, 'Invalid type');
      if (vsi.size < sized.size) throw env.failVsi(d, vsi, 'Invalid size');
    }
    return this.popResolved(0, 0);
  }

  resolveDeclTag(v: Vertex): Status {
    const env = this.env;
    const t = v.t as Extract<BtfType, { kind: 'DECL_TAG' }>;
    const next = env.typeById(t.type);
    const target = next !== undefined && (next.kind === 'FUNC' || isComposite(next) || next.kind === 'VAR' || next.kind === 'TYPEDEF');
    if (next === undefined || !target) throw env.failType(t, 'Invalid type_id');
    if (!this.isSink(next) && !this.isResolved(t.type)) return this.push(next, t.type);
    if (t.componentIdx !== -1) {
      if (next.kind === 'VAR' || next.kind === 'TYPEDEF') throw env.failType(t, 'Invalid component_idx');
      let vlen = 0;
      if (isComposite(next)) vlen = next.members.length;
      else if (next.kind === 'FUNC') {
        const proto = env.typeById(next.type);
        vlen = proto?.kind === 'FUNC_PROTO' ? proto.params.length : 0;
      }
      if (t.componentIdx >= vlen) throw env.failType(t, 'Invalid component_idx');
    }
    return this.popResolved(t.type, 0);
  }

  /** `btf_func_check`. */
  funcCheck(t: BtfType, protoId: number): void {
    const env = this.env;
    const proto = env.typeById(protoId);
    if (proto === undefined || proto.kind !== 'FUNC_PROTO') throw env.failType(t, 'Invalid type_id');
    for (let i = 0; i < proto.params.length; i++) {
      const p = proto.params[i];
      if (p !== undefined && p.nameOff === 0 && p.type !== 0) throw env.failType(t, `Invalid arg#${i + 1}`);
    }
  }

  /** The kind's `check_member` / `check_kflag_member`. */
  checkMember(s: BtfComposite, m: BtfMember, mt: BtfType, memberType = m.type): void {
    // Called for every member of every struct: the message is only built for a failure.
    const msg = this.memberError(s, m, mt, memberType);
    if (msg !== undefined) throw this.env.failMember(s, m, msg, memberType);
  }

  /** What {@link checkMember} refuses a member for, or undefined when the member is fine. */
  memberError(s: BtfComposite, m: BtfMember, mt: BtfType, memberType: number): string | undefined {
    const env = this.env;
    const kflag = s.kflag;
    const off = m.bitsOffset;
    const structSize = s.size;
    if (isModifierKind(mt)) {
      const r = env.typeIdSize(memberType);
      if (r === undefined) return 'Invalid member';
      this.checkMember(s, m, r.type, r.id);
      return undefined;
    }
    if (mt.kind === 'INT') {
      if (kflag) {
        if (!intIsRegular(mt)) return 'Invalid member base type';
        let nrBits = m.bitfieldSize;
        if (nrBits === 0) {
          if ((off & 7) !== 0) return 'Invalid member offset';
          nrBits = mt.bits;
        } else if (nrBits > mt.bits) return 'Invalid member bitfield_size';
        return copyBitsError(nrBits + (off & 7), off >>> 3, structSize);
      }
      if (U32_MAX - off < mt.bitsOffset) return 'bits_offset exceeds U32_MAX';
      const bitsOff = off + mt.bitsOffset;
      return copyBitsError(mt.bits + (bitsOff & 7), Math.floor(bitsOff / 8), structSize);
    }
    if (mt.kind === 'ENUM' || mt.kind === 'ENUM64') {
      if (kflag) {
        let nrBits = m.bitfieldSize;
        if (nrBits === 0) {
          if ((off & 7) !== 0) return 'Member is not byte aligned';
          nrBits = 32;
        } else if (nrBits > 32) return 'Invalid member bitfield_size';
        if (structSize < Math.ceil((off + nrBits) / 8)) return 'Member exceeds struct_size';
        return undefined;
      }
      return sizedError(off, structSize, mt.size);
    }
    if (kflag && m.bitfieldSize !== 0) {
      if (mt.kind === 'PTR' || mt.kind === 'ARRAY' || isComposite(mt) || mt.kind === 'FLOAT') return 'Invalid member bitfield_size';
    }
    switch (mt.kind) {
      case 'PTR':
        return sizedError(off, structSize, 8);
      case 'ARRAY':
        return sizedError(off, structSize, env.typeIdSize(memberType)?.size ?? 0);
      case 'STRUCT':
      case 'UNION':
        return sizedError(off, structSize, mt.size);
      case 'FLOAT': {
        const alignBits = Math.min(8, mt.size) * 8;
        if (off % alignBits !== 0) return 'Member is not properly aligned';
        if (Math.floor(off / 8) + mt.size > structSize) return 'Member exceeds struct_size';
        return undefined;
      }
      default:
        throw env.failType(s, kflag ? 'Unsupported check_kflag_member' : 'Unsupported check_member', 'EINVAL', false);
    }
  }

  /** `btf_resolve_valid`. */
  resolveValid(t: BtfType, id: number): boolean {
    const env = this.env;
    if (!this.isResolved(id)) return false;
    if (isComposite(t) || t.kind === 'DATASEC') return env.resolvedId(id) === 0 && env.resolvedSize(id) === 0;
    if (t.kind === 'DECL_TAG' || t.kind === 'FUNC') return env.resolvedId(id) !== 0 && env.resolvedSize(id) === 0;
    if (isModifierKind(t) || t.kind === 'PTR' || t.kind === 'VAR') {
      const r = env.typeById(env.resolvedId(id));
      return r !== undefined && !isModifierKind(r) && r.kind !== 'VAR' && r.kind !== 'DATASEC';
    }
    if (t.kind === 'ARRAY') {
      const el = env.typeIdSize(t.type);
      return el !== undefined && !isModifierKind(el.type) && (t.nelems * el.size) % 2 ** 32 === env.resolvedSize(id);
    }
    return false;
  }

  /** `btf_func_proto_check`. */
  funcProtoCheck(t: BtfFuncProto): void {
    const env = this.env;
    if (t.type !== 0) {
      const ret = env.typeById(t.type);
      if (ret === undefined || isResolveSourceOnly(ret)) throw env.failType(t, 'Invalid return type');
      if (needsResolve(ret) && !this.isResolved(t.type)) this.resolve(ret, t.type);
      if (env.sizedTypeId(t.type) < 0) throw env.failType(t, 'Invalid return type');
    }
    let nr = t.params.length;
    if (nr === 0) return;
    const last = t.params[nr - 1];
    if (last !== undefined && last.type === 0) {
      if (last.nameOff !== 0) throw env.failType(t, `Invalid arg#${nr}`);
      nr--;
    }
    for (let i = 0; i < nr; i++) {
      const p = t.params[i];
      if (p === undefined) break;
      const at = env.typeById(p.type);
      if (at === undefined || isResolveSourceOnly(at)) throw env.failType(t, `Invalid arg#${i + 1}`);
      if (p.nameOff !== 0 && (!env.nameOffsetValid(p.nameOff) || !env.validIdentifier(p.nameOff))) {
        throw env.failType(t, `Invalid arg#${i + 1}`);
      }
      if (needsResolve(at) && !this.isResolved(p.type)) this.resolve(at, p.type);
      if (env.sizedTypeId(p.type) < 0) throw env.failType(t, `Invalid arg#${i + 1}`);
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

/** `btf_type_int_is_regular`: a whole u8/u16/u32/u64/u128 with no bit offset. */
export function intIsRegular(t: BtfInt): boolean {
  const bytes = Math.ceil(t.bits / 8);
  return (t.bits & 7) === 0 && t.bitsOffset === 0 && (bytes === 1 || bytes === 2 || bytes === 4 || bytes === 8 || bytes === 16);
}

/** Runs the kernel's CHECK_TYPE phase over every own type. */
export function checkAllTypes(env: BtfVerifierEnv): void {
  env.resolvedIds = new Uint32Array(env.types.length);
  env.resolvedSizes = new Uint32Array(env.types.length);
  env.checkingTypes = true;
  const r = new Resolver(env);
  const start = env.startId;
  for (let i = 0; i < env.types.length; i++) {
    const t = env.types[i];
    if (t === undefined) continue;
    const id = start + i;
    env.logTypeId = id;
    if (needsResolve(t) && !r.isResolved(id)) r.resolve(t, id);
    if (t.kind === 'FUNC_PROTO') r.funcProtoCheck(t);
  }
}

/** `btf_check_type_tags`: type tags must come before other modifiers in any chain. */
export function checkTypeTags(env: BtfVerifierEnv): void {
  const start = env.startId;
  const n = start + env.types.length;
  let goodId = start - 1;
  for (let i = start; i < n; i++) {
    let t = env.typeById(i);
    if (t === undefined) throw new BtfCheckError('EINVAL');
    if (!isModifierKind(t)) continue;
    let chainLimit = 32;
    let inTags = t.kind === 'TYPE_TAG';
    let cur = i;
    while (isModifierKind(t)) {
      if (chainLimit-- === 0) throw env.fail('Max chain length or cycle detected', 'ELOOP');
      if (t.kind === 'TYPE_TAG') {
        if (!inTags) throw env.fail("Type tags don't precede modifiers");
      } else if (inTags) inTags = false;
      if (cur <= goodId) break;
      cur = t.type;
      const next = env.typeById(cur);
      if (next === undefined) throw new BtfCheckError('EINVAL');
      t = next;
    }
    goodId = i;
  }
}
