import type { Insn } from '@bpfkit/asm';
import type { MapValueField, VerifierMap } from '@bpfkit/kernel-api';
import type { VerifierEnv } from './env.js';
import { cls, LDX, mode, ST, STX } from './insns.js';
import { fail } from './log.js';
import { findStructMeta } from './graph-btf.js';
import { skipModifiersId, structIdsMatch } from './kfunc-btf.js';
import { pointer, regConst, regTypeStr, type RegState, type VState } from './state.js';
import { tnumIsConst, tnumStr } from './tnum.js';

const KPTR_KINDS = new Set(['kptr_untrusted', 'kptr', 'percpu_kptr', 'uptr']);
const BPF_MEM = 0x60;

/** `btf_field_type_name`: both kinds of kptr print as `kptr`. */
function fieldName(f: MapValueField): string {
  return f.kind === 'kptr_untrusted' ? 'kptr' : f.kind;
}

const innerViews = new WeakMap<VerifierMap, VerifierMap>();

/** A map-in-map's inner template as a map of its own (same fd: it is known through the outer map). */
function innerView(outer: VerifierMap): VerifierMap | undefined {
  if (outer.innerMap === undefined) return undefined;
  let view = innerViews.get(outer);
  if (view === undefined) {
    view = { ...outer.innerMap, fd: outer.fd };
    innerViews.set(outer, view);
  }
  return view;
}

/** The map a `map_ptr`, `map_value` or `map_key` register is about (`reg->map_ptr`). */
export function regMap(env: VerifierEnv, reg: RegState): VerifierMap | undefined {
  const map = reg.mapFd === undefined ? undefined : env.req.maps?.get(reg.mapFd);
  return reg.innerMap === true && map !== undefined ? innerView(map) : map;
}

/** The map is a map-in-map's inner template seen through {@link regMap}. */
export function isInnerView(env: VerifierEnv, map: VerifierMap): boolean {
  return env.req.maps?.get(map.fd) !== map;
}

/**
 * The special-field half of `check_map_access`: no load, store or helper may
 * touch a spin lock, timer, list head… of the value; a kptr only by a direct
 * 8-byte access at its exact, constant offset.
 */
export function checkMapValueFields(env: VerifierEnv, reg: RegState, off: number, size: number, direct: boolean): void {
  const fields = regMap(env, reg)?.valueFields;
  if (fields === undefined) return;
  const lo = reg.smin + BigInt(off), hi = reg.umax + BigInt(off) + BigInt(size);
  for (const f of fields) {
    if (!(lo < BigInt(f.offset + f.size) && BigInt(f.offset) < hi)) continue;
    const name = fieldName(f);
    if (!KPTR_KINDS.has(f.kind)) fail(env.log, 'EACCES', 'map-special-field', `${name} cannot be accessed directly by load/store`);
    if (!direct) fail(env.log, 'EACCES', 'map-kptr-helper', `${name} cannot be accessed indirectly by helper`);
    if (!tnumIsConst(reg.varOff)) fail(env.log, 'EACCES', 'map-kptr-var-off', `${name} access cannot have variable offset`);
    const at = BigInt(off) + reg.varOff.value;
    if (BigInt(f.offset) !== at) fail(env.log, 'EACCES', 'map-kptr-misaligned', `${name} access misaligned expected=${String(f.offset)} off=${at.toString()}`);
    if (size !== 8) fail(env.log, 'EACCES', 'map-kptr-size', `${name} access size must be BPF_DW`);
  }
}

/** `btf_record_has_field(map->record, BPF_SPIN_LOCK)`. */
export function hasSpinLock(map: VerifierMap | undefined): boolean {
  return map?.valueFields?.some((f) => f.kind === 'bpf_spin_lock') === true;
}

/** The kptr (or uptr) field a constant-offset access lands on (`btf_record_find`). */
export function kptrFieldAt(env: VerifierEnv, reg: RegState, off: number): MapValueField | undefined {
  if (!tnumIsConst(reg.varOff)) return undefined;
  const at = off + Number(BigInt.asIntN(64, reg.varOff.value));
  return regMap(env, reg)?.valueFields?.find((f) => KPTR_KINDS.has(f.kind) && f.offset === at);
}

/**
 * `check_map_kptr_access`: plain BPF_MEM loads and stores only; referenced kptrs
 * and uptrs are never stored to directly, and a BPF_ST stores only NULL.
 * Storing a pointer through BPF_STX needs the kptr's BTF type, which this
 * verifier does not track, so only NULL may be stored.
 */
export function checkMapKptrAccess(env: VerifierEnv, insn: Insn, field: MapValueField, value: RegState | undefined): void {
  const c = cls(insn.code);
  if (mode(insn.code) !== BPF_MEM) fail(env.log, 'EACCES', 'map-kptr-mode', 'kptr in map can only be accessed using BPF_MEM instruction mode');
  if (c !== LDX && (field.kind === 'kptr' || field.kind === 'percpu_kptr')) fail(env.log, 'EACCES', 'map-kptr-store-ref', 'store to referenced kptr disallowed');
  if (c !== LDX && field.kind === 'uptr') fail(env.log, 'EACCES', 'map-uptr-store', 'store to uptr disallowed');
  if (c === ST && insn.imm !== 0) {
    fail(env.log, 'EACCES', 'map-kptr-st-imm', `BPF_ST imm must be 0 when storing to kptr at off=${String(field.offset)}`);
  }
  if (c === STX && value !== undefined && regConst(value) !== 0n) kptrMatchType(env, field, value, insn.src);
}

/**
 * `map_kptr_match_type` for a kernel struct's unreferenced kptr: a BTF pointer (trusted, RCU,
 * untrusted or maybe NULL) to exactly that struct, at no variable offset.
 */
function kptrMatchType(env: VerifierEnv, field: MapValueField, value: RegState, regno: number): void {
  const k = field.kptr;
  const targ = k?.btf.type(k.btfId)?.name ?? '';
  const isBtfPtr = value.type === 'ptr_' || value.type === 'ptr_or_null_';
  const regName = isBtfPtr ? value.btf?.type(value.btfId ?? 0)?.name ?? '' : '';
  const bad = (): never => {
    const msg = `invalid kptr access, R${String(regno)} type=${regTypeStr(value)}${regName} expected=ptr_${targ} or untrusted_ptr_${targ}`;
    return fail(env.log, 'EACCES', 'map-kptr-store-type', msg);
  };
  // Kptrs of program-local types (`MEM_ALLOC` objects) are not modelled: only NULL is stored there.
  if (k?.kernel !== true || !isBtfPtr) return bad();
  if (value.off < 0) fail(env.log, 'EACCES', 'negative-off', `negative offset ${regTypeStr(value)} ptr R${String(regno)} off=${String(value.off)} disallowed`);
  if (!tnumIsConst(value.varOff) || value.varOff.value !== 0n) {
    fail(env.log, 'EACCES', 'var-off', `variable ${regTypeStr(value)} access var_off=${tnumStr(value.varOff)} disallowed`);
  }
  // The full type at offset 0 (`btf_struct_ids_match` without walking into members: a strict match).
  if (value.off !== 0 || value.btf !== k.btf || skipModifiersId(k.btf, value.btfId ?? 0) !== skipModifiersId(k.btf, k.btfId)) bad();
}

/** `rcu_protected_types`: kernel structs a referenced kptr load gives as RCU pointers. */
const RCU_PROTECTED = new Set(['prog_test_ref_kfunc', 'cgroup', 'bpf_cpumask', 'task_struct', 'bpf_crypto_ctx']);
const F_SLEEPABLE = 1 << 4;

/**
 * `mark_btf_ld_reg` with `btf_ld_kptr_type` for a load of a kptr: a BTF pointer that may be NULL.
 * Inside an RCU section (not sleepable, or under a lock) a per-CPU kptr, a referenced kptr to the
 * program's own type and one to an RCU-protected kernel struct load as RCU pointers (an own object
 * keeps `MEM_ALLOC`, and is a non-owning reference when it is a graph node); anything else is untrusted.
 * Undefined for a uptr, whose value stays an unknown scalar.
 */
export function kptrLoadReg(env: VerifierEnv, state: VState, field: MapValueField): RegState | undefined {
  const k = field.kptr;
  if (k === undefined || (field.kind !== 'kptr' && field.kind !== 'kptr_untrusted' && field.kind !== 'percpu_kptr')) return undefined;
  const inRcu = state.lock !== undefined || (env.req.progFlags & F_SLEEPABLE) === 0;
  const rcuSafe = field.kind === 'percpu_kptr' || (field.kind === 'kptr' && (!k.kernel || RCU_PROTECTED.has(k.btf.type(k.btfId)?.name ?? '')));
  const id = env.nextId++;
  if (!rcuSafe || !inRcu) return pointer('ptr_or_null_', 0, { btf: k.btf, btfId: k.btfId, btfMod: 'untrusted', id });
  const own: Partial<RegState> = field.kind === 'percpu_kptr' ? { percpu: true } : k.kernel ? {} : { memAlloc: true };
  const node = !k.kernel && findStructMeta(k.btf, k.btfId)?.fields.some((f) => f.kind === 'bpf_list_node' || f.kind === 'bpf_rb_node') === true;
  return pointer('ptr_or_null_', 0, { btf: k.btf, btfId: k.btfId, btfMod: 'rcu', id, ...own, ...(node ? { nonOwnRef: true } : {}) });
}

/**
 * `process_kptr_func` for `bpf_kptr_xchg`'s destination: a map value with BTF,
 * at the constant offset of a referenced kptr.
 */
export function processKptrFunc(env: VerifierEnv, regno: number, reg: RegState): MapValueField {
  const map = regMap(env, reg);
  if (map?.hasBtf !== true) fail(env.log, 'EINVAL', 'kptr-no-btf', `map '${map?.name ?? ''}' has to have BTF in order to use bpf_kptr_xchg`);
  const r = `R${String(regno)}`;
  if (!tnumIsConst(reg.varOff)) fail(env.log, 'EINVAL', 'kptr-var-off', `${r} doesn't have constant offset. kptr has to be at the constant offset`);
  const kptrs = (map.valueFields ?? []).filter((f) => f.kind === 'kptr' || f.kind === 'kptr_untrusted' || f.kind === 'percpu_kptr');
  if (kptrs.length === 0) fail(env.log, 'EINVAL', 'kptr-none', `${r} has no valid kptr`);
  const at = reg.off + Number(BigInt.asIntN(64, reg.varOff.value));
  const field = kptrs.find((f) => f.offset === at);
  if (field === undefined) fail(env.log, 'EACCES', 'kptr-off', `off=${String(at)} doesn't point to kptr`);
  if (field.kind === 'kptr_untrusted') fail(env.log, 'EACCES', 'kptr-unref', `off=${String(at)} kptr isn't referenced kptr`);
  return field;
}

/**
 * `map_kptr_match_type` for the pointer `bpf_kptr_xchg` stores: a kernel BTF pointer (trusted, RCU or
 * plain) to exactly the field's struct. A referenced kptr takes no pointer into the middle of an
 * object (`btf_struct_ids_match` in strict mode), so an offset is a mismatch.
 */
export function mapKptrMatchType(env: VerifierEnv, field: MapValueField, reg: RegState, regno: number): void {
  const k = field.kptr;
  if (k === undefined) return;
  const target = k.btf.type(k.btfId)?.name ?? '';
  const okType = (reg.type === 'ptr_' || reg.type === 'ptr_or_null_') && reg.btf !== undefined && reg.btfMod !== 'untrusted';
  const regName = okType ? reg.btf?.type(reg.btfId ?? 0)?.name ?? '' : '';
  if (okType) {
    // `__check_ptr_off_reg` with a fixed offset allowed.
    const r = `R${String(regno)}`;
    if (reg.off < 0) fail(env.log, 'EACCES', 'kptr-neg-off', `negative offset ${regTypeStr(reg)} ptr ${r} off=${String(reg.off)} disallowed`);
    if (!tnumIsConst(reg.varOff) || reg.varOff.value !== 0n) {
      fail(env.log, 'EACCES', 'kptr-var-off', `variable ${regTypeStr(reg)} access var_off=${tnumStr(reg.varOff)} disallowed`);
    }
  }
  const strict = field.kind !== 'kptr_untrusted';
  const match = okType && reg.btf !== undefined && reg.off === 0 && structIdsMatch(reg.btf, reg.btfId ?? 0, k.btfId, strict);
  if (!match || (strict && reg.off !== 0)) {
    fail(env.log, 'EACCES', 'kptr-type', `invalid kptr access, R${String(regno)} type=${regTypeStr(reg)}${regName} expected=ptr_${target}`);
  }
}

/**
 * `check_map_field_pointer`: a helper argument that must point at the one `struct <kind>` of a
 * BTF-described map value (`bpf_spin_lock`, `bpf_timer`), at its constant offset. Returns the map
 * and the field.
 */
export function checkMapFieldPointer(env: VerifierEnv, regno: number, reg: RegState, kind: 'bpf_spin_lock' | 'bpf_timer'): { map: VerifierMap; field: MapValueField } {
  const reason = kind === 'bpf_timer' ? 'timer' : 'spin-lock';
  if (!tnumIsConst(reg.varOff)) {
    fail(env.log, 'EINVAL', `${reason}-var-off`, `R${String(regno)} doesn't have constant offset. ${kind} has to be at the constant offset`);
  }
  const map = regMap(env, reg);
  const name = map?.name ?? '';
  if (map?.hasBtf !== true) fail(env.log, 'EINVAL', `${reason}-no-btf`, `map '${name}' has to have BTF in order to use ${kind}`);
  const field = map.valueFields?.find((f) => f.kind === kind);
  if (field === undefined) fail(env.log, 'EINVAL', `${reason}-missing`, `map '${name}' has no valid ${kind}`);
  const at = BigInt(reg.off) + reg.varOff.value;
  if (at !== BigInt(field.offset)) {
    fail(env.log, 'EINVAL', `${reason}-off`, `off ${BigInt.asIntN(64, at).toString()} doesn't point to 'struct ${kind}' that is at ${String(field.offset)}`);
  }
  return { map, field };
}

