import type { BtfParamView, BtfTypeView } from '@bpfkit/kernel-api';
import { KfuncFlag } from '@bpfkit/kernel-api';
import { kindStr, skipModifiers } from './btf-walk.js';
import { checkHelperMemAccess } from './helper-mem.js';
import { checkPtrOffReg } from './check-mem.js';
import { dynptrInfo, processDynptrArg, type DynptrInfo } from './dynptr.js';
import type { VerifierEnv } from './env.js';
import { argHasSuffix, btfResolveSize, isBtfScalar, isBtfStruct, isScalarStruct, skipModifiersId, structIdsMatch } from './kfunc-btf.js';
import { MODELLED_ITERS, processIterArg, type IterSlot } from './kfunc-iter.js';
import type { KfuncMeta } from './kfunc-meta.js';
import { graphArgKind, processGraphArg, type GraphArgKind, type GraphArgs } from './graph.js';
import { fail } from './log.js';
import { markChainPrecision } from './precision.js';
import { NOT_NULL, regConst, regTypeStr, type DynptrType, type RegState, type SliceBuffer, type VState } from './state.js';
import { tnumIsConst, tnumStr } from './tnum.js';

const MAX_ARGS = 5;
const MAX_VAR_SIZ = 1n << 29n;

/** What `check_kfunc_args` leaves in `struct bpf_kfunc_call_arg_meta` for the call's return. */
export interface KfuncArgsResult {
  /** `release_regno`: the register whose reference the call releases. */
  releaseRegno: number;
  /** `ref_obj_id`: the reference an argument carried. */
  refObjId: number;
  /** `arg_constant`: the value of the one `__k` (or `__szk`) argument. */
  constant: bigint | undefined;
  /** `r0_size` / `r0_rdonly`, from `rdonly_buf_size` / `rdwr_buf_size`. */
  r0Size: number;
  r0Rdonly: boolean;
  /** The iterator an iterator kfunc's first argument points to. */
  iter: IterSlot | undefined;
  /** `initialized_dynptr`: the (initialized) dynptr argument. */
  dynptr?: DynptrInfo;
  /** A constant stack buffer and its size given with a constant size (`bpf_dynptr_slice`'s `buffer__opt`). */
  buffer?: SliceBuffer;
  /** What the allocated-object and graph arguments found (graph.ts). */
  graph: GraphArgs;
}

/** Register types the kernel maps to a BTF struct (`reg2btf_ids`). */
const REG2BTF: Readonly<Partial<Record<string, string>>> = { sock: 'sock', sock_common: 'sock_common', tcp_sock: 'tcp_sock', map_ptr: 'bpf_map' };

/** The user-visible context struct of each program type, for `btf_is_prog_ctx_type` (the struct ones of `bpf_types.h`). */
const CTX_STRUCT: Readonly<Record<number, string>> = {
  1: '__sk_buff', 3: '__sk_buff', 4: '__sk_buff', 8: '__sk_buff', 10: '__sk_buff', 11: '__sk_buff', 12: '__sk_buff', 14: '__sk_buff', 19: '__sk_buff',
  22: '__sk_buff', 6: 'xdp_md', 7: 'bpf_perf_event_data', 9: 'bpf_sock', 13: 'bpf_sock_ops', 15: 'bpf_cgroup_dev_ctx', 16: 'sk_msg_md',
  17: 'bpf_raw_tracepoint_args', 18: 'bpf_sock_addr', 21: 'sk_reuseport_md', 23: 'bpf_sysctl', 24: 'bpf_raw_tracepoint_args',
  25: 'bpf_sockopt', 30: 'bpf_sk_lookup', 32: 'bpf_nf_ctx',
};

/** Argument kinds this model checks; the rest (dynptrs, iterators, graph nodes, callbacks…) are refused as not modelled. */
type KfArg = 'ctx' | 'null' | 'map' | 'btf_id' | 'mem' | 'mem_size' | 'iter' | 'dynptr' | GraphArgKind | 'unmodelled';

const ITER_FLAGS = KfuncFlag.ITER_NEW | KfuncFlag.ITER_NEXT | KfuncFlag.ITER_DESTROY;

const UNMODELLED_TYPES = /^(bpf_iter_.*|bpf_wq|bpf_res_spin_lock|bpf_task_work)$/;
const UNMODELLED_SUFFIXES = ['__str', '__irq_flag', '__prog'];

function isNullReg(reg: RegState): boolean {
  return regConst(reg) === 0n;
}

function isRegBtf(reg: RegState): boolean {
  return reg.type === 'ptr_' || reg.type === 'ptr_or_null_' || REG2BTF[reg.type] !== undefined;
}

/** `is_kfunc_arg_mem_size` / `is_kfunc_arg_const_mem_size`: the next argument is a scalar named `…__sz` or `…__szk`. */
function isMemSizeArg(meta: KfuncMeta, arg: BtfParamView | undefined, reg: RegState | undefined): boolean {
  if (arg === undefined || reg?.type !== 'scalar') return false;
  return isBtfScalar(skipModifiers(meta.btf, arg.type)) && (argHasSuffix(arg, '__sz') || argHasSuffix(arg, '__szk'));
}

/** `get_kfunc_ptr_arg_type`. */
function kfuncPtrArgType(env: VerifierEnv, meta: KfuncMeta, regs: readonly RegState[], ref: BtfTypeView | undefined, args: readonly BtfParamView[],
  i: number): KfArg {
  const arg = args[i];
  const reg = regs[i + 1];
  if (arg === undefined || reg === undefined) return 'unmodelled';
  if (meta.name === 'bpf_cast_to_kern_ctx') return 'ctx';
  if (isBtfStruct(ref) && ref?.name === CTX_STRUCT[env.req.progType]) return 'ctx';
  if (argHasSuffix(arg, '__nullable') && isNullReg(reg)) return 'null';
  if (isBtfStruct(ref) && ref?.name === 'bpf_dynptr') return 'dynptr';
  // `is_kfunc_arg_iter`: the first argument of an iterator kfunc.
  if (i === 0 && (meta.flags & ITER_FLAGS) !== 0 && isBtfStruct(ref) && ref?.name.startsWith('bpf_iter_') === true) return 'iter';
  const graph = graphArgKind(arg, ref);
  if (graph !== undefined) return graph;
  if (UNMODELLED_SUFFIXES.some((s) => argHasSuffix(arg, s)) || UNMODELLED_TYPES.test(ref?.name ?? '')) return 'unmodelled';
  if (argHasSuffix(arg, '__map')) return 'map';
  if (isRegBtf(reg)) {
    if (!isBtfStruct(ref) || ref?.kind !== 'STRUCT') {
      fail(env.log, 'EINVAL', 'kfunc-arg-type', `kernel function ${meta.name} args#${String(i)} pointer type ${kindStr(ref)} ${ref?.name ?? ''} is not supported`);
    }
    return 'btf_id';
  }
  if (ref?.kind === 'FUNC_PROTO') return 'callback';
  const memSize = i + 1 < args.length && isMemSizeArg(meta, args[i + 1], regs[i + 2]);
  const log = (line: string): void => { env.log.line(line); };
  if (!isBtfScalar(ref) && !isScalarStruct(meta.btf, ref, 0, log) && (memSize ? ref?.kind !== 'VOID' : true)) {
    fail(env.log, 'EINVAL', 'kfunc-arg-type',
      `arg#${String(i)} pointer type ${kindStr(ref)} ${ref?.name ?? ''} must point to ${memSize ? 'void, ' : ''}scalar, or struct with scalar`);
  }
  return memSize ? 'mem_size' : 'mem';
}

/** User views of a context and the kernel struct behind each. */
const PROJECTIONS: Readonly<Partial<Record<string, string>>> = { __sk_buff: 'sk_buff', xdp_md: 'xdp_buff' };

/** The kfuncs that make a dynptr of a kind of their own (`KF_bpf_dynptr_from_*`). */
const DYNPTR_MAKERS: Readonly<Record<string, DynptrType>> = { bpf_dynptr_from_skb: 'skb', bpf_dynptr_from_xdp: 'xdp', bpf_dynptr_from_skb_meta: 'skb_meta' };

/**
 * `KF_ARG_PTR_TO_DYNPTR`: a dynptr argument of a kfunc; a `CONST_PTR_TO_DYNPTR` is read only. An
 * `__uninit` one is made: of the maker's kind, or (`bpf_dynptr_clone`) of its parent's kind sharing
 * its reference. Returns the dynptr read (`initialized_dynptr`).
 */
function kfuncDynptrArg(env: VerifierEnv, state: VState, meta: KfuncMeta, regno: number, reg: RegState, uninit: boolean,
  parent: DynptrInfo | undefined): DynptrInfo | undefined {
  if (reg.type === 'dynptr_ptr') checkPtrOffReg(env, regno, reg);
  // A const dynptr for a dynptr to make: MEM_RDONLY and MEM_UNINIT together, which 6.18 reports as its own bug.
  if (reg.type === 'dynptr_ptr' && uninit) fail(env.log, 'EFAULT', 'dynptr-flags', 'verifier bug: misconfigured dynptr helper type flags');
  let type = uninit ? DYNPTR_MAKERS[meta.name] : undefined;
  let cloneRef = 0;
  if (uninit && meta.name === 'bpf_dynptr_clone' && parent !== undefined) {
    type = parent.type;
    cloneRef = parent.refObjId;
  }
  processDynptrArg(env, state, regno, reg, { uninit, rdonly: reg.type === 'dynptr_ptr', ...(type === undefined ? {} : { type }), cloneRef });
  return uninit ? undefined : dynptrInfo(env, state, reg);
}

/** `is_trusted_reg`. */
function isTrustedReg(reg: RegState): boolean {
  if ((reg.refObjId ?? 0) !== 0) return true;
  if (REG2BTF[reg.type] !== undefined) return true;
  return reg.btfMod === 'trusted';
}



/** The BTF struct a register points to: its own for `ptr_`, the kernel's for sockets and maps (`reg2btf_ids`). */
function regBtfId(meta: KfuncMeta, reg: RegState): number {
  if (reg.btfId !== undefined) return reg.btfId;
  return meta.btf.findAll(REG2BTF[reg.type] ?? '', 'STRUCT')[0] ?? 0;
}

/** `check_func_arg_reg_off` for a kfunc's pointer argument (a release argument must be exactly as acquired). */
function checkArgRegOff(env: VerifierEnv, reg: RegState, regno: number, release: boolean): void {
  if (reg.type === 'scalar') return;
  if (release && reg.off !== 0) {
    fail(env.log, 'EINVAL', 'release-off', `R${String(regno)} must have zero offset when passed to release func or trusted arg to kfunc`);
  }
  if (reg.type === 'ctx' || release) {
    checkPtrOffReg(env, regno, reg);
    return;
  }
  if (reg.type === 'ptr_' || REG2BTF[reg.type] !== undefined) {
    if (reg.off < 0) fail(env.log, 'EACCES', 'negative-off', `negative offset ${regTypeStr(reg)} ptr R${String(regno)} off=${String(reg.off)} disallowed`);
    if (!tnumIsConst(reg.varOff) || reg.varOff.value !== 0n) {
      fail(env.log, 'EACCES', 'var-off', `variable ${regTypeStr(reg)} access var_off=${tnumStr(reg.varOff)} disallowed`);
    }
  }
}

/** `check_kfunc_mem_size_reg` / `check_mem_size_reg`: the size register bounds the memory argument before it. */
function checkMemSizeReg(env: VerifierEnv, state: VState, memReg: RegState, sizeReg: RegState, sizeRegno: number): void {
  const r = `R${String(sizeRegno)}`;
  if (sizeReg.smin < 0n) fail(env.log, 'EACCES', 'size-negative', `${r} min value is negative, either use unsigned or 'var &= const'`);
  if (sizeReg.umax >= MAX_VAR_SIZ) fail(env.log, 'EACCES', 'size-unbounded', `${r} unbounded memory access, use 'var &= const' or 'if (var < const)'`);
  const mem = { ...memReg, type: NOT_NULL[memReg.type] ?? memReg.type };
  // A read pass then a write pass (`check_mem_size_reg` twice), each marking the size precise; the
  // write leaves the bytes STACK_MISC without marking the slots for the state printed next.
  const scratched = new Set(env.scratchedStack);
  checkHelperMemAccess(env, state, sizeRegno - 1, mem, Number(sizeReg.umax), false, sizeReg.umin === 0n);
  markChainPrecision(env, state, sizeRegno);
  checkHelperMemAccess(env, state, sizeRegno - 1, mem, Number(sizeReg.umax), true, sizeReg.umin === 0n);
  markChainPrecision(env, state, sizeRegno);
  for (const spi of env.scratchedStack) if (!scratched.has(spi)) env.scratchedStack.delete(spi);
}

/**
 * `check_kfunc_args`: each argument against the kfunc's BTF prototype, in order. Scalars
 * (`__k` constants, buffer sizes), the context, maps (`__map`), kernel objects (trusted,
 * RCU and released ones, matched by BTF type), and memory (sized by the type or by a
 * following `__sz` argument). Argument kinds not modelled yet are refused (EINVAL).
 *
 * @example
 * const res = checkKfuncArgs(env, state, meta); // "R1 must be referenced or trusted"
 */
export function checkKfuncArgs(env: VerifierEnv, state: VState, meta: KfuncMeta): KfuncArgsResult {
  const args = meta.proto.params ?? [];
  const res: KfuncArgsResult = { releaseRegno: 0, refObjId: 0, constant: undefined, r0Size: 0, r0Rdonly: false, iter: undefined, graph: {} };
  if (args.length > MAX_ARGS) fail(env.log, 'EINVAL', 'kfunc-args', `Function ${meta.name} has ${String(args.length)} > ${String(MAX_ARGS)} args`);
  const release = (meta.flags & KfuncFlag.RELEASE) !== 0;
  const trustedOrRcu = (meta.flags & (KfuncFlag.TRUSTED_ARGS | KfuncFlag.RCU)) !== 0;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === undefined) continue;
    const regno = i + 1;
    const r = `R${String(regno)}`;
    const t = skipModifiers(meta.btf, arg.type);
    if (argHasSuffix(arg, '__ign')) continue;
    const reg = env.readReg(state, regno);
    if (isBtfScalar(t)) {
      if (reg.type !== 'scalar') fail(env.log, 'EINVAL', 'kfunc-scalar', `${r} is not a scalar`);
      const bufSize = arg.name === 'rdonly_buf_size' || arg.name === 'rdwr_buf_size';
      if (argHasSuffix(arg, '__k')) {
        if (!tnumIsConst(reg.varOff)) fail(env.log, 'EINVAL', 'kfunc-const', `${r} must be a known constant`);
        markChainPrecision(env, state, regno);
        res.constant = reg.varOff.value;
      } else if (bufSize) {
        if (arg.name === 'rdonly_buf_size') res.r0Rdonly = true;
        if (res.r0Size !== 0) fail(env.log, 'EINVAL', 'kfunc-buf-size', '2 or more rdonly/rdwr_buf_size parameters for kfunc');
        if (!tnumIsConst(reg.varOff)) fail(env.log, 'EINVAL', 'kfunc-const', `${r} is not a const`);
        if (reg.varOff.value > 0xffff_ffffn) fail(env.log, 'EINVAL', 'kfunc-buf-size', `${r} rdonly/rdwr_buf_size exceeds u32 max`);
        res.r0Size = Number(reg.varOff.value);
        markChainPrecision(env, state, regno);
      }
      continue;
    }
    if (t?.kind !== 'PTR') fail(env.log, 'EINVAL', 'kfunc-arg-type', `Unrecognized arg#${String(i)} type ${kindStr(t)}`);
    // A release kfunc's `__alloc` argument is trusted as well (`is_kfunc_trusted_args`).
    const trustedArg = trustedOrRcu || (release && argHasSuffix(arg, '__alloc'));
    if (trustedArg && (isNullReg(reg) || NOT_NULL[reg.type] !== undefined) && !argHasSuffix(arg, '__nullable')) {
      fail(env.log, 'EACCES', 'kfunc-null', `Possibly NULL pointer passed to trusted arg${String(i)}`);
    }
    if ((reg.refObjId ?? 0) !== 0) {
      res.refObjId = reg.refObjId ?? 0;
      if (release) res.releaseRegno = regno;
    }
    const refId = skipModifiersId(meta.btf, t.type ?? 0);
    const ref = meta.btf.type(refId);
    const regs = env.frame(state).regs;
    const kind = kfuncPtrArgType(env, meta, regs, ref, args, i);
    // A NULL for a dynptr or an iterator is refused as for a trusted argument (as measured on 6.18).
    if ((kind === 'dynptr' || kind === 'iter') && isNullReg(reg)) fail(env.log, 'EACCES', 'kfunc-null', `Possibly NULL pointer passed to trusted arg${String(i)}`);
    if (kind === 'unmodelled') fail(env.log, 'EINVAL', 'unsupported', `kernel function ${meta.name} args#${String(i)} is not modelled yet`);
    if (kind === 'null') continue;
    // A `__map` argument takes a map pointer, or a BTF pointer to a `struct bpf_map` (matched by type below).
    if (kind === 'map' && reg.type !== 'map_ptr' && reg.type !== 'ptr_') fail(env.log, 'EINVAL', 'kfunc-map', `pointer in ${r} isn't map pointer`);
    if ((((kind === 'map' || kind === 'btf_id') && trustedOrRcu) || (kind === 'alloc_btf_id' && (trustedOrRcu || release))) && !isTrustedReg(reg)) {
      if ((meta.flags & KfuncFlag.RCU) === 0) fail(env.log, 'EINVAL', 'kfunc-untrusted', `${r} must be referenced or trusted`);
      if (reg.btfMod !== 'rcu') fail(env.log, 'EINVAL', 'kfunc-not-rcu', `${r} must be a rcu pointer`);
    }
    checkArgRegOff(env, reg, regno, release && (reg.refObjId ?? 0) !== 0);
    switch (kind) {
      case 'iter': {
        if (ref === undefined || !MODELLED_ITERS.has(ref.name)) fail(env.log, 'EINVAL', 'unsupported', `kernel function ${meta.name} (iter_${ref?.name ?? ''}) is not modelled yet`);
        const it = processIterArg(env, state, regno, reg, meta, ref);
        res.iter = it.at;
        if (it.refObjId !== 0) res.refObjId = it.refObjId;
        break;
      }
      case 'dynptr':
        res.dynptr = kfuncDynptrArg(env, state, meta, regno, reg, argHasSuffix(arg, '__uninit'), res.dynptr) ?? res.dynptr;
        break;
      case 'ctx':
        if (reg.type !== 'ctx') fail(env.log, 'EINVAL', 'kfunc-ctx', `arg#${String(i)} expected pointer to ctx, but got ${regTypeStr(reg)}`);
        break;
      case 'map':
      case 'btf_id': {
        const wantId = kind === 'map' ? meta.btf.findAll('bpf_map', 'STRUCT')[0] ?? 0 : refId;
        const wantT = meta.btf.type(wantId);
        const unsafe = reg.btfMod === 'untrusted' || (reg.type === 'ptr_or_null_' && reg.btfMod !== 'rcu');
        if (!isRegBtf(reg) || (unsafe && REG2BTF[reg.type] === undefined)) {
          // The expected type is the register's own without its unsafe modifiers.
          const base = NOT_NULL[reg.type] ?? reg.type;
          fail(env.log, 'EINVAL', 'kfunc-btf-arg', `arg#${String(i)} is ${regTypeStr(reg)} expected ${reg.btfMod === 'trusted' ? 'trusted_' : ''}${base} or socket`);
        }
        const regId = regBtfId(meta, reg);
        const strict = release && (reg.refObjId ?? 0) !== 0;
        // A pointer into the struct (a fixed offset) is not walked to the member there: only offset 0 matches.
        const regT = skipModifiers(meta.btf, regId);
        // A kfunc taking a context's user view (`__sk_buff`, `xdp_md`) takes the kernel struct behind it (`btf_is_projection_of`).
        const projection = PROJECTIONS[wantT?.name ?? ''] === regT?.name;
        if (!projection && (reg.off !== 0 || !structIdsMatch(meta.btf, regId, wantId, strict, (line) => { env.log.line(line); }))) {
          fail(env.log, 'EINVAL', 'kfunc-btf-mismatch', `kernel function ${meta.name} args#${String(i)} expected pointer to ${kindStr(wantT)} ${wantT?.name ?? ''} but ` +
            `R${String(regno)} has a pointer to ${kindStr(regT)} ${regT?.name ?? ''}`);
        }
        break;
      }
      case 'mem': {
        const size = btfResolveSize(meta.btf, ref);
        if (size === undefined) {
          fail(env.log, 'EINVAL', 'kfunc-mem-size', `arg#${String(i)} reference type('${kindStr(ref)} ${ref?.name ?? ''}') size cannot be determined: -22`);
        }
        if (isNullReg(reg)) break;
        const mem = { ...reg, type: NOT_NULL[reg.type] ?? reg.type };
        checkHelperMemAccess(env, state, regno, mem, size, false, true);
        checkHelperMemAccess(env, state, regno, mem, size, true, true);
        break;
      }
      case 'mem_size': {
        const sizeArg = args[i + 1];
        const sizeReg = env.readReg(state, regno + 1);
        if (!isNullReg(reg) || !argHasSuffix(arg, '__opt')) {
          try {
            checkMemSizeReg(env, state, reg, sizeReg, regno + 1);
          } catch (e) {
            env.log.line(`arg#${String(i)} arg#${String(i + 1)} memory, len pair leads to invalid memory access`);
            throw e;
          }
          if (reg.type === 'fp' && tnumIsConst(reg.varOff) && tnumIsConst(sizeReg.varOff)) {
            res.buffer = { frame: reg.frame ?? state.frames.length - 1, off: reg.off + Number(BigInt.asIntN(64, reg.varOff.value)), size: Number(sizeReg.varOff.value) };
          }
        } else {
          // A NULL optional buffer: the callee's choice rests on it (as measured, 6.18 marks it precise).
          markChainPrecision(env, state, regno);
        }
        if (sizeArg !== undefined && argHasSuffix(sizeArg, '__szk')) {
          if (!tnumIsConst(sizeReg.varOff)) fail(env.log, 'EINVAL', 'kfunc-const', `R${String(regno + 1)} must be a known constant`);
          markChainPrecision(env, state, regno + 1);
          res.constant = sizeReg.varOff.value;
        }
        i++;
        break;
      }
      default:
        processGraphArg(env, state, meta, kind, i, reg, res.graph);
    }
  }
  if (release && res.releaseRegno === 0) {
    fail(env.log, 'EINVAL', 'kfunc-release', `release kernel function ${meta.name} expects refcounted PTR_TO_BTF_ID`);
  }
  return res;
}
