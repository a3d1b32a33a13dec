import type { BtfParamView, BtfTypeView, MapValueField } from '@bpfkit/kernel-api';
import { KfuncFlag } from '@bpfkit/kernel-api';
import type { VerifierEnv } from './env.js';
import { findStructMeta, type GraphRoot } from './graph-btf.js';
import { argHasSuffix } from './kfunc-btf.js';
import type { KfuncMeta } from './kfunc-meta.js';
import { isSyncCallbackCall } from './insns.js';
import { fail } from './log.js';
import { regMap } from './map-fields.js';
import { notInit, pointer, unknownScalar, type RegState, type VState } from './state.js';
import { tnumIsConst } from './tnum.js';

/** The kfunc argument kinds of allocated objects and graphs (`KF_ARG_PTR_TO_ALLOC_BTF_ID`, `_LIST_HEAD`…, `_CALLBACK`). */
export type GraphArgKind = 'alloc_btf_id' | 'refcounted_kptr' | 'list_head' | 'list_node' | 'rb_root' | 'rb_node' | 'callback';

/** What the graph arguments leave in `struct bpf_kfunc_call_arg_meta` (`arg_list_head`, `arg_btf`, `subprogno`…). */
export interface GraphArgs {
  /** The graph root argument's `contains:` target. */
  root?: GraphRoot;
  /** `arg_btf` / `arg_btf_id`: the allocated object an argument pointed to. */
  obj?: { readonly btf: NonNullable<RegState['btf']>; readonly btfId: number };
  /** The `less` callback of `bpf_rbtree_add_impl`. */
  subprog?: number;
}

/** `is_bpf_graph_api_kfunc`: the kfuncs a program may call while holding a `bpf_spin_lock`. */
const GRAPH_API = new Set([
  'bpf_list_push_front_impl', 'bpf_list_push_back_impl', 'bpf_list_pop_front', 'bpf_list_pop_back', 'bpf_list_front', 'bpf_list_back',
  'bpf_rbtree_add_impl', 'bpf_rbtree_remove', 'bpf_rbtree_first', 'bpf_rbtree_root', 'bpf_rbtree_left', 'bpf_rbtree_right',
  'bpf_refcount_acquire_impl',
]);

/** `kfunc_spin_allowed`: graph kfuncs and the numbers iterator may run under a lock. */
export function kfuncSpinAllowed(name: string): boolean {
  return GRAPH_API.has(name) || name.startsWith('bpf_iter_num_');
}

const GRAPH_TYPES: Readonly<Record<string, GraphArgKind>> = {
  bpf_list_head: 'list_head', bpf_list_node: 'list_node', bpf_rb_root: 'rb_root', bpf_rb_node: 'rb_node',
};

/** The graph half of `get_kfunc_ptr_arg_type`, in its order: `__alloc`, `__refcounted_kptr`, then the graph structs. */
export function graphArgKind(arg: BtfParamView, ref: BtfTypeView | undefined): GraphArgKind | undefined {
  if (argHasSuffix(arg, '__alloc')) return 'alloc_btf_id';
  if (argHasSuffix(arg, '__refcounted_kptr')) return 'refcounted_kptr';
  return ref?.kind === 'STRUCT' ? GRAPH_TYPES[ref.name] : undefined;
}

/** `type_is_ptr_alloc_obj` for a non-NULL pointer: owning or non-owning. */
function isAllocObj(reg: RegState): boolean {
  return reg.type === 'ptr_' && reg.memAlloc === true;
}

/** Exactly `PTR_TO_BTF_ID | MEM_ALLOC`: an owning reference to a (non-per-CPU, non-RCU) object. */
export function isOwningAlloc(reg: RegState): boolean {
  return isAllocObj(reg) && reg.nonOwnRef !== true && reg.percpu !== true && reg.btfMod === undefined;
}

interface Rec {
  readonly fields: readonly { readonly kind: string; readonly offset: number; readonly root?: GraphRoot; readonly graphRoot?: GraphRoot }[];
  readonly spinLockOff: number;
}

/**
 * `reg_btf_record`: the special fields of the map value or allocated object a register
 * points to (NULL or not).
 */
export function regRecord(env: VerifierEnv, reg: RegState): Rec | undefined {
  if (reg.type === 'map_value' || reg.type === 'map_value_or_null') {
    const fields: readonly MapValueField[] = regMap(env, reg)?.valueFields ?? [];
    return { fields, spinLockOff: fields.find((f) => f.kind === 'bpf_spin_lock')?.offset ?? -1 };
  }
  if ((reg.type === 'ptr_' || reg.type === 'ptr_or_null_') && reg.memAlloc === true && reg.btf !== undefined) {
    return findStructMeta(reg.btf, reg.btfId ?? 0);
  }
  return undefined;
}

/**
 * `check_reg_allocation_locked`: the lock held is the one of the value (or object) the
 * register points to, known by the pointer's id and its map (or, for an object, its BTF).
 */
function allocationLocked(env: VerifierEnv, state: VState, reg: RegState): boolean {
  const lock = state.lock;
  if (lock === undefined) return false;
  const ptr = reg.type === 'map_value' ? regMap(env, reg)?.fd : reg.btf;
  if (lock.id === reg.id && lock.ptr === ptr) return true;
  env.log.line('held lock and object are not in the same allocation');
  return false;
}

function constOff(env: VerifierEnv, reg: RegState, regno: number, what: string): number {
  if (!tnumIsConst(reg.varOff)) {
    fail(env.log, 'EINVAL', 'graph-var-off', `R${String(regno)} doesn't have constant offset. ${what} has to be at the constant offset`);
  }
  return Number(BigInt.asUintN(32, BigInt(reg.off) + reg.varOff.value));
}

/** `__process_kf_arg_ptr_to_graph_root`: a list head or rb root at a constant offset of a locked value. */
function processGraphRoot(env: VerifierEnv, state: VState, reg: RegState, regno: number, name: string, out: GraphArgs): void {
  const off = constOff(env, reg, regno, name);
  const rec = regRecord(env, reg);
  const field = rec?.fields.find((f) => f.kind === name && f.offset === off);
  if (rec === undefined || field === undefined) fail(env.log, 'EINVAL', 'graph-root-off', `${name} not found at offset=${String(off)}`);
  if (!allocationLocked(env, state, reg)) {
    fail(env.log, 'EINVAL', 'graph-unlocked', `bpf_spin_lock at off=${String(rec.spinLockOff)} must be held for ${name}`);
  }
  const root = field.root ?? field.graphRoot;
  if (root !== undefined) out.root = root;
}

/** `__process_kf_arg_ptr_to_graph_node`: the node of an allocated object of the type the root contains, at its offset. */
function processGraphNode(env: VerifierEnv, reg: RegState, regno: number, head: string, name: string, out: GraphArgs): void {
  const off = constOff(env, reg, regno, name);
  const rec = isAllocObj(reg) ? regRecord(env, reg) : undefined;
  if (rec?.fields.some((f) => f.kind === name && f.offset === off) !== true) fail(env.log, 'EINVAL', 'graph-node-off', `${name} not found at offset=${String(off)}`);
  const root = out.root;
  const btf = reg.btf;
  if (root === undefined || btf === undefined) return fail(env.log, 'EFAULT', 'graph-bug', 'verifier bug: graph node without its root');
  const et = root.btf.type(root.valueTypeId)?.name ?? '';
  if (btf !== root.btf || reg.btfId !== root.valueTypeId) {
    fail(env.log, 'EINVAL', 'graph-node-type', `operation on ${head} expects arg#1 ${name} at offset=${String(root.nodeOffset)} in struct ${et}, ` +
      `but arg is at offset=${String(off)} in struct ${btf.type(reg.btfId ?? 0)?.name ?? ''}`);
  }
  out.obj = { btf, btfId: reg.btfId ?? 0 };
  if (off !== root.nodeOffset) fail(env.log, 'EINVAL', 'graph-node-off', `arg#1 offset=${String(off)}, but expected ${name} at offset=${String(root.nodeOffset)} in struct ${et}`);
}

/**
 * The graph cases of `check_kfunc_args`' second switch: allocated objects for
 * `bpf_obj_drop_impl`, refcounted objects, graph roots (under their lock), graph nodes,
 * and the `less` callback.
 *
 * @example
 * processGraphArg(env, state, meta, 'list_head', 0, reg, out); // "bpf_spin_lock at off=0 must be held for bpf_list_head"
 */
export function processGraphArg(env: VerifierEnv, state: VState, meta: KfuncMeta, kind: GraphArgKind, i: number, reg: RegState, out: GraphArgs): void {
  const regno = i + 1;
  const mustRef = (): void => {
    if ((reg.refObjId ?? 0) === 0) fail(env.log, 'EINVAL', 'alloc-unreferenced', 'allocated object must be referenced');
  };
  switch (kind) {
    case 'alloc_btf_id': {
      const want = isOwningAlloc(reg) ? 'bpf_obj_drop_impl'
        : isAllocObj(reg) && reg.percpu === true && reg.nonOwnRef !== true ? 'bpf_percpu_obj_drop_impl' : undefined;
      if (want === undefined) fail(env.log, 'EINVAL', 'alloc-arg', `arg#${String(i)} expected pointer to allocated object`);
      if (meta.name !== want) fail(env.log, 'EINVAL', 'alloc-arg', `arg#${String(i)} expected for ${want}()`);
      mustRef();
      if (reg.btf !== undefined) out.obj = { btf: reg.btf, btfId: reg.btfId ?? 0 };
      return;
    }
    case 'refcounted_kptr': {
      if (!reg.type.startsWith('ptr_') || reg.memAlloc !== true) fail(env.log, 'EINVAL', 'refcounted-arg', `arg#${String(i)} is neither owning or non-owning ref`);
      const rec = reg.btf === undefined ? undefined : findStructMeta(reg.btf, reg.btfId ?? 0);
      if (rec === undefined || rec.refcountOff < 0) fail(env.log, 'EINVAL', 'refcounted-arg', `arg#${String(i)} doesn't point to a type with bpf_refcount field`);
      if (reg.btf !== undefined) out.obj = { btf: reg.btf, btfId: reg.btfId ?? 0 };
      return;
    }
    case 'list_head':
    case 'rb_root':
      if (reg.type !== 'map_value' && !isOwningAlloc(reg)) fail(env.log, 'EINVAL', 'graph-root-arg', `arg#${String(i)} expected pointer to map value or allocated object`);
      if (reg.type !== 'map_value') mustRef();
      processGraphRoot(env, state, reg, regno, kind === 'list_head' ? 'bpf_list_head' : 'bpf_rb_root', out);
      return;
    case 'list_node':
      if (!isOwningAlloc(reg)) fail(env.log, 'EINVAL', 'graph-node-arg', `arg#${String(i)} expected pointer to allocated object`);
      mustRef();
      processGraphNode(env, reg, regno, 'bpf_list_head', 'bpf_list_node', out);
      return;
    case 'rb_node':
      if (meta.name === 'bpf_rbtree_add_impl') {
        if (!isOwningAlloc(reg)) fail(env.log, 'EINVAL', 'graph-node-arg', `arg#${String(i)} expected pointer to allocated object`);
        mustRef();
      } else {
        if (reg.nonOwnRef !== true && (reg.refObjId ?? 0) === 0) {
          fail(env.log, 'EINVAL', 'graph-node-arg', `${meta.name} can only take non-owning or refcounted bpf_rb_node pointer`);
        }
        if (inRbtreeLessCallback(env, state)) fail(env.log, 'EINVAL', 'graph-in-cb', `${meta.name} not allowed in rbtree cb`);
      }
      processGraphNode(env, reg, regno, 'bpf_rb_root', 'bpf_rb_node', out);
      return;
    case 'callback':
      if (meta.name !== 'bpf_rbtree_add_impl') fail(env.log, 'EINVAL', 'unsupported', `kernel function ${meta.name} args#${String(i)} is not modelled yet`);
      if (reg.type !== 'func') fail(env.log, 'EINVAL', 'kfunc-callback', `arg${String(i)} expected pointer to func`);
      out.subprog = reg.subprog ?? 0;
      return;
  }
}

/** `mark_reg_graph_node`: a pointer to the node inside an object of the type the root contains. */
function graphNodeReg(root: GraphRoot, nonOwning: boolean): RegState {
  return pointer('ptr_', root.nodeOffset, { btf: root.btf, btfId: root.valueTypeId, memAlloc: true, ...(nonOwning ? { nonOwnRef: true } : {}) });
}

/** `BPF_GLOBAL_PERCPU_MA_MAX_SIZE`. */
const PERCPU_MAX_SIZE = 512;

function isScalarOnlyStruct(btf: NonNullable<RegState['btf']>, t: BtfTypeView): boolean {
  return (t.members ?? []).every((m) => {
    let mt = btf.type(m.type);
    while (mt !== undefined && ['TYPEDEF', 'VOLATILE', 'CONST', 'RESTRICT', 'ARRAY'].includes(mt.kind)) mt = btf.type(mt.type ?? 0);
    return mt?.kind === 'INT' || mt?.kind === 'ENUM' || mt?.kind === 'ENUM64' || (mt?.kind === 'STRUCT' && isScalarOnlyStruct(btf, mt));
  });
}

/**
 * R0 of the allocation and graph kfuncs (the `special_kfunc_set` part of `check_kfunc_call`):
 * a new object of the program's BTF type for `bpf_obj_new_impl` (per-CPU for
 * `bpf_percpu_obj_new_impl`), the argument's object for `bpf_refcount_acquire_impl`, and for
 * the ones returning a node, a pointer to the node in an object the root contains
 * (non-owning when the kfunc does not take a reference). Undefined for other kfuncs.
 */
export function graphReturn(env: VerifierEnv, meta: KfuncMeta, constant: bigint | undefined, g: GraphArgs, retName: string): RegState | undefined {
  const name = meta.name;
  if (name === 'bpf_obj_new_impl' || name === 'bpf_percpu_obj_new_impl') {
    const v = constant ?? 0n;
    if (v < 0n || v > 0xffff_ffffn) fail(env.log, 'EINVAL', 'obj-new-id', 'local type ID argument must be in range [0, U32_MAX]');
    const fd = env.req.progBtf?.btfFd;
    const btf = fd !== undefined && 'btf' in fd ? fd.btf : undefined;
    if (btf === undefined) return fail(env.log, 'EINVAL', 'obj-new-btf', 'bpf_obj_new/bpf_percpu_obj_new requires prog BTF');
    const id = Number(v);
    const t = btf.type(id);
    if (t?.kind !== 'STRUCT') return fail(env.log, 'EINVAL', 'obj-new-type', 'bpf_obj_new/bpf_percpu_obj_new type ID argument must be of a struct');
    const percpu = name === 'bpf_percpu_obj_new_impl';
    if (percpu) {
      const size = t.size ?? 0;
      if (size > PERCPU_MAX_SIZE) fail(env.log, 'EINVAL', 'percpu-obj-size', `bpf_percpu_obj_new type size (${String(size)}) is greater than ${String(PERCPU_MAX_SIZE)}`);
      if (!isScalarOnlyStruct(btf, t)) fail(env.log, 'EINVAL', 'percpu-obj-type', 'bpf_percpu_obj_new type ID argument must be of a struct of scalars');
      if (findStructMeta(btf, id) !== undefined) fail(env.log, 'EINVAL', 'percpu-obj-type', 'bpf_percpu_obj_new type ID argument must not contain special fields');
    }
    return pointer('ptr_', 0, { btf, btfId: id, memAlloc: true, ...(percpu ? { percpu: true } : {}) });
  }
  if (name === 'bpf_refcount_acquire_impl') {
    const obj = g.obj;
    return obj === undefined ? unknownScalar : pointer('ptr_', 0, { btf: obj.btf, btfId: obj.btfId, memAlloc: true });
  }
  if ((retName === 'bpf_list_node' || retName === 'bpf_rb_node') && g.root !== undefined) {
    return graphNodeReg(g.root, (meta.flags & KfuncFlag.ACQUIRE) === 0);
  }
  return undefined;
}

function forEachReg(state: VState, fn: (r: RegState) => RegState): void {
  for (const fr of state.frames) {
    fr.regs = fr.regs.map(fn);
    for (const slot of fr.stack) if (slot.spilled !== undefined) slot.spilled = fn(slot.spilled);
  }
}

/**
 * `ref_convert_owning_non_owning` then `release_reference`: after `bpf_list_push_*` or
 * `bpf_rbtree_add`, every copy of the pushed object's pointer becomes a non-owning reference
 * and the program no longer holds the object.
 */
export function graphInsertDone(env: VerifierEnv, state: VState, meta: KfuncMeta, refObjId: number, release: (id: number) => void): void {
  if (!state.refs.some((r) => r.id === refObjId)) {
    fail(env.log, 'EFAULT', 'graph-convert', `kfunc ${meta.name}#${String(meta.id)} conversion of owning ref to non-owning failed`);
  }
  forEachReg(state, (r) => {
    if (r.refObjId !== refObjId) return r;
    return { ...r, refObjId: 0, nonOwnRef: true };
  });
  release(refObjId);
}

/** `invalidate_non_owning_refs`, when the lock is released: non-owning references die with it. */
export function invalidateNonOwningRefs(env: VerifierEnv, state: VState): void {
  const dead = env.privileges.allowPtrLeaks ? unknownScalar : notInit;
  forEachReg(state, (r) => (r.nonOwnRef === true ? dead : r));
}

/** `bpf_list_push_*` and `bpf_rbtree_add_impl` hand the node's object to the graph. */
export function isGraphInsert(name: string): boolean {
  return name === 'bpf_list_push_front_impl' || name === 'bpf_list_push_back_impl' || name === 'bpf_rbtree_add_impl';
}

/**
 * The allocated-object part of `check_ptr_to_btf_access` and `btf_struct_access`: a per-CPU
 * object is not accessed directly, and no load or store touches a special field (lock, graph
 * root or node, refcount, kptr); the rest is read and written like memory.
 */
export function allocObjAccess(env: VerifierEnv, regno: number, reg: RegState, off: number, size: number): void {
  const name = reg.btf?.type(reg.btfId ?? 0)?.name ?? '';
  if (reg.percpu === true) fail(env.log, 'EACCES', 'percpu-access', `R${String(regno)} is ptr_${name} access percpu memory: off=${String(off)}`);
  const rec = reg.btf === undefined ? undefined : findStructMeta(reg.btf, reg.btfId ?? 0);
  for (const f of rec?.fields ?? []) {
    const fsize = f.size;
    if (off < f.offset + fsize && f.offset < off + size) {
      fail(env.log, 'EACCES', 'alloc-special-field', `direct access to ${f.kind} is disallowed`);
    }
  }
}


/** `in_rbtree_lock_required_cb`: some frame is the `less` callback of a `bpf_rbtree_add_impl` call. */
function inRbtreeLessCallback(env: VerifierEnv, state: VState): boolean {
  return state.frames.some((f) => {
    const call = f.callback === undefined ? undefined : env.insns[f.returnTo - 1];
    return call !== undefined && call.src !== 0 && isSyncCallbackCall(call);
  });
}

/**
 * `set_rbtree_add_callback_state`: the `less` callback gets two non-owning pointers to nodes of
 * the root's contained type in R1 and R2, and returns 0 or 1.
 */
export function rbtreeLessArgs(g: GraphArgs): RegState[] | undefined {
  const root = g.root;
  if (root === undefined || g.subprog === undefined) return undefined;
  const node = graphNodeReg(root, true);
  return [node, node, notInit, notInit, notInit];
}
