import type { Insn } from '@bpfkit/asm';
import { KfuncFlag, type BtfTypeView, type BtfView, type VerifierRequest } from '@bpfkit/kernel-api';
import { CALL, JMP, markSyncCallbackKfunc } from './insns.js';
import { kfuncSpinAllowed } from './graph.js';
import type { VerifierEnv } from './env.js';
import { fail, type VerifierLog } from './log.js';

/** `BPF_PSEUDO_KFUNC_CALL`. */
export const PSEUDO_KFUNC_CALL = 2;

/**
 * `disasm_kfunc_name`: the log names a kfunc call by its FUNC in the kernel's BTF (an empty
 * name for id 0, printed `call #0`).
 *
 * @example
 * formatLogInsn(insn, { callName: kfuncCallName(req) }); // "call bpf_dynptr_size#63332"
 */
export function kfuncCallName(req: VerifierRequest): (insn: Insn) => string | undefined {
  return (insn) => (insn.src === PSEUDO_KFUNC_CALL && insn.code === (JMP | CALL) ? (req.kfuncs?.btf.type(insn.imm >>> 0)?.name ?? '') : undefined);
}

/** A `call` of a kernel function (`bpf_pseudo_kfunc_call`). */
export function isKfuncCall(insn: Insn | undefined): boolean {
  return insn?.code === (JMP | CALL) && insn.src === PSEUDO_KFUNC_CALL;
}

/** What `fetch_kfunc_meta` finds for one call: the FUNC, its prototype and its `KF_*` flags. */
export interface KfuncMeta {
  readonly btf: BtfView;
  readonly id: number;
  readonly name: string;
  readonly proto: BtfTypeView;
  readonly flags: number;
}

/**
 * The kfunc half of `add_subprog_and_kfunc` (`add_kfunc_call`), before the walk: a program
 * calling kernel functions must be GPL, and each id it names must be a FUNC with a
 * FUNC_PROTO in the kernel's BTF. An id of 0 is left for the fixups (see {@link unresolvedKfuncError}).
 *
 * @example
 * addKfuncCalls(log, insns, req); // "cannot call kernel function from non-GPL compatible program"
 */
export function addKfuncCalls(log: VerifierLog, insns: readonly Insn[], req: VerifierRequest): void {
  let first = true;
  for (const insn of insns) {
    if (!isKfuncCall(insn)) continue;
    if (first) {
      if (req.kfuncs === undefined && insn.imm !== 0) {
        fail(log, 'ENOTSUPP', 'kfunc-no-btf', 'calling kernel function is not supported without CONFIG_DEBUG_INFO_BTF');
      }
      if (!req.gplCompatible) fail(log, 'EINVAL', 'kfunc-gpl', 'cannot call kernel function from non-GPL compatible program');
      first = false;
    }
    if (insn.imm === 0 && insn.off === 0) continue;
    // Module BTF (a non-zero offset into fd_array) is not modelled: no module is loaded.
    if (insn.off !== 0) fail(log, 'EINVAL', 'kfunc-module-btf', 'failed to find BTF for kernel function');
    const btf = req.kfuncs?.btf;
    const fn = btf?.type(insn.imm >>> 0);
    if (fn?.kind !== 'FUNC') fail(log, 'EINVAL', 'kfunc-not-func', `kernel btf_id ${String(insn.imm >>> 0)} is not a function`);
    if (fn.name === 'bpf_rbtree_add_impl') markSyncCallbackKfunc(insn);
    if (btf?.type(fn.type ?? 0)?.kind !== 'FUNC_PROTO') {
      fail(log, 'EINVAL', 'kfunc-no-proto', `kernel function btf_id ${String(insn.imm >>> 0)} does not have a valid func_proto`);
    }
  }
}

/**
 * `fetch_kfunc_meta` with `check_kfunc_call`'s message: the kfunc must be in a set
 * registered for the program's type (EACCES otherwise).
 *
 * @example
 * const meta = fetchKfuncMeta(log, req, insn); // "calling kernel function bpf_task_from_pid is not allowed"
 */
export function fetchKfuncMeta(log: VerifierLog, req: VerifierRequest, insn: Insn): KfuncMeta {
  const kfuncs = req.kfuncs;
  const id = insn.imm >>> 0;
  const fn = kfuncs?.btf.type(id);
  const proto = kfuncs?.btf.type(fn?.type ?? 0);
  // addKfuncCalls already refused ids that are not FUNCs with prototypes.
  if (kfuncs === undefined || fn === undefined || proto === undefined) return fail(log, 'EINVAL', 'kfunc-not-func', `kernel btf_id ${String(id)} is not a function`);
  const flags = kfuncs.flags(id);
  if (flags === undefined) fail(log, 'EACCES', 'kfunc-not-allowed', `calling kernel function ${fn.name} is not allowed`);
  return { btf: kfuncs.btf, id, name: fn.name, proto, flags };
}

/** `fixup_kfunc_call`: a kfunc call with id 0 that a path reached was never resolved. */
export function unresolvedKfuncError(log: VerifierLog): never {
  return fail(log, 'EINVAL', 'kfunc-unresolved', 'invalid kernel function call not eliminated in verifier pass');
}

/** `is_iter_next_kfunc` for a call instruction: a kfunc the program may call, registered `KF_ITER_NEXT`. */
export function isIterNextCall(req: VerifierRequest, insn: Insn | undefined): boolean {
  if (!isKfuncCall(insn) || insn === undefined || insn.imm === 0) return false;
  return ((req.kfuncs?.flags(insn.imm >>> 0) ?? 0) & KfuncFlag.ITER_NEXT) !== 0;
}

/** The kfunc half of `do_check`'s rule for calls under a `bpf_spin_lock`: only vmlinux kfuncs `kfunc_spin_allowed` names. */
export function kfuncUnderLockAllowed(env: VerifierEnv, insn: Insn): boolean {
  if (!isKfuncCall(insn) || insn.off !== 0) return false;
  const name = env.req.kfuncs?.btf.type(insn.imm >>> 0)?.name;
  return name !== undefined && kfuncSpinAllowed(name);
}
