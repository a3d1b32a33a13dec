import type { VerifierEnv } from './env.js';
import { fail } from './log.js';
import { notInit, unknownScalar, type DynptrType, type FrameState, type RegState, type StackSlot, type VState } from './state.js';

/** `dynptr_type_refcounted`: only a ringbuf dynptr holds a reference (its reserved sample). */
export function refcounted(type: DynptrType | undefined): boolean {
  return type === 'ringbuf';
}

export function isDynptrSlot(slot: StackSlot | undefined): boolean {
  return slot?.bytes[0] === 'dynptr';
}

export function clearSlot(slot: StackSlot): void {
  slot.bytes = Array.from({ length: 8 }, () => 'invalid' as const);
  delete slot.spilled;
}

/** `bpf_for_each_reg_in_vstate`: registers and spilled registers of every frame, rewritten by `fn`. */
function mapRegs(state: VState, fn: (r: RegState) => RegState): void {
  for (const f of state.frames) {
    f.regs = f.regs.map(fn);
    for (const slot of f.stack) if (slot.bytes[0] === 'spill' && slot.spilled !== undefined) slot.spilled = fn(slot.spilled);
  }
}

/** `mark_reg_invalid`. */
function invalidReg(env: VerifierEnv): RegState {
  return env.privileges.allowPtrLeaks ? unknownScalar : notInit;
}

/**
 * `destroy_if_dynptr_stack_slot`: a write into either slot of an unreferenced dynptr ends it (both
 * slots become STACK_INVALID) and every slice taken from it; a referenced one may not be overwritten.
 */
export function destroyIfDynptrSlot(env: VerifierEnv, state: VState, f: FrameState, spi: number): void {
  if (!isDynptrSlot(f.stack[spi])) return;
  let first = spi;
  if (f.stack[spi]?.spilled?.dynptr?.first !== true) first = spi + 1;
  const head = f.stack[first];
  if (refcounted(head?.spilled?.dynptr?.type)) fail(env.log, 'EINVAL', 'dynptr-overwrite-ref', 'cannot overwrite referenced dynptr');
  env.scratchedStack.add(first);
  env.scratchedStack.add(first - 1);
  const frameno = state.frames.indexOf(f);
  env.markStackWrite(frameno, first);
  env.markStackWrite(frameno, first - 1);
  const id = head?.spilled?.id ?? 0;
  if (head !== undefined) clearSlot(head);
  const second = f.stack[first - 1];
  if (second !== undefined) clearSlot(second);
  const dead = invalidReg(env);
  // Only plain memory slices (`bpf_dynptr_data`'s) go: read-only and packet slices are other types to the kernel.
  mapRegs(state, (r) => ((r.type === 'mem' || r.type === 'mem_or_null') && r.rdonly !== true && r.pktSlice !== true && r.dynptrId === id ? dead : r));
}

/** `print_verifier_state` of a dynptr's slots: `dynptr_ringbuf(id=1,ref_id=2)`. */
export function formatDynptrSlot(r: RegState | undefined): string {
  const parts: string[] = [];
  if ((r?.id ?? 0) !== 0) parts.push(`id=${String(r?.id)}`);
  if ((r?.refObjId ?? 0) !== 0) parts.push(`ref_id=${String(r?.refObjId)}`);
  // The kernel's `dynptr_id` shares its bytes with `dynptr.first_slot`: the first slot prints `dynptr_id=1`.
  if (r?.dynptr?.first === true) parts.push('dynptr_id=1');
  return `dynptr_${r?.dynptr?.type ?? '<invalid>'}(${parts.join(',')})`;
}

/** `reg_is_dynptr_slice_pkt`: a slice of an skb or xdp dynptr, which a packet-changing call ends. */
export function isPktSlice(r: RegState): boolean {
  return r.pktSlice === true && (r.type === 'mem' || r.type === 'mem_or_null');
}
