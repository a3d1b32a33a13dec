import type { Insn } from '@bpfkit/asm';
import { KfuncFlag } from '@bpfkit/kernel-api';
import { kindStr, skipModifiers } from './btf-walk.js';
import { releaseReference } from './references.js';
import type { VerifierEnv } from './env.js';
import { pushCallback } from './callbacks.js';
import { graphInsertDone, graphReturn, isGraphInsert, rbtreeLessArgs } from './graph.js';
import { checkKfuncArgs, type KfuncArgsResult } from './kfunc-args.js';
import { btfResolveSize, isBtfScalar, isBtfStruct, skipModifiersId } from './kfunc-btf.js';
import { processIterNextCall } from './kfunc-iter.js';
import { fetchKfuncMeta, type KfuncMeta } from './kfunc-meta.js';
import { mayAccessDirectPktData } from './ctx-access.js';
import { fail } from './log.js';
import { notInit, pointer, unknownScalar, type RegState, type VState } from './state.js';

/** `BPF_F_SLEEPABLE`. */
const F_SLEEPABLE = 1 << 4;

/** The kernel's context struct behind each program type (`get_kern_ctx_btf_id`, the struct ones of `bpf_types.h`). */
const KERN_CTX: Readonly<Record<number, string>> = {
  1: 'sk_buff', 3: 'sk_buff', 4: 'sk_buff', 8: 'sk_buff', 10: 'sk_buff', 11: 'sk_buff', 12: 'sk_buff', 14: 'sk_buff', 19: 'sk_buff',
  6: 'xdp_buff', 2: 'pt_regs', 7: 'bpf_perf_event_data_kern', 9: 'sock', 13: 'bpf_sock_ops_kern', 15: 'bpf_cgroup_dev_ctx', 16: 'sk_msg',
  18: 'bpf_sock_addr_kern', 21: 'sk_reuseport_kern', 22: 'bpf_flow_dissector', 23: 'bpf_sysctl_kern', 25: 'bpf_sockopt_kern',
  30: 'bpf_sk_lookup_kern', 32: 'bpf_nf_ctx',
};

/** Kfuncs whose pointer return the kernel types by hand (`special_kfunc_set`); only the two casts are modelled. */
const SPECIAL_RET = new Set([
  'bpf_obj_new_impl', 'bpf_percpu_obj_new_impl', 'bpf_refcount_acquire_impl', 'bpf_list_pop_front', 'bpf_list_pop_back', 'bpf_rbtree_remove',
  'bpf_rbtree_first', 'bpf_dynptr_slice', 'bpf_dynptr_slice_rdwr', 'bpf_cast_to_kern_ctx', 'bpf_rdonly_cast',
]);

/**
 * `check_kfunc_call`: a call of a kernel function by BTF id. An id of 0 is left alone (the
 * fixups refuse it if a path reaches it). Otherwise the kfunc must be registered for the
 * program's type, sleepable ones need a sleepable program, the arguments must match the
 * prototype; a release kfunc drops its argument's reference, R0-R5 are cleared and R0
 * takes the return type: a scalar, a BTF pointer (`KF_RET_NULL`: maybe NULL; `KF_ACQUIRE`:
 * a new reference), read-only memory, or nothing for a void kfunc.
 *
 * @example
 * checkKfuncCall(env, state, insn); // "calling kernel function bpf_task_from_pid is not allowed"
 */
export function checkKfuncCall(env: VerifierEnv, state: VState, insn: Insn): void {
  if (insn.imm === 0) return;
  const meta = fetchKfuncMeta(env.log, env.req, insn);
  if ((meta.flags & KfuncFlag.SLEEPABLE) !== 0 && (env.req.progFlags & F_SLEEPABLE) === 0) {
    fail(env.log, 'EACCES', 'kfunc-sleepable', `program must be sleepable to call sleepable kfunc ${meta.name}`);
  }
  if (meta.name === 'bpf_rcu_read_lock' || meta.name === 'bpf_rcu_read_unlock' || meta.name === 'bpf_preempt_disable' || meta.name === 'bpf_preempt_enable') {
    fail(env.log, 'EINVAL', 'unsupported', `kernel function ${meta.name} is not modelled yet`);
  }
  const args = checkKfuncArgs(env, state, meta);
  const less = meta.name === 'bpf_rbtree_add_impl' ? rbtreeLessArgs(args.graph) : undefined;
  if (less !== undefined) pushCallback(env, state, env.insnIdx, -1, args.graph.subprog ?? -1, undefined, less);
  if (args.releaseRegno !== 0) {
    const id = env.frame(state).regs[args.releaseRegno]?.refObjId ?? 0;
    if (!state.refs.some((r) => r.id === id)) {
      fail(env.log, 'EINVAL', 'kfunc-release', `kfunc ${meta.name}#${String(meta.id)} reference has not been acquired before`);
    }
    releaseReference(env, state, id);
  }
  if (isGraphInsert(meta.name)) {
    graphInsertDone(env, state, meta, env.frame(state).regs[2]?.refObjId ?? 0, (id) => { releaseReference(env, state, id); });
  }
  const regs = env.frame(state).regs;
  for (let r = 0; r <= 5; r++) regs[r] = notInit;
  const r0 = returnReg(env, state, meta, args);
  if (r0 !== undefined) env.writeReg(state, 0, r0);
  if ((meta.flags & KfuncFlag.ITER_NEXT) !== 0 && args.iter !== undefined) processIterNextCall(env, state, env.insnIdx, args.iter);
}

/** The return half of `check_kfunc_call`: R0 by the prototype's return type. */
function returnReg(env: VerifierEnv, state: VState, meta: KfuncMeta, args: KfuncArgsResult): RegState | undefined {
  const btf = meta.btf;
  const t = skipModifiers(btf, meta.proto.type ?? 0);
  const acquire = (meta.flags & KfuncFlag.ACQUIRE) !== 0;
  const structPtr = t?.kind === 'PTR' && isBtfStruct(skipModifiers(btf, t.type ?? 0));
  const allocRet = meta.name === 'bpf_obj_new_impl' || meta.name === 'bpf_percpu_obj_new_impl' || meta.name === 'bpf_refcount_acquire_impl';
  if (acquire && !structPtr && !allocRet) fail(env.log, 'EINVAL', 'kfunc-acquire-ret', 'acquire kernel function does not return PTR_TO_BTF_ID');
  if (isBtfScalar(t)) return unknownScalar;
  if (t?.kind !== 'PTR') return undefined;
  const ptrId = skipModifiersId(btf, t.type ?? 0);
  const ptrType = btf.type(ptrId);
  const graph = graphReturn(env, meta, args.constant, args.graph, ptrType?.name ?? '');
  let r0: RegState;
  if (graph !== undefined) {
    r0 = graph;
  } else if (SPECIAL_RET.has(meta.name)) {
    r0 = specialReturn(env, meta, args);
  } else if (ptrType === undefined || ptrType.kind === 'VOID') {
    // A `void *` is a scalar to the program.
    return unknownScalar;
  } else if (!isBtfStruct(ptrType)) {
    const size = args.r0Size !== 0 ? args.r0Size : btfResolveSize(btf, ptrType) ?? 0;
    if (size === 0) {
      fail(env.log, 'EINVAL', 'kfunc-ret-type', `kernel function ${meta.name} returns pointer type ${kindStr(ptrType)} ${ptrType.name} is not supported`);
    }
    // Sized by the pointed-to type, the memory is read-only (`MEM_RDONLY`); by a `rdwr_buf_size` argument, writable.
    const rdonly = args.r0Size === 0 || args.r0Rdonly;
    r0 = pointer('mem', 0, { valueSize: size, ...(rdonly ? { rdonly } : {}), ...(args.refObjId !== 0 ? { refObjId: args.refObjId } : {}) });
  } else {
    r0 = pointer('ptr_', 0, { btf, btfId: ptrId });
  }
  if ((meta.flags & KfuncFlag.RET_NULL) !== 0) {
    r0 = { ...r0, type: r0.type === 'ptr_' ? 'ptr_or_null_' : r0.type === 'mem' ? 'mem_or_null' : r0.type, id: env.nextId++ };
  }
  if (acquire) {
    const id = env.nextId++;
    state.refs.push({ id, insn: env.insnIdx });
    r0 = { ...r0, refObjId: id, ...((meta.flags & KfuncFlag.RET_NULL) !== 0 ? { id } : {}) };
  }
  return r0;
}

/**
 * R0 of `bpf_dynptr_slice` (read only) and `bpf_dynptr_slice_rdwr`: memory of the constant buffer size,
 * a slice of the dynptr (a packet one for skb and xdp dynptrs). A writable slice needs a program that
 * may write packets, whatever the dynptr.
 */
function dynptrSlice(env: VerifierEnv, meta: KfuncMeta, args: KfuncArgsResult): RegState {
  const rdwr = meta.name === 'bpf_dynptr_slice_rdwr';
  // Linux 6.18 as measured refuses every writable slice once its arguments pass, whatever the program type.
  if (rdwr) fail(env.log, 'EPERM', 'slice-rdwr', 'bpf_dynptr_slice_rdwr() is not allowed');
  if (rdwr && !mayAccessDirectPktData(env.req.progType, true)) fail(env.log, 'EINVAL', 'slice-rdwr', 'the prog does not allow writes to packet data');
  const d = args.dynptr;
  const pkt = d?.type === 'skb' || d?.type === 'xdp' || d?.type === 'skb_meta';
  return pointer('mem', 0, {
    valueSize: Number(args.constant ?? 0n), ...(rdwr ? {} : { rdonly: true }), ...(d === undefined ? {} : { dynptrId: d.id }), ...(pkt ? { pktSlice: true } : {}),
    // A slice of a ringbuf dynptr ends with its reference.
    ...(d === undefined || d.refObjId === 0 ? {} : { refObjId: d.refObjId }),
    ...(args.buffer === undefined ? {} : { sliceBuf: args.buffer }),
  });
}

/** R0 of the kfuncs the kernel types by hand: the two casts and the dynptr slices; the others (allocation, graphs) are not modelled. */
function specialReturn(env: VerifierEnv, meta: KfuncMeta, args: KfuncArgsResult): RegState {
  const btf = meta.btf;
  if (meta.name === 'bpf_cast_to_kern_ctx') {
    const name = KERN_CTX[env.req.progType];
    const id = name === undefined ? undefined : btf.findAll(name, 'STRUCT')[0];
    if (id === undefined) return fail(env.log, 'EINVAL', 'unsupported', `bpf_cast_to_kern_ctx for program type ${String(env.req.progType)} is not modelled yet`);
    return pointer('ptr_', 0, { btf, btfId: id, btfMod: 'trusted' });
  }
  if (meta.name === 'bpf_dynptr_slice' || meta.name === 'bpf_dynptr_slice_rdwr') return dynptrSlice(env, meta, args);
  if (meta.name === 'bpf_rdonly_cast') {
    const id = Number(BigInt.asUintN(32, args.constant ?? 0n));
    const t = btf.type(id);
    if (t?.kind !== 'STRUCT') fail(env.log, 'EINVAL', 'kfunc-rdonly-cast', 'kfunc bpf_rdonly_cast type ID argument must be of a struct');
    return pointer('ptr_', 0, { btf, btfId: id, btfMod: 'untrusted' });
  }
  return fail(env.log, 'EINVAL', 'unsupported', `kernel function ${meta.name} is not modelled yet`);
}
