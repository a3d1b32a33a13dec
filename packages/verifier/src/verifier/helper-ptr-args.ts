import type { VerifierEnv } from './env.js';
import { checkPtrOffReg } from './check-mem.js';
import { checkDynptrRelease, dynptrInfo, processDynptrArg, type DynptrInfo } from './dynptr.js';
import { checkHelperMemAccess, checkMemArgType } from './helper-mem.js';
import { structIdsMatch } from './kfunc-btf.js';
import { fail } from './log.js';
import { regMap } from './map-fields.js';
import { regConst, regTypeStr, type RegState, type VState } from './state.js';
import { tnumIsConst, tnumStr } from './tnum.js';

/** What `check_reg_type` lists for `ARG_PTR_TO_BTF_ID` (`btf_ptr_types`). */
const BTF_EXPECTED = 'ptr_, trusted_ptr_, rcu_ptr_';
const ARRAY = 2, RDONLY_PROG = 1 << 7;

function typeMismatch(env: VerifierEnv, regno: number, reg: RegState, expected: string): never {
  return fail(env.log, 'EACCES', 'bad-arg-type', `R${String(regno)} type=${regTypeStr(reg)} expected=${expected}`);
}

/**
 * `ARG_PTR_TO_BTF_ID` of `struct name` (`orNull`: with `PTR_MAYBE_NULL`): a trusted, RCU or plain BTF
 * pointer whose struct is that one or starts with it (`btf_struct_ids_match`), at no variable offset.
 */
export function checkBtfIdArg(env: VerifierEnv, regno: number, reg: RegState, name: string, orNull: boolean): void {
  if (orNull && regConst(reg) === 0n) return;
  const typeOk = reg.btfMod !== 'untrusted' && reg.percpu !== true && (reg.type === 'ptr_' || (orNull && reg.type === 'ptr_or_null_'));
  if (!typeOk || reg.btf === undefined) typeMismatch(env, regno, reg, BTF_EXPECTED);
  const btf = reg.btf;
  const want = btf.findAll(name, 'STRUCT')[0];
  if (want === undefined || reg.off !== 0 || !structIdsMatch(btf, reg.btfId ?? 0, want, false)) {
    const have = btf.type(reg.btfId ?? 0)?.name ?? '';
    fail(env.log, 'EACCES', 'btf-arg-struct', `R${String(regno)} is of type ${have} but ${name} is expected`);
  }
  if (!tnumIsConst(reg.varOff) || reg.varOff.value !== 0n) {
    fail(env.log, 'EACCES', 'btf-arg-var-off', `variable ${regTypeStr(reg)} access var_off=${tnumStr(reg.varOff)} disallowed`);
  }
}

/** `ARG_PTR_TO_FIXED_SIZE_MEM | MEM_RDONLY`: `size` readable bytes. */
export function checkFixedMemArg(env: VerifierEnv, state: VState, regno: number, reg: RegState, size: number, helper: string): void {
  checkMemArgType(env, regno, reg, true, helper);
  checkHelperMemAccess(env, state, regno, reg, size, false, false);
}

/**
 * `ARG_PTR_TO_CONST_STR` (`check_reg_const_str`): a constant address into the value of a read-only
 * array map (what libbpf's `.rodata` is), with a NUL before the value's end.
 */
export function checkConstStrArg(env: VerifierEnv, regno: number, reg: RegState): void {
  const r = `R${String(regno)}`;
  if (reg.type !== 'map_value') typeMismatch(env, regno, reg, 'map_value');
  const map = regMap(env, reg);
  const bytes = map?.frozenValue;
  if (bytes === undefined) {
    // Only a frozen BPF_F_RDONLY_PROG array comes with its bytes; other read-only maps lack direct value access.
    const rdonlyElsewhere = map !== undefined && map.mapType !== ARRAY && (map.mapFlags & RDONLY_PROG) !== 0;
    if (rdonlyElsewhere) fail(env.log, 'EACCES', 'const-str-map', 'no direct value access support for this map type');
    fail(env.log, 'EACCES', 'const-str-rdonly', `${r} does not point to a readonly map'`);
  }
  if (!tnumIsConst(reg.varOff)) fail(env.log, 'EACCES', 'const-str-var', `${r} is not a constant address'`);
  const at = reg.off + Number(BigInt.asIntN(64, reg.varOff.value));
  if (at < 0 || at >= bytes.length) {
    fail(env.log, 'EACCES', 'const-str-range', `invalid access to map value, value_size=${String(bytes.length)} off=${String(at)} size=${String(bytes.length - at)}`);
  }
  if (!bytes.subarray(at).includes(0)) fail(env.log, 'EINVAL', 'const-str-nul', 'string is not zero-terminated');
}

/** `ARG_PTR_TO_DYNPTR` kinds: read one, initialize one (local or ringbuf), or release a ringbuf one. */
export type DynptrArg = 'dynptr' | 'dynptr_local_uninit' | 'dynptr_ringbuf_uninit' | 'dynptr_ringbuf_release';

/**
 * `ARG_PTR_TO_DYNPTR` of a helper (`check_func_arg`): a stack pointer or a `CONST_PTR_TO_DYNPTR`
 * (unmodified), a releasable (referenced, on the stack) one for a release, then `process_dynptr_func`.
 * Returns the dynptr read, for the helper's return (`bpf_dynptr_data`).
 */
export function checkDynptrArg(env: VerifierEnv, state: VState, regno: number, reg: RegState, kind: DynptrArg): DynptrInfo | undefined {
  if (reg.type !== 'fp' && reg.type !== 'dynptr_ptr') typeMismatch(env, regno, reg, 'fp, dynptr_ptr');
  if (reg.type === 'dynptr_ptr') checkPtrOffReg(env, regno, reg);
  if (kind === 'dynptr_ringbuf_release') checkDynptrRelease(env, state, regno, reg);
  const uninit = kind === 'dynptr_local_uninit' || kind === 'dynptr_ringbuf_uninit';
  const type = kind === 'dynptr_local_uninit' ? 'local' : kind === 'dynptr' ? undefined : 'ringbuf';
  processDynptrArg(env, state, regno, reg, { uninit, rdonly: kind === 'dynptr', ...(type === undefined ? {} : { type }) });
  return uninit ? undefined : dynptrInfo(env, state, reg);
}
