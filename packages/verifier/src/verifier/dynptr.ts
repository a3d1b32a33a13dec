import { checkMemAccess } from './check-mem.js';
import { clearSlot, destroyIfDynptrSlot, isDynptrSlot, refcounted } from './dynptr-slots.js';
import type { VerifierEnv } from './env.js';
import { releaseReference } from './references.js';
import { fail, refuse } from './log.js';
import { slotOf } from './stack.js';
import { pointer, type DynptrType, type FrameState, type RegState, type VState } from './state.js';
import { tnumIsConst } from './tnum.js';

/** A dynptr takes two stack slots (`BPF_DYNPTR_NR_SLOTS`), 16 bytes (`BPF_DYNPTR_SIZE`). */
const NR_SLOTS = 2;

/**
 * What a dynptr argument is (`ARG_PTR_TO_DYNPTR` with its flags): `uninit` (`MEM_UNINIT`) makes a new
 * one of `type`; otherwise one must be there, of `type` when given; `rdonly` (`MEM_RDONLY`) lets a
 * `CONST_PTR_TO_DYNPTR` in. `cloneRef`: the reference a clone shares with its parent.
 */
export interface DynptrArgKind {
  readonly uninit: boolean;
  readonly rdonly: boolean;
  readonly type?: DynptrType;
  readonly cloneRef?: number;
}

/** What an initialized dynptr argument is: its id, kind and reference (`meta->initialized_dynptr`). */
export interface DynptrInfo {
  readonly id: number;
  readonly type: DynptrType;
  readonly refObjId: number;
}


/** `func(env, reg)`: the frame a stack pointer points into. */
function frameOf(env: VerifierEnv, state: VState, reg: RegState): FrameState {
  return state.frames[reg.frame ?? state.frames.length - 1] ?? env.frame(state);
}

/**
 * `dynptr_get_spi` (`stack_slot_obj_get_spi`): the first slot of the dynptr a stack pointer names.
 * A variable or misaligned offset, or too little stack above it, is refused with the kernel's line;
 * `'range'` when the slots are not allocated yet (`-ERANGE`, no line).
 */
function dynptrSpi(env: VerifierEnv, state: VState, reg: RegState): number | 'range' {
  if (!tnumIsConst(reg.varOff)) fail(env.log, 'EINVAL', 'dynptr-var-off', 'dynptr has to be at a constant offset');
  const off = reg.off + Number(BigInt.asIntN(64, reg.varOff.value));
  const spi = Math.floor((-off - 1) / 8);
  if (off % 8 !== 0 || spi + 1 < NR_SLOTS) fail(env.log, 'EINVAL', 'dynptr-off', `cannot pass in dynptr at an offset=${String(off)}`);
  return spi >= frameOf(env, state, reg).stack.length ? 'range' : spi;
}

/** The same without the lines: a refusal is `undefined`, as the callers that only test the slots see it. */
function quietSpi(env: VerifierEnv, state: VState, reg: RegState): number | undefined {
  if (!tnumIsConst(reg.varOff)) return undefined;
  const off = reg.off + Number(BigInt.asIntN(64, reg.varOff.value));
  const spi = Math.floor((-off - 1) / 8);
  if (off % 8 !== 0 || spi + 1 < NR_SLOTS || spi >= frameOf(env, state, reg).stack.length) return undefined;
  return spi;
}






/** `mark_stack_slots_dynptr`: the two slots become a new dynptr of `type` (a ringbuf one takes a reference, or shares its parent's). */
function markSlots(env: VerifierEnv, state: VState, reg: RegState, type: DynptrType | undefined, cloneRef: number): void {
  const spi = dynptrSpi(env, state, reg);
  if (spi === 'range') return;
  const f = frameOf(env, state, reg);
  destroyIfDynptrSlot(env, state, f, spi);
  destroyIfDynptrSlot(env, state, f, spi - 1);
  const hi = slotOf(f, spi), lo = slotOf(f, spi - 1);
  hi.bytes = Array.from({ length: 8 }, () => 'dynptr' as const);
  lo.bytes = Array.from({ length: 8 }, () => 'dynptr' as const);
  if (type === undefined) refuse('EINVAL', 'dynptr-type', 'a dynptr of no known kind');
  const id = env.nextId++;
  let ref = 0;
  if (refcounted(type)) {
    ref = cloneRef;
    if (ref === 0) {
      ref = env.nextId++;
      state.refs.push({ id: ref, insn: env.insnIdx });
    }
  }
  const extra = ref === 0 ? {} : { refObjId: ref };
  hi.spilled = pointer('dynptr_ptr', 0, { id, dynptr: { type, first: true }, ...extra });
  lo.spilled = pointer('dynptr_ptr', 0, { id, dynptr: { type, first: false }, ...extra });
  env.scratchedStack.add(spi);
  env.scratchedStack.add(spi - 1);
  const frameno = reg.frame ?? state.frames.length - 1;
  env.markStackWrite(frameno, spi);
  env.markStackWrite(frameno, spi - 1);
}

/** `is_dynptr_reg_valid_init`: the pointer names both slots of one dynptr, at its first slot. */
function validInit(env: VerifierEnv, state: VState, reg: RegState): boolean {
  if (reg.type === 'dynptr_ptr') return true;
  const spi = dynptrSpiOrUndefined(env, state, reg);
  if (typeof spi !== 'number') return false;
  const f = frameOf(env, state, reg);
  return f.stack[spi]?.spilled?.dynptr?.first === true && isDynptrSlot(f.stack[spi]) && isDynptrSlot(f.stack[spi - 1]) &&
    (f.stack[spi]?.bytes.every((b) => b === 'dynptr')) && f.stack[spi - 1]?.bytes.every((b) => b === 'dynptr') === true;
}

/** The dynptr state (first slot) an initialized dynptr argument names. */
function dynptrReg(env: VerifierEnv, state: VState, reg: RegState): RegState | undefined {
  if (reg.type === 'dynptr_ptr') return reg;
  const spi = quietSpi(env, state, reg);
  return spi === undefined ? undefined : frameOf(env, state, reg).stack[spi]?.spilled;
}

/** `dynptr_id` / `dynptr_get_type` / `dynptr_ref_obj_id` of an initialized dynptr argument. */
export function dynptrInfo(env: VerifierEnv, state: VState, reg: RegState): DynptrInfo | undefined {
  const d = dynptrReg(env, state, reg);
  if (d?.dynptr === undefined) return undefined;
  return { id: d.id, type: d.dynptr.type, refObjId: d.refObjId ?? 0 };
}

/**
 * `process_dynptr_func`: a dynptr argument of a helper, kfunc or global function (`regno`, a stack
 * pointer or a `CONST_PTR_TO_DYNPTR`). Making one (`uninit`) writes both slots first (so a referenced
 * dynptr there is refused) and marks them; using one needs it initialized, of the expected kind.
 *
 * @example
 * processDynptrArg(env, state, 4, reg, { uninit: true, rdonly: false, type: 'ringbuf' }); // takes a reference
 */
export function processDynptrArg(env: VerifierEnv, state: VState, regno: number, reg: RegState, kind: DynptrArgKind): void {
  const arg = String(regno - 1);
  if (reg.type !== 'fp' && reg.type !== 'dynptr_ptr') {
    fail(env.log, 'EINVAL', 'dynptr-arg', `arg#${arg} expected pointer to stack or const struct bpf_dynptr`);
  }
  if (kind.uninit) {
    // `is_dynptr_reg_valid_uninit`: any stack slots will do; a referenced dynptr there is refused by the writes below.
    if (reg.type === 'dynptr_ptr' || (dynptrSpiOrUndefined(env, state, reg) === undefined)) {
      fail(env.log, 'EINVAL', 'dynptr-not-uninit', 'Dynptr has to be an uninitialized dynptr');
    }
    for (let i = 0; i < 16; i += 8) checkMemAccess(env, state, regno, reg, i, 8, true, undefined, undefined, env.insnIdx);
    markSlots(env, state, reg, kind.type, kind.cloneRef ?? 0);
    return;
  }
  if (reg.type === 'dynptr_ptr' && !kind.rdonly) {
    fail(env.log, 'EINVAL', 'dynptr-const', 'cannot pass pointer to const bpf_dynptr, the helper mutates it');
  }
  if (!validInit(env, state, reg)) fail(env.log, 'EINVAL', 'dynptr-uninit', `Expected an initialized dynptr as arg #${arg}`);
  if (kind.type !== undefined && dynptrReg(env, state, reg)?.dynptr?.type !== kind.type) {
    fail(env.log, 'EINVAL', 'dynptr-type', `Expected a dynptr of type ${kind.type} as arg #${arg}`);
  }
  // `mark_dynptr_read`: both slots are read, and printed with the next state.
  const spi = reg.type === 'fp' ? quietSpi(env, state, reg) : undefined;
  if (spi !== undefined) {
    env.scratchedStack.add(spi);
    env.scratchedStack.add(spi - 1);
    const frameno = reg.frame ?? state.frames.length - 1;
    env.markStackRead(frameno, spi);
    env.markStackRead(frameno, spi - 1);
  }
}

/** `dynptr_get_spi` as `is_dynptr_reg_valid_uninit` reads it: its lines are printed, a refusal other than -ERANGE is `undefined`. */
function dynptrSpiOrUndefined(env: VerifierEnv, state: VState, reg: RegState): number | 'range' | undefined {
  if (!tnumIsConst(reg.varOff)) {
    env.log.line('dynptr has to be at a constant offset');
    return undefined;
  }
  const off = reg.off + Number(BigInt.asIntN(64, reg.varOff.value));
  const spi = Math.floor((-off - 1) / 8);
  if (off % 8 !== 0 || spi + 1 < NR_SLOTS) {
    env.log.line(`cannot pass in dynptr at an offset=${String(off)}`);
    return undefined;
  }
  return spi >= frameOf(env, state, reg).stack.length ? 'range' : spi;
}

/**
 * The release half of `check_func_arg` for a dynptr (`OBJ_RELEASE`): only a stack dynptr holding a
 * reference may be released. Returns nothing; the release itself is {@link unmarkDynptr}.
 */
export function checkDynptrRelease(env: VerifierEnv, state: VState, regno: number, reg: RegState): void {
  if (reg.type !== 'fp') fail(env.log, 'EINVAL', 'dynptr-release-const', 'cannot release unowned const bpf_dynptr');
  const spi = dynptrSpiOrUndefined(env, state, reg);
  const slot = typeof spi === 'number' ? frameOf(env, state, reg).stack[spi] : undefined;
  if ((slot?.spilled?.refObjId ?? 0) === 0) fail(env.log, 'EINVAL', 'release-unreferenced', `arg ${String(regno)} is an unacquired reference`);
}

/**
 * `unmark_stack_slots_dynptr`: a released dynptr ends, with its reference, the slices holding that
 * reference and every clone sharing it.
 */
export function unmarkDynptr(env: VerifierEnv, state: VState, reg: RegState): void {
  const spi = dynptrSpi(env, state, reg);
  if (spi === 'range') return;
  const f = frameOf(env, state, reg);
  const head = f.stack[spi];
  if (head === undefined) return;
  const ref = head.spilled?.refObjId ?? 0;
  const frameno = reg.frame ?? state.frames.length - 1;
  if (!refcounted(head.spilled?.dynptr?.type)) {
    env.markStackWrite(frameno, spi);
    env.markStackWrite(frameno, spi - 1);
    clearSlot(head);
    const second = f.stack[spi - 1];
    if (second !== undefined) clearSlot(second);
    return;
  }
  releaseReference(env, state, ref);
  for (let i = 1; i < f.stack.length; i++) {
    const s = f.stack[i];
    if (s === undefined || !isDynptrSlot(s) || (s.spilled?.refObjId ?? 0) !== ref || s.spilled?.dynptr?.first !== true) continue;
    env.markStackWrite(frameno, i);
    env.markStackWrite(frameno, i - 1);
    clearSlot(s);
    const below = f.stack[i - 1];
    if (below !== undefined) clearSlot(below);
  }
}


