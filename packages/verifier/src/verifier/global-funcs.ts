import { essentialName } from '@bpfkit/btf';
import type { BtfTypeView, BtfView } from '@bpfkit/kernel-api';
import type { ErrnoName } from '@bpfkit/uapi';
import { checkHelperMemAccess, clearAllPktPointers, helperChangesPktData } from './helper-mem.js';
import { checkPtrOffReg } from './check-mem.js';
import { processDynptrArg } from './dynptr.js';
import type { VerifierEnv } from './env.js';
import { CALL, JMP, PSEUDO_CALL } from './insns.js';
import { fail, Reject } from './log.js';
import { markChainPrecision, markNullArgPrecise } from './precision.js';
import { NOT_NULL, notInit, pointer, regConst, regTypeStr, unknownScalar, type RegState, type VState } from './state.js';
import { kindStr, skipModifiers } from './btf-walk.js';
import { structIdsMatch } from './kfunc-btf.js';
import { tnumIsConst, tnumStr } from './tnum.js';

/**
 * How a global function's argument arrives (`enum bpf_arg_type` of `btf_prepare_func_args`, the kinds
 * modelled here): a scalar, the context, or `size` bytes of memory (`ARG_PTR_TO_MEM`, NULL allowed
 * unless tagged `arg:nonnull`).
 */
export type GlobalArg = 'scalar' | 'ctx' | 'arena' | 'dynptr' | { readonly size: number; readonly nullable: boolean } | TrustedArg;

/** An `arg:trusted` pointer (`ARG_PTR_TO_BTF_ID | PTR_TRUSTED`): a kernel struct of the kernel's BTF, NULL allowed with `arg:nullable`. */
export interface TrustedArg {
  readonly btf: BtfView;
  readonly btfId: number;
  readonly nullable: boolean;
}

/**
 * What `btf_prepare_func_args` made of a global function's prototype: its arguments, or the
 * lines it logged and the errno it gave.
 */
export type GlobalPlan =
  | { readonly kind: 'ok'; readonly args: readonly GlobalArg[] }
  | { readonly kind: 'error'; readonly code: ErrnoName; readonly lines: readonly string[] };

/** A subprogram with global linkage, verified on its own after the main program. */
export interface GlobalFunc {
  readonly subprog: number;
  readonly name: string;
  readonly plan: GlobalPlan;
  /** `subprog_info.changes_pkt_data`: it (or a function it calls) may move the packet. */
  readonly changesPktData: boolean;
}

const MAX_ARGS = 5;
const BTF_FUNC_GLOBAL = 1;

/** The context struct each program type's ctx argument points to (`bpf_ctx_convert`), with typedefs resolved. */
const CTX_NAMES: Readonly<Record<number, readonly string[]>> = {
  1: ['__sk_buff'], 2: ['bpf_user_pt_regs_t', 'pt_regs'], 3: ['__sk_buff'], 4: ['__sk_buff'], 5: ['__u64', 'unsigned long long'],
  6: ['xdp_md'], 7: ['bpf_perf_event_data'], 8: ['__sk_buff'], 9: ['bpf_sock'], 10: ['__sk_buff'], 11: ['__sk_buff'], 12: ['__sk_buff'],
  13: ['bpf_sock_ops'], 14: ['__sk_buff'], 15: ['bpf_cgroup_dev_ctx'], 16: ['sk_msg_md'], 17: ['bpf_raw_tracepoint_args'],
  18: ['bpf_sock_addr'], 19: ['__sk_buff'], 20: ['__u32', 'unsigned int'], 21: ['sk_reuseport_md'], 22: ['__sk_buff'], 23: ['bpf_sysctl'],
  24: ['bpf_raw_tracepoint_args'], 25: ['bpf_sockopt'], 30: ['bpf_sk_lookup'], 32: ['bpf_nf_ctx'],
};
/** `btf_is_projection_of`: the kernel struct behind a uapi context struct also names the context. */
const PROJECTIONS: Readonly<Record<string, string>> = { __sk_buff: 'sk_buff', xdp_md: 'xdp_buff' };

const KPROBE = 2, TRACEPOINT = 5, PERF_EVENT = 7, RAW_TP = 17, RAW_TP_W = 24, TRACING = 26, STRUCT_OPS = 27, EXT = 28, LSM = 29, SYSCALL = 31;
const TRACE_RAW_TP = 23, TRACE_FENTRY = 24, TRACE_FEXIT = 25, MODIFY_RETURN = 26, TRACE_ITER = 28;

const isStruct = (t: BtfTypeView | undefined): boolean => t?.kind === 'STRUCT' || t?.kind === 'UNION';
const isScalarType = (t: BtfTypeView | undefined): boolean => t?.kind === 'INT' || t?.kind === 'ENUM' || t?.kind === 'ENUM64';
const isU64 = (t: BtfTypeView | undefined): boolean => t?.kind === 'INT' && t.size === 8;

/** `btf_is_prog_ctx_type`: does this pointer point to the program type's context struct? */
function isProgCtxType(btf: BtfView, ptr: BtfTypeView, progType: number, arg: number, lines: string[]): boolean {
  if (progType === KPROBE) {
    const td = skipModifiers(btf, ptr.type ?? 0, true);
    if (td?.kind === 'TYPEDEF' && td.name === 'bpf_user_pt_regs_t') return true;
  }
  const t = skipModifiers(btf, ptr.type ?? 0);
  if (!isStruct(t) || t === undefined) return false;
  if (t.name === '') {
    lines.push(`arg#${String(arg)} struct doesn't have a name`);
    return false;
  }
  const names = CTX_NAMES[progType];
  if (names === undefined) return false;
  const [ctxName] = names;
  if (ctxName !== undefined && PROJECTIONS[ctxName] === t.name) return true;
  return names.includes(t.name);
}

/** `btf_validate_prog_ctx_type`: an `arg:ctx` tagged argument must point to something the program type's context can be. */
function validateCtxTag(btf: BtfView, ptr: BtfTypeView, arg: number, progType: number, attachType: number): string | undefined {
  const a = String(arg);
  if (progType === KPROBE || progType === PERF_EVENT) {
    const td = skipModifiers(btf, ptr.type ?? 0, true);
    if (td?.kind === 'TYPEDEF' && td.name === 'bpf_user_pt_regs_t') return undefined;
  }
  const t = skipModifiers(btf, ptr.type ?? 0);
  if (t === undefined || t.kind === 'VOID') return undefined;
  if (t.name === '') return `arg#${a} type doesn't have a name`;
  const struct = isStruct(t);
  switch (progType) {
    case KPROBE:
    case PERF_EVENT:
      if (struct && t.name === 'pt_regs') return undefined;
      break;
    case RAW_TP:
    case RAW_TP_W:
    case LSM:
    case STRUCT_OPS:
      if (isU64(t)) return undefined;
      break;
    case TRACING:
      if (attachType === TRACE_RAW_TP && ((struct && t.name === 'bpf_raw_tracepoint_args') || isU64(t))) return undefined;
      if (attachType === TRACE_ITER && struct && t.name.startsWith('bpf_iter__')) return undefined;
      if ((attachType === TRACE_FENTRY || attachType === TRACE_FEXIT || attachType === MODIFY_RETURN) && isU64(t)) return undefined;
      break;
    case TRACEPOINT:
    case SYSCALL:
    case EXT:
      return undefined;
    default:
      break;
  }
  const names = CTX_NAMES[progType] ?? [];
  // A typedef'd context (kprobe) resolves to its struct; a program type without a context struct takes only `void *`.
  const ctxStruct = names.length > 1 ? names[names.length - 1] : names[0];
  if (ctxStruct === undefined || ctxStruct.startsWith('__u') || ctxStruct.includes(' ')) return `arg#${a} should be void pointer`;
  if (!struct || t.name !== ctxStruct) return `arg#${a} should be \`struct ${ctxStruct} *\``;
  return undefined;
}

/** The `arg:<tag>` decl tags of one parameter of a FUNC, in id order. */
function argTags(btf: BtfView, fnId: number, arg: number): string[] {
  const out: string[] = [];
  for (let id = 1; id < btf.nrTypes; id++) {
    const t = btf.type(id);
    if (t?.kind === 'DECL_TAG' && t.type === fnId && t.componentIdx === arg && t.name.startsWith('arg:')) out.push(t.name.slice(4));
  }
  return out;
}

const error = (code: ErrnoName, ...lines: string[]): GlobalPlan => ({ kind: 'error', code, lines });

/** `btf_resolve_size`: bytes of a sized type, arrays multiplied out; undefined for void, functions, forward declarations. */
function resolveSize(btf: BtfView, t: BtfTypeView): number | undefined {
  let n = 1;
  let cur: BtfTypeView | undefined = t;
  for (let depth = 0; cur?.kind === 'ARRAY' && depth < 32; depth++) {
    n *= cur.nelems ?? 0;
    cur = skipModifiers(btf, cur.type ?? 0);
  }
  if (cur === undefined) return undefined;
  if (cur.kind === 'PTR') return n * 8;
  if (cur.kind === 'INT' || cur.kind === 'ENUM' || cur.kind === 'ENUM64' || cur.kind === 'STRUCT' || cur.kind === 'UNION' || cur.kind === 'FLOAT' || cur.kind === 'DATASEC') {
    return cur.size === undefined ? undefined : n * cur.size;
  }
  return undefined;
}

/**
 * `btf_prepare_func_args` for a global function: its FUNC_PROTO gives the arguments' kinds.
 * Undefined when the prototype has an argument kind not modelled yet (a dynptr or an
 * untrusted BTF id): such a function is still walked inline, as a static one.
 */
function prepareFuncArgs(btf: BtfView | undefined, typeId: number, subprog: number, progType: number, attachType: number,
  kernelBtf: BtfView | undefined): GlobalPlan | undefined {
  const fn = typeId === 0 ? undefined : btf?.type(typeId);
  if (btf === undefined || fn === undefined) return typeId === 0 || btf === undefined ? error('EFAULT', 'Global functions need valid BTF') : error('EFAULT', `BTF of func#${String(subprog)} doesn't point to KIND_FUNC`);
  if (fn.kind !== 'FUNC') return error('EFAULT', `BTF of func#${String(subprog)} doesn't point to KIND_FUNC`);
  const proto = btf.type(fn.type ?? 0);
  if (proto?.kind !== 'FUNC_PROTO') return error('EFAULT', `Invalid type of function ${fn.name}()`);
  const params = proto.params ?? [];
  if (params.length > MAX_ARGS) {
    return error('EINVAL', `Global function ${fn.name}() with ${String(params.length)} > ${String(MAX_ARGS)} args. Buggy compiler.`);
  }
  // 6.18 takes no void global function (later kernels do).
  if (!isScalarType(skipModifiers(btf, proto.type ?? 0))) {
    return error('EINVAL', `Global function ${fn.name}() doesn't return scalar. Only those are supported.`);
  }
  const args: GlobalArg[] = [];
  for (let i = 0; i < params.length; i++) {
    const a = String(i);
    const tags = argTags(btf, fn.id, i);
    const known = ['ctx', 'trusted', 'untrusted', 'nonnull', 'nullable', 'arena'];
    if (tags.some((tag) => !known.includes(tag))) return error('EOPNOTSUPP', `arg#${a} has unsupported set of tags`);
    const t = skipModifiers(btf, params[i]?.type ?? 0);
    if (t?.kind === 'PTR') {
      const lines: string[] = [];
      const ctxTag = tags.includes('ctx');
      if (ctxTag || isProgCtxType(btf, t, progType, i, lines)) {
        if (tags.some((tag) => tag !== 'ctx')) return error('EINVAL', ...lines, `arg#${a} has invalid combination of tags`);
        const bad = ctxTag ? validateCtxTag(btf, t, i, progType, attachType) : undefined;
        if (bad !== undefined) return error('EINVAL', ...lines, bad);
        args.push('ctx');
        continue;
      }
      // A `struct bpf_dynptr *` is a read-only dynptr (`ARG_PTR_TO_DYNPTR | MEM_RDONLY`); untrusted BTF ids are not modelled yet.
      const target = skipModifiers(btf, t.type ?? 0);
      if (isStruct(target) && target?.name === 'bpf_dynptr') {
        if (tags.length > 0) return error('EINVAL', ...lines, `arg#${a} has invalid combination of tags`);
        args.push('dynptr');
        continue;
      }
      if (tags.includes('trusted')) {
        if (tags.includes('nonnull')) return error('EINVAL', ...lines, `arg#${a} has invalid combination of tags`);
        // `btf_get_ptr_to_btf_id`: the kernel struct of the same name, a `___flavor` suffix dropped (without the
        // kernel's BTF: not modelled).
        const kernId = kernelBtf === undefined || !isStruct(target) ? undefined : kernelBtf.findAll(essentialName(target?.name ?? ''), target?.kind)[0];
        if (kernelBtf === undefined || kernId === undefined) return undefined;
        args.push({ btf: kernelBtf, btfId: kernId, nullable: tags.includes('nullable') });
        continue;
      }
      if (tags.includes('untrusted')) return undefined;
      if (tags.includes('arena')) {
        if (tags.some((tag) => tag !== 'arena')) return error('EINVAL', ...lines, `arg#${a} arena cannot be combined with any other tags`);
        args.push('arena');
        continue;
      }
      // Any other pointer is memory of the pointed-to type's size (`btf_resolve_size`).
      if (tags.includes('nullable')) return error('EINVAL', ...lines, `arg#${a} has invalid combination of tags`);
      const size = target === undefined ? undefined : resolveSize(btf, target);
      if (size === undefined) {
        return error('EINVAL', ...lines, `arg#${a} reference type('${kindStr(target)} ${target?.name ?? ''}') size cannot be determined: -22`);
      }
      args.push({ size, nullable: !tags.includes('nonnull') });
      continue;
    }
    if (tags.length > 0) return error('EINVAL', `arg#${a} has pointer tag, but is not a pointer type`);
    if (!isScalarType(t)) return error('EINVAL', `Arg#${a} type ${kindStr(t)} in ${fn.name}() is not supported yet.`);
    args.push('scalar');
  }
  return { kind: 'ok', args };
}

/** Per subprogram: does it, or a function it calls, call a helper after which the packet may have moved? */
function changesPktData(env: VerifierEnv, pktHelper: (id: number) => boolean): boolean[] {
  const n = env.subprogs.length - 1;
  const own = Array.from({ length: n }, () => false);
  const callees = Array.from({ length: n }, () => [] as number[]);
  for (let s = 0; s < n; s++) {
    for (let pc = env.subprogs[s] ?? 0; pc < (env.subprogs[s + 1] ?? 0); pc++) {
      const insn = env.insns[pc];
      if (insn?.code !== (JMP | CALL)) continue;
      if (insn.src === 0 && pktHelper(insn.imm)) own[s] = true;
      if (insn.src === PSEUDO_CALL) callees[s]?.push(env.subprogs.indexOf(pc + insn.imm + 1));
    }
  }
  // `merge_callee_effects`: a caller changes the packet when one of its callees does.
  const memo = new Map<number, boolean>();
  const visit = (s: number, depth: number): boolean => {
    const m = memo.get(s);
    if (m !== undefined) return m;
    const v = own[s] === true || (depth < 16 && (callees[s] ?? []).some((c) => c >= 0 && visit(c, depth + 1)));
    memo.set(s, v);
    return v;
  };
  return own.map((_, s) => visit(s, 0));
}

/**
 * The subprograms with global linkage in the request's func_info (the main program excepted),
 * with their prototypes as `btf_prepare_func_args` reads them.
 */
export function findGlobalFuncs(env: VerifierEnv): Map<number, GlobalFunc> {
  const out = new Map<number, GlobalFunc>();
  const fi = env.req.funcInfo;
  if (fi === undefined || fi.length === 0) return out;
  let pkt: boolean[] | undefined;
  fi.forEach((rec, subprog) => {
    if (subprog === 0 || rec.linkage !== BTF_FUNC_GLOBAL || env.subprogs[subprog] !== rec.insnOff) return;
    const typeId = rec.typeId;
    const plan = prepareFuncArgs(env.req.btf, typeId, subprog, env.req.progType, env.req.expectedAttachType, env.req.kfuncs?.btf);
    if (plan === undefined) return;
    const fn = env.req.btf?.type(typeId);
    pkt ??= changesPktData(env, helperChangesPktData);
    out.set(subprog, { subprog, name: fn?.kind === 'FUNC' ? fn.name : '', plan, changesPktData: pkt[subprog] === true });
  });
  return out;
}

/** Types `check_func_arg_reg_off` lets through with any offset; the rest must be unmodified. */
const OFFSET_OK = new Set(['fp', 'pkt', 'pkt_meta', 'map_key', 'map_value', 'ringbuf_mem', 'mem']);
/** Pointers `check_helper_mem_access` can size; anything else is refused as not a stack pointer. */
const SIZED = new Set(['fp', 'pkt', 'pkt_meta', 'map_key', 'map_value', 'ringbuf_mem', 'mem', 'ctx']);

/** `check_mem_reg` of a non-NULL argument: (null-checked or not) the callee may read and write `size` bytes there. */
function checkMemReg(env: VerifierEnv, state: VState, regno: number, reg: RegState, size: number): void {
  const asNotNull: RegState = { ...reg, type: NOT_NULL[reg.type] ?? reg.type };
  if (!SIZED.has(asNotNull.type)) {
    const msg = `R${String(regno)} type=${regTypeStr(reg)} expected=fp`;
    env.log.line(msg);
    throw new Reject('EACCES', 'verifier:bad-arg-type', msg);
  }
  // The write pass leaves the bytes STACK_MISC without marking the slots for the state printed next.
  const scratched = new Set(env.scratchedStack);
  checkHelperMemAccess(env, state, regno, asNotNull, size, false, true);
  checkHelperMemAccess(env, state, regno, asNotNull, size, true, true);
  for (const spi of env.scratchedStack) if (!scratched.has(spi)) env.scratchedStack.delete(spi);
}

/** `is_trusted_reg`: a referenced or trusted BTF pointer (or an allocated object), not an untrusted one. */
function isTrustedReg(reg: RegState): boolean {
  if (reg.btfMod === 'untrusted') return false;
  if ((reg.refObjId ?? 0) !== 0) return true;
  if (['sock', 'sock_common', 'tcp_sock', 'xdp_sock'].includes(reg.type)) return true;
  return (reg.type === 'ptr_' || reg.type === 'ptr_or_null_') && (reg.btfMod === 'trusted' || reg.memAlloc === true || reg.nonOwnRef === true);
}

/** `check_reg_type` for an `arg:trusted` argument: a BTF pointer (not untrusted) to the struct, or NULL where nullable. */
function checkTrustedArg(env: VerifierEnv, state: VState, regno: number, reg: RegState, kind: TrustedArg): void {
  const r = `R${String(regno)}`;
  if (regConst(reg) === 0n && kind.nullable) {
    markNullArgPrecise(env, state, regno, reg);
    return;
  }
  // They also ask for a trusted pointer first, as a kfunc with trusted arguments does.
  if (env.callbackLoops && !isTrustedReg(reg)) fail(env.log, 'EINVAL', 'untrusted-arg', `${r} must be referenced or trusted`);
  const typeOk = reg.btfMod !== 'untrusted' && (reg.type === 'ptr_' || (kind.nullable && reg.type === 'ptr_or_null_'));
  if (!typeOk) fail(env.log, 'EACCES', 'bad-arg-type', `${r} type=${regTypeStr(reg)} expected=ptr_, trusted_ptr_, rcu_ptr_`);
  if (reg.off !== 0 || !structIdsMatch(kind.btf, reg.btfId ?? 0, kind.btfId, false)) {
    fail(env.log, 'EACCES', 'bad-arg-type', `${r} is of type ${reg.btf?.type(reg.btfId ?? 0)?.name ?? ''} but ${kind.btf.type(kind.btfId)?.name ?? ''} is expected`);
  }
  if (reg.off < 0) fail(env.log, 'EACCES', 'negative-off', `negative offset ${regTypeStr(reg)} ptr ${r} off=${String(reg.off)} disallowed`);
  if (!tnumIsConst(reg.varOff) || reg.varOff.value !== 0n) {
    fail(env.log, 'EACCES', 'var-off', `variable ${regTypeStr(reg)} access var_off=${tnumStr(reg.varOff)} disallowed`);
  }
}

/** `btf_check_func_arg_match`: the caller's R1-R5 against the prototype. Throws the first mismatch. */
function checkArgs(env: VerifierEnv, state: VState, args: readonly GlobalArg[]): void {
  const regs = env.frame(state).regs;
  args.forEach((kind, i) => {
    const regno = i + 1;
    const reg = regs[regno] ?? notInit;
    if (kind === 'scalar') {
      if (reg.type !== 'scalar') {
        env.log.line(`R${String(regno)} is not a scalar`);
        throw new Reject('EINVAL', 'verifier:global-func-arg', `R${String(regno)} is not a scalar`);
      }
      return;
    }
    if (typeof kind === 'object' && 'btfId' in kind) {
      checkTrustedArg(env, state, regno, reg, kind);
      return;
    }
    if (kind === 'arena') {
      // Any value would do at run time; only an arena pointer or a plain value makes sense.
      if (reg.type !== 'arena' && reg.type !== 'scalar') {
        env.log.line(`R${String(regno)} is not a pointer to arena or scalar.`);
        throw new Reject('EINVAL', 'verifier:global-func-arg', `R${String(regno)} is not a pointer to arena or scalar.`);
      }
      return;
    }
    // `check_func_arg_reg_off` lets scalars through; other pointers than these must be unmodified.
    if (reg.type !== 'scalar' && !OFFSET_OK.has(reg.type)) checkPtrOffReg(env, regno, reg);
    if (kind === 'dynptr') {
      processDynptrArg(env, state, regno, reg, { uninit: false, rdonly: true });
      return;
    }
    if (typeof kind === 'object') {
      const isNull = regConst(reg) === 0n;
      // A NULL argument is a decision the callee's verification relies on: it must be exact.
      if (isNull) markChainPrecision(env, state, regno);
      if (!isNull) {
        try {
          checkMemReg(env, state, regno, reg, kind.size);
        } catch (e) {
          if (!(e instanceof Reject)) throw e;
          throw new Reject('EINVAL', e.reason, e.message);
        }
      }
      if (!kind.nullable && (isNull || NOT_NULL[reg.type] !== undefined)) {
        env.log.line(`arg#${String(i)} is expected to be non-NULL`);
        throw new Reject('EINVAL', 'verifier:global-func-arg', `arg#${String(i)} is expected to be non-NULL`);
      }
      return;
    }
    if (reg.type !== 'ctx') {
      env.log.line(`arg#${String(i)} expects pointer to ctx`);
      throw new Reject('EINVAL', 'verifier:global-func-arg', `arg#${String(i)} expects pointer to ctx`);
    }
  });
}

/**
 * `check_func_call` of a global function: the arguments are checked against its prototype, the
 * function is assumed valid (and verified later on its own), R0 becomes an unknown scalar.
 */
export function checkGlobalCall(env: VerifierEnv, state: VState, g: GlobalFunc): void {
  const log = env.log;
  let err: Reject | undefined;
  if (g.plan.kind === 'error') {
    for (const l of g.plan.lines) log.line(l);
    err = new Reject(g.plan.code, 'verifier:global-func-btf', g.plan.lines[g.plan.lines.length - 1] ?? '');
    if (g.plan.code === 'EFAULT') throw err;
  } else {
    try {
      checkArgs(env, state, g.plan.args);
    } catch (e) {
      if (!(e instanceof Reject)) throw e;
      err = e;
    }
  }
  const what = `func#${String(g.subprog)} ('${g.name}')`;
  if (state.lock !== undefined) {
    log.line('global function calls are not allowed while holding a lock,');
    fail(log, 'EINVAL', 'global-call-under-lock', 'use static function instead');
  }
  if (err !== undefined) {
    log.line(`Caller passes invalid args into ${what}`);
    throw new Reject(err.code, err.reason, `Caller passes invalid args into ${what}`);
  }
  if (log.verbose) log.line(`Func#${String(g.subprog)} ('${g.name}') is global and assumed valid.`);
  if (g.changesPktData) clearAllPktPointers(env, state);
  env.calledGlobals.add(g.subprog);
  const caller = env.frame(state);
  for (let r = 0; r <= 5; r++) caller.regs[r] = notInit;
  env.writeReg(state, 0, unknownScalar);
}

/** `do_check_common` for a global function: frame 0 of the subprogram, its arguments as the prototype says. */
export function globalEntryState(env: VerifierEnv, g: GlobalFunc): VState {
  const regs: RegState[] = Array.from({ length: 11 }, () => notInit);
  if (g.plan.kind === 'ok') {
    g.plan.args.forEach((kind, i) => {
      if (typeof kind === 'object' && 'btfId' in kind) {
        regs[i + 1] = pointer(kind.nullable ? 'ptr_or_null_' : 'ptr_', 0, { btf: kind.btf, btfId: kind.btfId, btfMod: 'trusted', id: env.nextId++ });
      } else if (typeof kind === 'object') {
        regs[i + 1] = pointer(kind.nullable ? 'mem_or_null' : 'mem', 0, { valueSize: kind.size, ...(kind.nullable ? { id: env.nextId++ } : {}) });
      } else if (kind === 'arena') {
        regs[i + 1] = { ...unknownScalar, type: 'arena' };
      } else if (kind === 'dynptr') {
        // A const dynptr of unknown kind: the measured 6.18 kernel marks (and prints) it as an skb one.
        regs[i + 1] = pointer('dynptr_ptr', 0, { id: env.nextId++, dynptr: { type: 'skb', first: true } });
      } else regs[i + 1] = kind === 'ctx' ? pointer('ctx', 0) : unknownScalar;
    });
  }
  regs[10] = pointer('fp', 0, { frame: 0 });
  const start = env.subprogs[g.subprog] ?? 0;
  return { frames: [{ regs, stack: [], returnTo: -1, subprog: g.subprog }], refs: [], firstIdx: start, lastIdx: -1, insnIdx: start, hist: [] };
}
