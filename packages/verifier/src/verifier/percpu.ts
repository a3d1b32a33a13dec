import type { BtfView } from '@bpfkit/kernel-api';
import { skipModifiers } from './btf-walk.js';
import { checkPtrOffReg } from './check-mem.js';
import type { VerifierEnv } from './env.js';
import { btfResolveSize, isBtfStruct } from './kfunc-btf.js';
import { fail } from './log.js';
import { pointer, regTypeStr, unknownScalar, type RegState } from './state.js';

// Per-CPU kernel variables (`PTR_TO_BTF_ID | MEM_PERCPU`, from a ksym in `.data..percpu`) are not
// read directly: bpf_this_cpu_ptr and bpf_per_cpu_ptr give the copy of one CPU.

/** The per-CPU argument's BTF and type id: what `RET_PTR_TO_MEM_OR_BTF_ID` returns a copy of. */
export interface PercpuTarget {
  readonly btf: BtfView;
  readonly btfId: number;
  /** `MEM_RCU`: a program's per-CPU object (a percpu_kptr loaded under RCU), not a kernel variable. */
  readonly rcu: boolean;
}

/**
 * `ARG_PTR_TO_PERCPU_BTF_ID`: a per-CPU pointer (`percpu_btf_ptr_types`; a fresh
 * bpf_percpu_obj_new object is not one), unmodified, with a BTF type.
 */
export function checkPercpuBtfArg(env: VerifierEnv, regno: number, reg: RegState): PercpuTarget {
  const ok = reg.type === 'ptr_' && reg.percpu === true && reg.memAlloc !== true && reg.btfMod !== 'untrusted';
  if (!ok) fail(env.log, 'EACCES', 'bad-arg-type', `R${String(regno)} type=${regTypeStr(reg)} expected=percpu_ptr_, percpu_rcu_ptr_, percpu_trusted_ptr_`);
  checkPtrOffReg(env, regno, reg);
  if (reg.btf === undefined || (reg.btfId ?? 0) === 0) fail(env.log, 'EACCES', 'percpu-btf-id', `Helper has invalid btf_id in R${String(regno)}`);
  return { btf: reg.btf, btfId: reg.btfId ?? 0, rcu: reg.btfMod === 'rcu' };
}

/**
 * `RET_PTR_TO_MEM_OR_BTF_ID | MEM_RDONLY`: one CPU's copy. A struct is a BTF pointer (`MEM_RDONLY` does
 * not apply to one); anything else read-only memory of its resolved size. `orNull` (`bpf_per_cpu_ptr`,
 * whose CPU may not exist) adds `PTR_MAYBE_NULL` and an id to null-check.
 */
export function percpuCopy(env: VerifierEnv, target: PercpuTarget | undefined, orNull: boolean): RegState {
  if (target === undefined) return unknownScalar;
  const { btf, btfId } = target;
  const t = skipModifiers(btf, btfId);
  if (target.rcu) {
    // One CPU's copy of a program's object: an RCU-protected allocated object, never NULL (the kernel sets
    // the type without the helper's PTR_MAYBE_NULL).
    if (!isBtfStruct(t)) fail(env.log, 'EFAULT', 'percpu-btf-id', 'Helper has invalid btf/btf_id in R1');
    return pointer('ptr_', 0, { btf, btfId, memAlloc: true, btfMod: 'rcu' });
  }
  const nullable = orNull ? { id: env.nextId++ } : {};
  if (isBtfStruct(t)) return pointer(orNull ? 'ptr_or_null_' : 'ptr_', 0, { btf, btfId, ...nullable });
  const size = t === undefined ? undefined : btfResolveSize(btf, t);
  if (size === undefined) fail(env.log, 'EINVAL', 'percpu-size', `unable to resolve the size of type '${t?.name ?? ''}': -22`);
  return pointer(orNull ? 'mem_or_null' : 'mem', 0, { valueSize: size, rdonly: true, ...nullable });
}
