import type { VerifierEnv } from './env.js';
import { fail } from './log.js';
import { boundsSync, coerceToSize, copyBounds } from './bounds.js';
import { constScalar, isPointer, regConst, scalarOf, unknownScalar, type FrameState, type RegState, type StackByte, type StackSlot } from './state.js';
import { tnumIsConst } from './tnum.js';

export const MAX_BPF_STACK = 512;

/** The stack slot `spi` (fp-8*(spi+1)), grown on demand (`grow_stack_state`). */
export function slotOf(f: FrameState, spi: number): StackSlot {
  while (f.stack.length <= spi) f.stack.push({ bytes: Array.from({ length: 8 }, (): StackByte => 'invalid') });
  const s = f.stack[spi];
  if (s === undefined) throw new Error('verifier: stack slot');
  return s;
}

/** `is_spilled_reg`: the slot's lowest byte (fp-8*(spi+1)) holds a spilled register. */
export function isSpilledReg(slot: StackSlot): boolean {
  return slot.bytes[0] === 'spill' && slot.spilled !== undefined;
}

/** Where byte `at` (negative offset from fp) lives: slot and index in `slot_type`. */
export function byteAt(at: number): { spi: number; i: number } {
  const spi = Math.floor((-at - 1) / 8);
  return { spi, i: at + (spi + 1) * 8 };
}

/** `scrub_spilled_slot` over a whole slot: spilled bytes become STACK_MISC. */
function scrub(slot: StackSlot): void {
  if (slot.spilled === undefined && !slot.bytes.includes('spill')) return;
  slot.bytes = slot.bytes.map((b) => (b === 'invalid' ? b : 'misc'));
  delete slot.spilled;
}

/** The register width in bits (`get_reg_width`). */
function regWidth(r: RegState): number {
  return r.umax === 0n ? 0 : r.umax.toString(2).length;
}

/** `save_register_state`: the `size` bytes written become STACK_SPILL, the rest STACK_MISC unless zero or (with ptr leaks) invalid. */
function saveRegisterState(env: VerifierEnv, slot: StackSlot, reg: RegState, size: number): void {
  slot.spilled = reg;
  for (let i = 0; i < 8; i++) {
    if (i < size) slot.bytes[i] = 'spill';
    else {
      const b = slot.bytes[i];
      if (b === 'zero' || (env.privileges.allowPtrLeaks && b === 'invalid')) continue;
      slot.bytes[i] = 'misc';
    }
  }
}

/**
 * `check_stack_write_fixed_off`: scalars (bpf_capable, slot-aligned) and pointers are spilled with their
 * state; other writes make the bytes STACK_MISC, or STACK_ZERO for a known zero. Returns whether it was
 * a spill ('spill'), a zero write of bytes that do not make a spill ('zero'), or neither.
 */
export function checkStackWriteFixedOff(env: VerifierEnv, f: FrameState, cur: FrameState, at: number, size: number,
  value: RegState | undefined, stImm: bigint | undefined): 'spill' | 'zero' | 'misc' {
  const { spi, i: idx } = byteAt(at);
  const slot = slotOf(f, spi);
  env.scratchedStack.add(spi);
  if (!env.privileges.allowPtrLeaks && isSpilledReg(slot) && slot.spilled?.type !== 'scalar' && size !== 8) {
    fail(env.log, 'EACCES', 'corrupt-spill', 'attempt to corrupt spilled pointer on stack');
  }
  const aligned = at % 8 === 0;
  if (value !== undefined && aligned && value.type === 'scalar' && env.privileges.bpfCapable) {
    let reg = value;
    if (regWidth(reg) > 8 * size) reg = { ...reg, id: 0 };
    saveRegisterState(env, slot, reg, size);
    return 'spill';
  }
  if (value === undefined && aligned && stImm !== undefined && env.privileges.bpfCapable) {
    saveRegisterState(env, slot, constScalar(stImm), size);
    return 'spill';
  }
  // A `CONST_PTR_TO_DYNPTR` is no spillable type (`is_spillable_regtype`): stored, it is plain data.
  if (value !== undefined && isPointer(value) && value.type !== 'dynptr_ptr') {
    if (size !== 8) fail(env.log, 'EACCES', 'spill-size', 'invalid size of register spill');
    if (f !== cur && value.type === 'fp') {
      fail(env.log, 'EINVAL', 'spill-caller-fp', 'cannot spill pointers to stack into stack frame of the caller');
    }
    saveRegisterState(env, slot, value, size);
    return 'spill';
  }
  scrub(slot);
  const zero = value !== undefined ? regConst(value) === 0n : stImm === 0n;
  for (let k = 0; k < size; k++) slot.bytes[idx + k] = zero ? 'zero' : 'misc';
  return zero ? 'zero' : 'misc';
}

/**
 * `check_stack_write_var_off`: every byte the write may hit becomes STACK_MISC (STACK_ZERO kept for zero writes).
 * Returns whether a STACK_ZERO byte was kept (the written zero must then be precise).
 */
export function checkStackWriteVarOff(env: VerifierEnv, f: FrameState, minOff: number, maxOff: number, writingZero: boolean, pc: number): boolean {
  let zeroUsed = false;
  for (let at = minOff; at < maxOff; at++) {
    const { spi, i } = byteAt(at);
    const slot = slotOf(f, spi);
    env.scratchedStack.add(spi);
    const b = slot.bytes[i] ?? 'invalid';
    if (!env.privileges.allowPtrLeaks && b !== 'misc' && b !== 'zero') {
      fail(env.log, 'EINVAL', 'var-off-spill', `spilled ptr in range of var-offset stack write; insn ${String(pc)}, ptr off: ${String(at)}`);
    }
    if (writingZero && b === 'spill' && slot.spilled?.type === 'scalar' && regConst(slot.spilled) === 0n) continue;
    if (b === 'invalid' && !env.privileges.allowUninitStack) {
      fail(env.log, 'EINVAL', 'var-off-uninit', `uninit stack in range of var-offset write prohibited for !root; insn ${String(pc)}, off: ${String(at)}`);
    }
    if (slot.spilled !== undefined) scrub(slot);
    if (writingZero && b === 'zero') zeroUsed = true;
    slot.bytes[i] = writingZero && b === 'zero' ? 'zero' : 'misc';
  }
  return zeroUsed;
}

/**
 * `check_stack_read_fixed_off`: fills restore a spilled register; other reads need initialized bytes. dst < 0: no register.
 * `fill` tells whether the result is the spilled register (the read goes in the jump history).
 */
export function checkStackReadFixedOff(env: VerifierEnv, f: FrameState, at: number, size: number, toReg: boolean): { reg: RegState; fill: boolean } {
  const { spi, i: idx } = byteAt(at);
  const slot = slotOf(f, spi);
  env.scratchedStack.add(spi);
  const spilled = slot.spilled;
  // An iterator's slots (`STACK_ITER`) are not spilled registers: reading them is refused below.
  if (isSpilledReg(slot) && spilled !== undefined && spilled.type !== 'iter') {
    let spillSize = 1;
    for (let k = 1; k < 8 && slot.bytes[k] === 'spill'; k++) spillSize++;
    if (size !== 8 || spillSize !== 8) {
      if (spilled.type !== 'scalar') fail(env.log, 'EACCES', 'fill-size', 'invalid size of register fill');
      if (size <= spillSize && at % 8 === 0) {
        let r = spilled;
        if (regWidth(r) > size * 8) r = { ...r, id: 0 };
        return { reg: r, fill: true };
      }
      let spill = 0, zero = 0;
      for (let k = 0; k < size; k++) {
        const b = slot.bytes[idx + k];
        if (b === 'spill') { spill++; continue; }
        if (b === 'misc') continue;
        if (b === 'zero') { zero++; continue; }
        if (b === 'invalid' && env.privileges.allowUninitStack) continue;
        fail(env.log, 'EACCES', 'uninit-stack-read', `invalid read from stack off ${String(at)}+${String(k)} size ${String(size)}`);
      }
      if (spill === size && regConst(spilled) === 0n) return { reg: constScalar(0n), fill: true };
      return { reg: zero === size ? constScalar(0n) : unknownScalar, fill: false };
    }
    if (!toReg && isPointer(spilled) && !env.privileges.allowPtrLeaks) {
      fail(env.log, 'EACCES', 'ptr-leak', `leaking pointer from stack off ${String(at)}`);
    }
    return { reg: spilled, fill: true };
  }
  let zero = 0;
  for (let k = 0; k < size; k++) {
    const b = slot.bytes[idx + k];
    if (b === 'misc') continue;
    if (b === 'zero') { zero++; continue; }
    if (b === 'invalid' && env.privileges.allowUninitStack) continue;
    fail(env.log, 'EACCES', 'uninit-stack-read', `invalid read from stack off ${String(at)}+${String(k)} size ${String(size)}`);
  }
  return { reg: zero === size ? constScalar(0n) : unknownScalar, fill: false };
}

/** `check_stack_range_initialized` over [minOff, maxOff): helper arguments and variable-offset reads. */
export function checkStackRangeInit(env: VerifierEnv, f: FrameState, frameno: number, regno: number, minOff: number, maxOff: number, write: boolean,
  varOff: string | undefined, off: number, size: number, clobber = false): { allZero: boolean } {
  let allZero = true;
  // A helper writing raw bytes must not hit a dynptr.
  for (let at = minOff; write && at < maxOff; at++) {
    const { spi, i } = byteAt(at);
    if (f.stack[spi]?.bytes[i] === 'dynptr') fail(env.log, 'EACCES', 'dynptr-write', `potential write to dynptr at off=${String(at)} disallowed`);
  }
  for (let at = minOff; at < maxOff; at++) {
    const { spi, i } = byteAt(at);
    const slot = slotOf(f, spi);
    const b = slot.bytes[i] ?? 'invalid';
    if (write && slot.spilled?.type !== 'iter') {
      // A helper's write clobbers spilled pointers; spilled scalars survive as misc bytes.
      if (slot.spilled !== undefined) scrub(slot);
      slot.bytes[i] = 'misc';
      env.scratchedStack.add(spi);
      allZero = false;
      continue;
    }
    if (b === 'zero') {
      env.markStackRead(frameno, spi);
      // A helper that may write what it was given (a size not known, so no raw write) leaves any bytes there.
      if (clobber) slot.bytes[i] = 'misc';
      continue;
    }
    allZero = false;
    const spilledOk = b === 'spill' && slot.spilled !== undefined && slot.spilled.type !== 'iter' && (slot.spilled.type === 'scalar' || env.privileges.allowPtrLeaks);
    const ok = b === 'misc' || spilledOk || (b === 'invalid' && env.privileges.allowUninitStack);
    if (ok) {
      env.markStackRead(frameno, spi);
      if (clobber && b === 'invalid') slot.bytes[i] = 'misc';
      if (clobber && spilledOk) scrub(slot);
      continue;
    }
    const where = varOff === undefined
      ? `invalid read from stack R${String(regno)} off ${String(off)}+${String(at - minOff)} size ${String(size)}`
      : `invalid read from stack R${String(regno)} var_off ${varOff}+${String(at - minOff)} size ${String(size)}`;
    fail(env.log, 'EACCES', 'uninit-stack-read', where);
  }
  return { allZero };
}

/** Narrows a loaded scalar to the access size (`coerce_reg_to_size`). */
export function narrowLoaded(r: RegState, size: number): RegState {
  if (r.type !== 'scalar' || size >= 8) return r;
  const b = copyBounds(r);
  coerceToSize(b, size);
  boundsSync(b);
  return { ...scalarOf(b), id: tnumIsConst(b.varOff) ? 0 : r.id };
}
