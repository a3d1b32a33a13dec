import type { Insn } from '@bpfkit/asm';
import type { MapValueField, VerifierMap } from '@bpfkit/kernel-api';
import { bpfFuncName, BPF_FUNC_MAX_ID } from '@bpfkit/uapi';
import { checkPtrAlignment, checkPtrOffReg } from './check-mem.js';
import { mayAccessDirectPktData } from './ctx-access.js';
import type { VerifierEnv } from './env.js';
import { helperProto, type ArgType } from './helper-protos.js';
import { pushCallback, updateLoopInline } from './callbacks.js';
import { checkGlobalCall } from './global-funcs.js';
import { CHANGES_PKT_DATA, checkHelperMemAccess, checkMemArgType, clearAllPktPointers } from './helper-mem.js';
import { SYNC_CALLBACK_HELPERS } from './insns.js';
import { checkTimerMap, processTimerArg, pushTimerCallback } from './timers.js';
import { markChainPrecision, markNullArgPrecise, markSlotPrecision } from './precision.js';
import { fail, Reject } from './log.js';
import { checkSnprintfCall } from './bprintf-fmt.js';
import { unmarkDynptr, type DynptrInfo } from './dynptr.js';
import { releaseReference } from './references.js';
import { checkBtfIdArg, checkConstStrArg, checkDynptrArg, checkFixedMemArg } from './helper-ptr-args.js';
import { hasSpinLock, isInnerView, mapKptrMatchType, processKptrFunc, regMap } from './map-fields.js';
import { structIdsMatch } from './kfunc-btf.js';
import { checkPercpuBtfArg, percpuCopy, type PercpuTarget } from './percpu.js';
import { isOwningAlloc } from './graph.js';
import { checkLockHeld, processSpinLock } from './spin-lock.js';
import { byteAt, isSpilledReg } from './stack.js';
import { notInit, pointer, regConst, regTypeStr, scalarOf, unknownScalar, type RegState, type VState } from './state.js';
import { boundsSync, copyBounds } from './bounds.js';
import { tnumIsConst, tnumStr } from './tnum.js';

const MAX_VAR_SIZ = 1n << 29n;

const MAX_CALL_FRAMES = 8;
const F_SLEEPABLE = 16;

/** A memory argument waiting for its size: written by the helper (`MEM_WRITE`), and whether it may be uninitialized (`MEM_UNINIT`). */
interface MemArg { regno: number; reg: RegState; write: boolean; uninit: boolean }
/** What the argument checks of one call share: the helper's name, and a refusal kept for after them (an unmodelled argument). */
interface CallArgs {
  readonly helper: string;
  unmodelled?: string;
  /** `meta->kptr_field`: the kptr `bpf_kptr_xchg` exchanges. */
  kptrField?: MapValueField;
  /** `meta->map_ptr` of a timer helper: the map holding the timer. */
  timerMap?: VerifierMap;
  /** The dynptr argument read (`bpf_dynptr_data`'s slices hang off it), and the one released (`meta->release_regno`). */
  dynptr?: DynptrInfo;
  dynptrRelease?: RegState;
  /** `meta->ret_btf`, `meta->ret_btf_id`: the per-CPU variable's type, what `RET_PTR_TO_MEM_OR_BTF_ID` returns. */
  percpuTarget?: PercpuTarget;
}

/**
 * `check_func_call`: a bpf-to-bpf call pushes a frame with R1-R5 passed. Returns the callee's first insn;
 * a global function is only checked against its prototype and the path goes on after the call.
 */
export function checkFuncCall(env: VerifierEnv, state: VState, insn: Insn, pc: number): number {
  const target = pc + insn.imm + 1;
  const subprog = env.subprogs.indexOf(target);
  const global = env.globals.get(subprog);
  if (global !== undefined) {
    checkGlobalCall(env, state, global);
    return pc + 1;
  }
  if (state.frames.length >= MAX_CALL_FRAMES) {
    fail(env.log, 'E2BIG', 'call-stack-too-deep', `the call stack of ${String(state.frames.length + 1)} frames is too deep`);
  }
  const caller = env.frame(state);
  // r1-r5 are the arguments; the rest start uninitialised, r10 the callee's frame pointer.
  const regs: RegState[] = [notInit];
  for (let i = 1; i <= 5; i++) regs.push(caller.regs[i] ?? notInit);
  for (let i = 6; i < 10; i++) regs.push(notInit);
  regs.push(pointer('fp', 0, { frame: state.frames.length }));
  state.frames.push({ regs, stack: [], returnTo: pc + 1, subprog });
  env.liveStack?.resetCallchain();
  return target;
}

/** `check_helper_call`. */
export function checkHelperCall(env: VerifierEnv, state: VState, insn: Insn): void {
  const id = insn.imm;
  if (insn.src !== 0) fail(env.log, 'EINVAL', 'unsupported', `call with src_reg ${String(insn.src)} is not modelled yet`);
  const name = id === 0 ? 'unspec' : bpfFuncName(id);
  if (id < 0 || id >= BPF_FUNC_MAX_ID || name === undefined) {
    fail(env.log, 'EINVAL', 'unknown-func', `invalid func unknown#${String(id)}`);
  }
  const privileges = { bpfCapable: env.privileges.bpfCapable, perfmonCapable: env.privileges.perfmonCapable };
  if (id === 0 || env.progType?.isHelperAllowed(id, env.req.expectedAttachType, privileges) !== true) {
    fail(env.log, 'EINVAL', 'helper-not-allowed', `program of this type cannot use helper bpf_${name}#${String(id)}`);
  }
  const proto = helperProto(id, env.req.progType);
  // A helper the verifier has no prototype for is one the program type's table lacks, as far as the checks go.
  if (proto === undefined) fail(env.log, 'EINVAL', 'helper-not-allowed', `program of this type cannot use helper bpf_${name ?? ''}#${String(id)}`);
  if (proto.gplOnly === true && !env.req.gplCompatible) {
    fail(env.log, 'EINVAL', 'gpl-only', 'cannot call GPL-restricted function from non-GPL compatible program');
  }
  const caller = { progType: env.req.progType, expectedAttachType: env.req.expectedAttachType, attachName: env.req.attachFunc?.name };
  if (proto.allowed !== undefined && !proto.allowed(caller)) fail(env.log, 'EINVAL', 'helper-not-allowed-here', 'helper call is not allowed in probe');
  if (proto.mightSleep === true && (env.req.progFlags & F_SLEEPABLE) === 0) {
    fail(env.log, 'EINVAL', 'might-sleep', 'helper call might sleep in a non-sleepable prog');
  }
  let map: VerifierMap | undefined;
  let lastMem: MemArg | undefined;
  env.constMapKey = undefined;
  let release: RegState | undefined;
  let castRef: number | undefined;
  let msizeMax: bigint | undefined;
  const call: CallArgs = { helper: name ?? '' };
  proto.args.forEach((arg, i) => {
    const regno = i + 1;
    const reg = env.readReg(state, regno);
    if (arg === 'const_size' || arg === 'const_size_or_zero') msizeMax = reg.umax;
    if (arg === 'anything' && reg.type !== 'scalar' && !env.privileges.allowPtrLeaks) {
      fail(env.log, 'EACCES', 'ptr-leak', `R${String(regno)} leaks addr into helper function`);
    }
    if (arg !== 'anything' && (reg.type === 'pkt' || reg.type === 'pkt_meta') && !helperPktAccess(env, proto.pktAccess === true)) {
      fail(env.log, 'EACCES', 'helper-pkt-access', 'helper access to the packet is not allowed');
    }
    const res = checkFuncArg(env, state, regno, reg, arg, map, lastMem, call);
    if (arg === 'map') {
      map = regMap(env, reg);
      if (id === TAIL_CALL && map !== undefined && map.mapType !== PROG_ARRAY) {
        // 6.18 prints this one without a newline.
        env.log.write('expected prog array map for tail call');
        throw new Reject('EINVAL', 'verifier:map-func', 'expected prog array map for tail call');
      }
    }
    if (arg === 'btf_id_or_null_release' && regConst(reg) !== 0n) release = reg;
    if (arg === 'sock_common_release' || arg === 'ringbuf_mem_release') {
      if (reg.refObjId === undefined || reg.refObjId === 0) {
        fail(env.log, 'EINVAL', 'release-unreferenced', `R${String(regno)} must be referenced when passed to release function`);
      }
      release = reg;
    }
    if ((arg === 'sock_common' || arg === 'btf_id_sock_common') && reg.refObjId !== undefined) castRef = reg.refObjId;
    lastMem = res;
  });
  if (name === 'dynptr_from_mem') {
    const data = env.frame(state).regs[1] ?? unknownScalar;
    if (data.type !== 'map_value') fail(env.log, 'EACCES', 'dynptr-from-mem', `Unsupported reg type ${regTypeStr(data)} for bpf_dynptr_from_mem data`);
  }
  if (name === 'snprintf') checkSnprintfCall(env, env.frame(state).regs[3] ?? unknownScalar, env.frame(state).regs[5] ?? unknownScalar);
  if (call.unmodelled !== undefined) fail(env.log, 'EINVAL', 'unsupported', call.unmodelled);
  if (id === TAIL_CALL && map?.mapType === PROG_ARRAY) {
    // `record_func_key`: a constant in-range index is remembered for the call, so it must be exact.
    const key = regConst(env.frame(state).regs[3] ?? unknownScalar);
    if (key !== undefined && key < BigInt(map.maxEntries)) markChainPrecision(env, state, 3);
  }
  if (id === TAIL_CALL) checkResourceLeak(env, state, 'tail_call');
  if (name === 'get_local_storage') {
    const flags = env.frame(state).regs[2] ?? unknownScalar;
    if (regConst(flags) !== 0n) fail(env.log, 'EINVAL', 'local-storage-flags', "get_local_storage() doesn't support non-zero flags");
    // The later builds make the flags that must be 0 precise, like a NULL argument.
    markNullArgPrecise(env, state, 2, flags);
  }
  if (call.dynptrRelease !== undefined) unmarkDynptr(env, state, call.dynptrRelease);
  else if (release?.refObjId !== undefined) releaseReference(env, state, release.refObjId);
  if (SYNC_CALLBACK_HELPERS.has(id)) callbackCall(env, state, id, map);
  if (id === TIMER_SET_CALLBACK && call.timerMap !== undefined) {
    pushTimerCallback(env, state, env.insnIdx, env.frame(state).regs[2]?.subprog ?? -1, call.timerMap);
  }
  // After every argument; for_each_map_elem asks the map for its callback first (`set_map_elem_callback_state`).
  if (id !== FOR_EACH && map !== undefined) checkMapFuncCompatibility(env, map, id, name ?? '');
  if (id === FOR_EACH && map !== undefined) checkMapFuncCompatibility(env, map, id, name ?? '');
  // A write into an skb dynptr may move the packet (`changes_data`).
  const skbWrite = name === 'dynptr_write' && (call.dynptr?.type === 'skb' || call.dynptr?.type === 'skb_meta');
  if (CHANGES_PKT_DATA.has(name ?? '') || skbWrite) clearAllPktPointers(env, state);
  const f = env.frame(state);
  for (let r = 1; r <= 5; r++) f.regs[r] = notInit;
  const ret = proto.ret;
  if (ret === 'btf_id') {
    // A plain BTF pointer (not trusted, never NULL); without the kernel's BTF an opaque scalar.
    const btf = env.req.kfuncs?.btf;
    const btfId = btf?.findAll(proto.retStruct ?? '', 'STRUCT')[0];
    env.writeReg(state, 0, btfId === undefined ? unknownScalar : pointer('ptr_', 0, { btf, btfId }));
    return;
  }
  if (ret === 'dynptr_mem_or_null') {
    // A slice of the dynptr: it ends with the dynptr (`dynptr_id`) and with its reference (`ref_obj_id`).
    const d = call.dynptr;
    env.writeReg(state, 0, pointer('mem_or_null', 0, {
      valueSize: env.lastAllocSize, id: env.nextId++, ...(d === undefined ? {} : { dynptrId: d.id }),
      ...(d === undefined || d.refObjId === 0 ? {} : { refObjId: d.refObjId }),
    }));
    return;
  }
  if (ret === 'btf_id_or_null') {
    // A socket cast: a BTF pointer that may be NULL, holding its argument's reference; without the kernel's BTF an opaque scalar.
    const btf = env.req.kfuncs?.btf;
    const btfId = btf?.findAll(proto.retStruct ?? '', 'STRUCT')[0];
    env.writeReg(state, 0, btfId === undefined ? unknownScalar
      : pointer('ptr_or_null_', 0, { btf, btfId, id: env.nextId++, ...(castRef === undefined ? {} : { refObjId: castRef }) }));
    return;
  }
  if (ret === 'task_btf') {
    // A trusted task_struct pointer needs the kernel's BTF; without it the value is an opaque scalar.
    const btf = env.req.kfuncs?.btf;
    const btfId = btf?.findAll('task_struct', 'STRUCT')[0];
    env.writeReg(state, 0, btfId === undefined ? unknownScalar : pointer('ptr_', 0, { btf, btfId, btfMod: 'trusted' }));
    return;
  }
  if (ret === 'mem_or_btf_id' || ret === 'mem_or_btf_id_or_null') {
    env.writeReg(state, 0, percpuCopy(env, call.percpuTarget, ret === 'mem_or_btf_id_or_null'));
    return;
  }
  const kptr = call.kptrField?.kptr;
  if (name === 'kptr_xchg' && kptr !== undefined) {
    // The old value of the kptr, or NULL: a referenced BTF pointer to a kernel struct, or the program's
    // own allocated object (per-CPU for a percpu_kptr). Like every acquired pointer that may be NULL, it
    // takes an id for the NULL check first, then the reference's, which replaces it.
    env.nextId++;
    const ref = env.nextId++;
    state.refs.push({ id: ref, insn: env.insnIdx });
    const local = kptr.kernel ? {} : { memAlloc: true, ...(call.kptrField?.kind === 'percpu_kptr' ? { percpu: true } : {}) };
    env.writeReg(state, 0, pointer('ptr_or_null_', 0, { btf: kptr.btf, btfId: kptr.btfId, id: ref, refObjId: ref, ...local }));
    return;
  }
  if (ret === 'void') {
    // `RET_VOID`: R0 holds nothing a program may read.
    env.writeReg(state, 0, notInit);
    return;
  }
  if (ret === 'integer') {
    env.writeReg(state, 0, RETVAL_UP_TO_SIZE.has(name ?? '') && msizeMax !== undefined ? retvalUpTo(msizeMax)
      : name === 'get_smp_processor_id' && env.possibleCpus !== undefined ? cpuId(env.possibleCpus) : unknownScalar);
    // bpf_kptr_xchg of a field whose pointee type the map did not record: still a reference the program holds.
    if (proto.acquire === true) state.refs.push({ id: env.nextId++, insn: env.insnIdx });
    return;
  }
  // A value holding a bpf_spin_lock keeps an id: two lookups are two locks.
  const lockId = (): { id: number } | undefined => (hasSpinLock(map) ? { id: env.nextId++ } : undefined);
  // A lookup in a map reached through a map-in-map is a value of its inner template.
  const inner = map !== undefined && isInnerView(env, map) ? { innerMap: true } : {};
  if (ret === 'map_value') {
    env.writeReg(state, 0, pointer('map_value', 0, { mapFd: map?.fd ?? 0, valueSize: map?.valueSize ?? 0, ...lockId(), ...inner }));
    return;
  }
  // An array lookup with a constant in-range key cannot fail (`can_elide_value_nullness`).
  if (id === MAP_LOOKUP_ELEM && map !== undefined && env.constMapKey !== undefined && env.constMapKey < BigInt(map.maxEntries)) {
    env.writeReg(state, 0, pointer('map_value', 0, { mapFd: map.fd, valueSize: map.valueSize, ...lockId(), ...inner }));
    return;
  }
  const sockLookup = id === MAP_LOOKUP_ELEM && (map?.mapType === SOCKMAP || map?.mapType === SOCKHASH);
  if (id === MAP_LOOKUP_ELEM && map?.mapType === XSKMAP) {
    // An XSKMAP holds AF_XDP sockets: its lookup is one (`struct bpf_xdp_sock`), not a value.
    env.writeReg(state, 0, pointer('xdp_sock_or_null', 0, { id: env.nextId++ }));
    return;
  }
  const retType = sockLookup ? 'sock_or_null' : ret;
  let ptrId = env.nextId++;
  let refObjId: number | undefined;
  if (proto.acquire === true || sockLookup) {
    ptrId = env.nextId++;
    refObjId = ptrId;
    state.refs.push({ id: ptrId, insn: env.insnIdx });
  } else if (proto.cast === true) {
    refObjId = castRef;
  }
  if (env.callbackLoops && ret === 'map_value_or_null' && map?.innerMap !== undefined && !isInnerView(env, map)) {
    // A map-in-map's value is an inner map: in the later 6.18 builds, a map pointer of the inner template
    // or NULL at once (the corpus's build types it a map value until the NULL check, see check-jmp).
    const { keySize, valueSize } = map.innerMap;
    env.writeReg(state, 0, pointer('map_ptr_or_null', 0, { mapFd: map.fd, keySize, valueSize, innerMap: true, id: ptrId }));
    return;
  }
  env.writeReg(state, 0, pointer(retType, 0, {
    valueSize: ret === 'map_value_or_null' ? map?.valueSize ?? 0 : env.lastAllocSize, id: ptrId, ...(refObjId === undefined ? {} : { refObjId }),
    ...(ret === 'map_value_or_null' && map !== undefined ? { mapFd: map.fd, ...inner } : {}),
  }));
}

/** Helpers that return an error or at most the size they were given (`do_refine_retval_range`). */
const RETVAL_UP_TO_SIZE: ReadonlySet<string> = new Set(['get_stack', 'get_task_stack', 'probe_read_str', 'probe_read_kernel_str', 'probe_read_user_str']);
const MAX_ERRNO = 4095n;

/** R0 of such a helper: in [-MAX_ERRNO, the size argument's largest value], in both widths. */
function retvalUpTo(msizeMax: bigint): RegState {
  const b = copyBounds(unknownScalar);
  b.smin = -MAX_ERRNO;
  b.smax = msizeMax;
  b.s32min = -MAX_ERRNO;
  b.s32max = BigInt.asIntN(32, msizeMax);
  boundsSync(b);
  return scalarOf(b);
}

/** R0 of `bpf_get_smp_processor_id`: a CPU number, below `nr_cpu_ids`. */
function cpuId(possibleCpus: number): RegState {
  const b = copyBounds(unknownScalar);
  const max = BigInt(Math.max(possibleCpus, 1) - 1);
  b.umin = 0n; b.u32min = 0n; b.smin = 0n; b.s32min = 0n;
  b.umax = max; b.u32max = max; b.smax = max; b.s32max = max;
  boundsSync(b);
  return scalarOf(b);
}

const CGROUP_SOCKOPT = 25;

/** `may_access_direct_pkt_data` with the helper's `meta`: its `pkt_access`, where the program type reads packets at all. */
function helperPktAccess(env: VerifierEnv, pktAccess: boolean): boolean {
  if (env.req.progType === CGROUP_SOCKOPT) return true;
  return mayAccessDirectPktData(env.req.progType, false) && pktAccess;
}

const TAIL_CALL = 12, MAP_LOOKUP_ELEM = 1, LOOP = 181, FOR_EACH = 164, TIMER_SET_CALLBACK = 170;

/** The callback-calling helpers' switch in `check_helper_call`: queue the callback's visit (bpf_loop: until its bound). */
function callbackCall(env: VerifierEnv, state: VState, id: number, map: VerifierMap | undefined): void {
  const f = env.frame(state);
  const fnReg = f.regs[id === 180 ? 3 : 2];
  const subprog = fnReg?.subprog ?? -1;
  if (id !== LOOP) {
    pushCallback(env, state, env.insnIdx, id, subprog, map);
    return;
  }
  // `update_loop_inline_state`: a zero flags argument must stay zero for the call to be inlined.
  const flagsZero = regConst(f.regs[4] ?? unknownScalar) === 0n;
  if (flagsZero && env.loopInline.get(env.insnIdx)?.fit !== false) markChainPrecision(env, state, 4);
  updateLoopInline(env, env.insnIdx, subprog, flagsZero);
  // The iteration bound decides when the visits stop: it must be exact.
  markChainPrecision(env, state, 1);
  const bound = env.frame(state).regs[1]?.umax ?? 0n;
  if (BigInt(f.callbackDepth ?? 0) < bound) {
    pushCallback(env, state, env.insnIdx, id, subprog, map);
  } else {
    f.callbackDepth = 0;
    if (env.log.level2) env.log.line(`frame${String(state.frames.length - 1)} bpf_loop iteration limit reached`);
  }
}
const SK_STORAGE = 24, INODE_STORAGE = 28, TASK_STORAGE = 29, CGRP_STORAGE = 32;
const XSKMAP = 17, ARRAY = 2, PERCPU_ARRAY = 6, CGROUP_STORAGE = 19, PERCPU_CGROUP_STORAGE = 21, PROG_ARRAY = 3, PERF_EVENT_ARRAY = 4, STACK_TRACE = 7, SOCKMAP = 15, SOCKHASH = 18, RINGBUF = 27, USER_RINGBUF = 31;

/** Helpers a map type may only be used with, and map types a helper needs (`check_map_func_compatibility`, subset). */
const MAP_ONLY: Readonly<Record<number, readonly string[]>> = {
  [PROG_ARRAY]: ['tail_call'],
  [PERF_EVENT_ARRAY]: ['perf_event_read', 'perf_event_output', 'perf_event_read_value', 'skb_output', 'xdp_output'],
  [STACK_TRACE]: ['get_stackid'],
  [CGROUP_STORAGE]: ['get_local_storage'],
  [PERCPU_CGROUP_STORAGE]: ['get_local_storage'],
  [USER_RINGBUF]: ['user_ringbuf_drain'],
  [RINGBUF]: ['ringbuf_output', 'ringbuf_reserve', 'ringbuf_query', 'ringbuf_reserve_dynptr', 'ringbuf_submit_dynptr', 'ringbuf_discard_dynptr'],
  [SK_STORAGE]: ['sk_storage_get', 'sk_storage_delete', 'kptr_xchg'],
  [INODE_STORAGE]: ['inode_storage_get', 'inode_storage_delete', 'kptr_xchg'],
  [TASK_STORAGE]: ['task_storage_get', 'task_storage_delete', 'kptr_xchg'],
  [CGRP_STORAGE]: ['cgrp_storage_get', 'cgrp_storage_delete', 'kptr_xchg'],
  [SOCKMAP]: ['sk_redirect_map', 'sock_map_update', 'msg_redirect_map', 'sk_select_reuseport', 'map_lookup_elem', 'map_update_elem', 'map_delete_elem'],
  [SOCKHASH]: ['sk_redirect_hash', 'sock_hash_update', 'msg_redirect_hash', 'sk_select_reuseport', 'map_lookup_elem', 'map_update_elem', 'map_delete_elem'],
};
const FUNC_NEEDS: Readonly<Record<string, readonly number[]>> = {
  tail_call: [PROG_ARRAY], perf_event_output: [PERF_EVENT_ARRAY], get_stackid: [STACK_TRACE], ringbuf_output: [RINGBUF],
  ringbuf_reserve: [RINGBUF], ringbuf_query: [RINGBUF], user_ringbuf_drain: [USER_RINGBUF], get_local_storage: [CGROUP_STORAGE, PERCPU_CGROUP_STORAGE],
  sk_storage_get: [SK_STORAGE], sk_storage_delete: [SK_STORAGE], inode_storage_get: [INODE_STORAGE], inode_storage_delete: [INODE_STORAGE],
  task_storage_get: [TASK_STORAGE], task_storage_delete: [TASK_STORAGE], cgrp_storage_get: [CGRP_STORAGE], cgrp_storage_delete: [CGRP_STORAGE],
};

const TRACING = 26, SOCK_OPS = 13, BPF_TRACE_ITER = 28;
/** Program types that never hold a locked socket, so they may update and delete socket map entries. */
const SOCKMAP_UPDATERS = new Set([1, 3, 4, 6, 21, 22, 30]);

/** `may_update_sockmap`: map_update_elem / map_delete_elem on a socket map, by program type. */
function mayUpdateSockmap(env: VerifierEnv, name: string): boolean {
  if (name !== 'map_update_elem' && name !== 'map_delete_elem') return false;
  const type = env.req.progType;
  if (SOCKMAP_UPDATERS.has(type)) return true;
  if (type === TRACING && env.req.expectedAttachType === BPF_TRACE_ITER) return true;
  if (type === SOCK_OPS && name === 'map_delete_elem') return true;
  env.log.line('cannot update sockmap in this context');
  return false;
}

function checkMapFuncCompatibility(env: VerifierEnv, map: VerifierMap, funcId: number, name: string): void {
  const sockmap = map.mapType === SOCKMAP || map.mapType === SOCKHASH;
  const only = MAP_ONLY[map.mapType];
  const needs = FUNC_NEEDS[name];
  const allowed = only === undefined || (only.includes(name) && (!sockmap || !name.startsWith('map_') || name === 'map_lookup_elem' || mayUpdateSockmap(env, name)));
  if (!allowed || (needs !== undefined && !needs.includes(map.mapType))) {
    fail(env.log, 'EINVAL', 'map-func', `cannot pass map_type ${String(map.mapType)} into func bpf_${name}#${String(funcId)}`);
  }
}

/** `get_constant_map_key`: the key's value when the stack holds it as zero bytes or a spilled constant of the key's size. */
function constantMapKey(env: VerifierEnv, state: VState, key: RegState, keySize: number): bigint | undefined {
  if (!env.privileges.bpfCapable || key.type !== 'fp' || !tnumIsConst(key.varOff)) return undefined;
  const at = key.off + Number(BigInt.asIntN(64, key.varOff.value));
  const f = state.frames[key.frame ?? state.frames.length - 1];
  const { spi, i } = byteAt(at);
  const slot = f?.stack[spi];
  if (slot === undefined) return undefined;
  let zero = 0;
  for (let k = i; k < 8 && slot.bytes[k] === 'zero'; k++) zero++;
  if (zero >= keySize) return 0n;
  if (!isSpilledReg(slot) || slot.spilled?.type !== 'scalar') return undefined;
  let spill = 0;
  for (let k = i; k < 8 && slot.bytes[k] === 'spill'; k++) spill++;
  if (spill !== keySize) return undefined;
  const k = regConst(slot.spilled);
  // The lookup cannot fail for this key: the spilled constant must be exact.
  if (k !== undefined) markSlotPrecision(env, state, key.frame ?? state.frames.length - 1, spi);
  return k;
}

/** `check_resource_leak`: a lock or references still held where the program can no longer release them. */
export function checkResourceLeak(env: VerifierEnv, state: VState, prefix: string): void {
  checkLockHeld(env, state, prefix);
  if (state.refs.length > 0) leak(env, state, prefix);
}

/** The reference half of `check_resource_leak`: prints each reference still held and refuses. */
export function leak(env: VerifierEnv, state: VState, prefix: string): never {
  for (const ref of state.refs) env.log.line(`Unreleased reference id=${String(ref.id)} alloc_insn=${String(ref.insn)}`);
  return fail(env.log, 'EINVAL', 'ref-leak', `${prefix} would lead to reference leak`);
}


/** `mem_types`: what a memory argument (and a map key or value) may point to, and how 6.18 lists them. */

/** Argument kinds that may be NULL (`type_may_be_null`). */
const NULLABLE_ARGS: ReadonlySet<string> = new Set([
  'ctx_or_null', 'stack_or_null', 'map_value_or_null', 'btf_id_or_null_release', 'mem_or_null', 'mem_or_null_write', 'sock_or_null',
]);

/** `check_func_arg` for the modelled argument kinds. */
function checkFuncArg(env: VerifierEnv, state: VState, regno: number, reg: RegState, arg: ArgType, map: VerifierMap | undefined,
  lastMem: MemArg | undefined, call: CallArgs): MemArg | undefined {
  const r = `R${String(regno)}`;
  const expect = (ok: boolean, expected: string): void => {
    if (!ok) fail(env.log, 'EACCES', 'bad-arg-type', `${r} type=${regTypeStr(reg)} expected=${expected}`);
  };
  if (NULLABLE_ARGS.has(arg) || arg.startsWith('btf_or_null:')) markNullArgPrecise(env, state, regno, reg);
  if (arg.startsWith('btf:') || arg.startsWith('btf_or_null:')) {
    checkBtfIdArg(env, regno, reg, arg.slice(arg.indexOf(':') + 1), arg.startsWith('btf_or_null:'));
    return undefined;
  }
  if (arg.startsWith('fixed_mem:')) {
    checkFixedMemArg(env, state, regno, reg, Number(arg.slice('fixed_mem:'.length)), call.helper);
    return undefined;
  }
  switch (arg) {
    case 'anything':
      return undefined;
    case 'const_str':
      checkConstStrArg(env, regno, reg);
      return undefined;
    case 'sock_or_null':
      if (regConst(reg) !== 0n) expect(reg.type === 'sock' || reg.type === 'sock_or_null', 'sock');
      return undefined;
    case 'dynptr':
    case 'dynptr_local_uninit':
    case 'dynptr_ringbuf_uninit':
    case 'dynptr_ringbuf_release':
      call.dynptr = checkDynptrArg(env, state, regno, reg, arg) ?? call.dynptr;
      if (arg === 'dynptr_ringbuf_release') call.dynptrRelease = reg;
      return undefined;
    case 'ctx':
    case 'ctx_or_null':
      expect(reg.type === 'ctx' || (arg === 'ctx_or_null' && regConst(reg) === 0n), 'ctx');
      if (reg.type === 'ctx') checkPtrOffReg(env, regno, reg);
      return undefined;
    case 'sock_common':
      expect(['sock_common', 'sock', 'tcp_sock', 'xdp_sock'].includes(reg.type), 'sock_common, sock, tcp_sock, xdp_sock');
      return undefined;
    case 'long_out':
    case 'u32_inout': {
      checkMemArgType(env, regno, reg, false, call.helper);
      const size = arg === 'long_out' ? 8 : 4;
      checkHelperMemAccess(env, state, regno, reg, size, true, false, arg === 'long_out');
      checkPtrAlignment(env, reg, 0, size, true);
      return undefined;
    }
    case 'btf_id_sock_common':
      checkSockCommonArg(env, regno, reg);
      return undefined;
    case 'sock_common_release':
      checkSockCommonArg(env, regno, reg);
      checkReleaseOff(env, regno, reg);
      return undefined;
    case 'ringbuf_mem_release':
      expect(reg.type === 'ringbuf_mem', 'ringbuf_mem');
      checkReleaseOff(env, regno, reg);
      return undefined;
    case 'map':
      expect(reg.type === 'map_ptr', 'map_ptr');
      if (call.timerMap !== undefined) checkTimerMap(env, call.timerMap, reg);
      return undefined;
    case 'timer':
      expect(reg.type === 'map_value', 'map_value');
      call.timerMap = processTimerArg(env, regno, reg);
      return undefined;
    case 'percpu_btf_id':
      call.percpuTarget = checkPercpuBtfArg(env, regno, reg);
      return undefined;
    case 'kptr_xchg_dest':
      expect(reg.type === 'map_value', 'map_value, ptr_');
      call.kptrField = processKptrFunc(env, regno, reg);
      return undefined;
    case 'btf_id_or_null_release':
      if (regConst(reg) === 0n) return undefined;
      expect((reg.type === 'ptr_' || reg.type === 'ptr_or_null_') && reg.btf !== undefined, 'ptr_, trusted_ptr_, rcu_ptr_');
      if (call.kptrField !== undefined) mapKptrMatchType(env, call.kptrField, reg, regno);
      if (reg.refObjId === undefined || reg.refObjId === 0) {
        fail(env.log, 'EINVAL', 'release-unreferenced', `${r} must be referenced when passed to release function`);
      }
      checkReleaseOff(env, regno, reg);
      return undefined;
    case 'spin_lock':
    case 'spin_unlock':
      expect(reg.type === 'map_value' || isOwningAlloc(reg), 'map_value, ptr_');
      processSpinLock(env, state, regno, reg, arg === 'spin_lock');
      return undefined;
    case 'func':
      expect(reg.type === 'func', 'func');
      checkPtrOffReg(env, regno, reg);
      return undefined;
    case 'stack_or_null':
      if (regConst(reg) === 0n) return undefined;
      expect(reg.type === 'fp', 'fp');
      return undefined;
    case 'map_value_or_null':
      if (regConst(reg) === 0n) return undefined;
      return checkFuncArg(env, state, regno, reg, 'map_value', map, lastMem, call);
    case 'map_key':
    case 'map_value':
    case 'map_value_uninit': {
      // A socket map takes the socket itself as the value (`resolve_map_arg_type`: ARG_PTR_TO_BTF_ID_SOCK_COMMON).
      if (arg === 'map_value' && (map?.mapType === SOCKMAP || map?.mapType === SOCKHASH)) {
        checkSockCommonArg(env, regno, reg);
        return undefined;
      }
      checkMemArgType(env, regno, reg, false, call.helper);
      const size = arg === 'map_key' ? map?.keySize ?? 4 : map?.valueSize ?? 0;
      // bpf_map_pop_elem / bpf_map_peek_elem write the value out (`MEM_UNINIT | MEM_WRITE`).
      checkHelperMemAccess(env, state, regno, reg, size, arg === 'map_value_uninit', false);
      if (arg === 'map_key' && (map?.mapType === ARRAY || map?.mapType === PERCPU_ARRAY)) env.constMapKey = constantMapKey(env, state, reg, size);
      return undefined;
    }
    case 'mem_or_null':
    case 'mem_or_null_write': {
      // A NULL pointer must go with a size of zero (checked with the size).
      const mem = { regno, reg, write: arg === 'mem_or_null_write', uninit: false };
      if (regConst(reg) === 0n) return mem;
      checkMemArgType(env, regno, reg, !mem.write, call.helper);
      return mem;
    }
    case 'uninit_mem':
    case 'mem_write':
    case 'mem':
      checkMemArgType(env, regno, reg, arg === 'mem', call.helper);
      return { regno, reg, write: arg !== 'mem', uninit: arg === 'uninit_mem' };
    case 'const_size':
    case 'const_size_or_zero':
    case 'const_alloc_size_or_zero': {
      if (reg.type !== 'scalar') fail(env.log, 'EACCES', 'bad-arg-type', `${r} type=${regTypeStr(reg)} expected=scalar`);
      const zeroOk = arg !== 'const_size';
      if (arg === 'const_alloc_size_or_zero') {
        const k = regConst(reg);
        if (k === undefined) fail(env.log, 'EACCES', 'alloc-size', `R${String(regno)} is not a known constant'`);
        env.lastAllocSize = Number(k);
        markChainPrecision(env, state, regno);
        return undefined;
      }
      // `check_mem_size_reg`.
      if (reg.smin < 0n) fail(env.log, 'EACCES', 'size-negative', `${r} min value is negative, either use unsigned or 'var &= const'`);
      if (reg.umin === 0n && !zeroOk) {
        fail(env.log, 'EACCES', 'zero-size', `${r} invalid zero-sized read: u64=[${BigInt.asIntN(64, reg.umin).toString()},${reg.umax.toString()}]`);
      }
      if (reg.umax >= MAX_VAR_SIZ) fail(env.log, 'EACCES', 'size-unbounded', `${r} unbounded memory access, use 'var &= const' or 'if (var < const)'`);
      if (lastMem !== undefined) {
        checkHelperMemAccess(env, state, lastMem.regno, lastMem.reg, Number(reg.umax), lastMem.write, zeroOk && reg.umin === 0n, lastMem.uninit, tnumIsConst(reg.varOff));
      }
      markChainPrecision(env, state, regno);
      return undefined;
    }
  }
}

/**
 * `ARG_PTR_TO_BTF_ID_SOCK_COMMON`: a socket pointer of the networking kinds, or a plain or trusted BTF
 * pointer to a struct that starts with a `struct sock_common`.
 */
function checkSockCommonArg(env: VerifierEnv, regno: number, reg: RegState): void {
  const btfPtr = reg.type === 'ptr_' && (reg.btfMod === undefined || reg.btfMod === 'trusted');
  if (!['sock_common', 'sock', 'tcp_sock', 'xdp_sock'].includes(reg.type) && !btfPtr) {
    fail(env.log, 'EACCES', 'bad-arg-type', `R${String(regno)} type=${regTypeStr(reg)} expected=sock_common, sock, tcp_sock, xdp_sock, ptr_, trusted_ptr_`);
  }
  if (btfPtr && !isSockBtfPtr(reg)) {
    fail(env.log, 'EACCES', 'btf-arg-struct', `R${String(regno)} is of type ${reg.btf?.type(reg.btfId ?? 0)?.name ?? ''} but sock_common is expected`);
  }
}

/** A BTF pointer (not untrusted, not NULL) to a struct that starts with a `struct sock_common` (`btf_struct_ids_match`). */
function isSockBtfPtr(reg: RegState): boolean {
  if (reg.type !== 'ptr_' || reg.btfMod === 'untrusted' || reg.btf === undefined || reg.off !== 0) return false;
  const want = reg.btf.findAll('sock_common', 'STRUCT')[0];
  return want !== undefined && structIdsMatch(reg.btf, reg.btfId ?? 0, want, false);
}

/** `check_func_arg_reg_off` for a release argument: the pointer exactly as it was acquired. */
function checkReleaseOff(env: VerifierEnv, regno: number, reg: RegState): void {
  if (reg.off !== 0) fail(env.log, 'EINVAL', 'release-off', `R${String(regno)} must have zero offset when passed to release func or trusted arg to kfunc`);
  if (!tnumIsConst(reg.varOff) || reg.varOff.value !== 0n) {
    fail(env.log, 'EACCES', 'release-var-off', `variable ${regTypeStr(reg)} access var_off=${tnumStr(reg.varOff)} disallowed`);
  }
}

export { pointer, releaseReference };

