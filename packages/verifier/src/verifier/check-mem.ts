import type { Insn } from '@bpfkit/asm';
import type { VerifierEnv } from './env.js';
import { mode, sizeBytes } from './insns.js';
import { fail } from './log.js';
import { constScalar, isPointer, regTypeStr, unknownScalar, type FrameState, type RegState, type StackSlot, type VState } from './state.js';

export const MAX_BPF_STACK = 512;
/** Context sizes (`sizeof` of the ctx struct) for the ctx bounds check of this first part. */
const CTX_SIZE: Readonly<Record<number, number>> = { 1: 192, 3: 192, 4: 192, 8: 192, 10: 192, 11: 192, 12: 192, 14: 192, 2: 168, 6: 24 };

/** BPF_LDX: `check_mem_access` read into dst. */
export function checkLdx(env: VerifierEnv, state: VState, insn: Insn): void {
  const m = mode(insn.code);
  if (m !== 0x60 && m !== 0x80) fail(env.log, 'EINVAL', 'bad-ldx', `unknown opcode ${insn.code.toString(16).padStart(2, '0')}`);
  const ptr = env.readReg(state, insn.src);
  const size = sizeBytes(insn.code);
  const value = checkMemAccess(env, state, insn.src, ptr, insn.off, size, false, undefined);
  env.writeReg(state, insn.dst, value);
}

/** BPF_STX / BPF_ST: `check_mem_access` write. */
export function checkStore(env: VerifierEnv, state: VState, insn: Insn, isSt: boolean): void {
  const m = mode(insn.code);
  if (m !== 0x60) fail(env.log, 'EACCES', 'unsupported', `store mode ${m.toString(16)} is not modelled yet`);
  const value = isSt ? constScalar(BigInt(insn.imm)) : env.readReg(state, insn.src);
  const ptr = env.readReg(state, insn.dst);
  if (isSt && ptr.type === 'ctx') fail(env.log, 'EACCES', 'st-ctx', `BPF_ST stores into R${String(insn.dst)} ctx is not allowed`);
  checkMemAccess(env, state, insn.dst, ptr, insn.off, sizeBytes(insn.code), true, value);
}

function sizedScalar(size: number): RegState {
  return size === 8 ? unknownScalar : { type: 'scalar', off: 0, umin: 0n, umax: (1n << BigInt(size * 8)) - 1n };
}

/** `check_mem_access` for the pointer kinds of this first part. Returns the loaded value for reads. */
export function checkMemAccess(env: VerifierEnv, state: VState, regno: number, ptr: RegState, off: number, size: number, write: boolean,
  value: RegState | undefined): RegState {
  const r = String(regno);
  switch (ptr.type) {
    case 'fp':
      return checkStackAccess(env, state, regno, ptr, off, size, write, value);
    case 'ctx': {
      if (ptr.off !== 0) fail(env.log, 'EACCES', 'modified-ctx', `dereference of modified ctx ptr R${r} off=${String(ptr.off)} disallowed`);
      const ctxSize = CTX_SIZE[env.req.progType] ?? 256;
      if (write || off < 0 || off + size > ctxSize || off % size !== 0) {
        fail(env.log, 'EACCES', 'ctx-access', `invalid bpf_context access off=${String(off)} size=${String(size)}`);
      }
      return sizedScalar(size);
    }
    case 'map_value':
    case 'ringbuf_mem': {
      const vs = ptr.valueSize ?? 0;
      const at = ptr.off + off;
      if (at < 0 || at + size > vs) {
        fail(env.log, 'EACCES', 'map-value-access', `invalid access to map value, value_size=${String(vs)} off=${String(at)} size=${String(size)}`);
      }
      if (write && value !== undefined && isPointer(value) && !env.privileges.allowPtrLeaks) {
        fail(env.log, 'EACCES', 'ptr-leak', `R${r} leaks addr into map`);
      }
      return sizedScalar(size);
    }
    default:
      return fail(env.log, 'EACCES', 'invalid-mem-access', `R${r} invalid mem access '${regTypeStr(ptr)}'`);
  }
}

/** The stack slot `i` (fp-8*(i+1)), grown on demand (`grow_stack_state`). */
export function slotOf(f: FrameState, i: number): StackSlot {
  while (f.stack.length <= i) f.stack.push({ bytes: Array.from({ length: 8 }, () => 'invalid' as const) });
  const s = f.stack[i];
  if (s === undefined) throw new Error('verifier: stack slot');
  return s;
}

/** `check_stack_access_within_bounds`. */
export function checkStackBounds(env: VerifierEnv, regno: number, at: number, size: number, write: boolean): void {
  let code: 'EACCES' | 'EINVAL' | undefined;
  if (at < -MAX_BPF_STACK || at > -1) code = 'EACCES';
  else if (at + size > 0) code = 'EINVAL';
  if (code !== undefined) {
    fail(env.log, code, 'stack-bounds', `invalid ${write ? 'write to' : 'read from'} stack R${String(regno)} off=${String(at)} size=${String(size)}`);
  }
}

/** `check_stack_read` / `check_stack_write` at a constant offset. */
function checkStackAccess(env: VerifierEnv, state: VState, regno: number, ptr: RegState, off: number, size: number, write: boolean,
  value: RegState | undefined): RegState {
  const at = ptr.off + off;
  if (at % size !== 0) {
    fail(env.log, 'EACCES', 'misaligned-stack', `misaligned stack access off 0+${String(ptr.off)}+${String(off)} size ${String(size)}`);
  }
  checkStackBounds(env, regno, at, size, write);
  const f = state.frames[ptr.frame ?? state.frames.length - 1] ?? env.frame(state);
  env.maxStack = Math.max(env.maxStack, -at);
  const idx = Math.floor((-at - 1) / 8);
  const slot = slotOf(f, idx);
  env.scratchedStack.add(idx);
  const first = at + (idx + 1) * 8;
  if (write) {
    if (size === 8 && value !== undefined && (isPointer(value) || value.value !== undefined)) {
      slot.bytes = Array.from({ length: 8 }, () => 'spill' as const);
      slot.spilled = value;
    } else {
      if (slot.spilled !== undefined) {
        slot.bytes = slot.bytes.map((b) => (b === 'spill' ? 'misc' : b));
        delete slot.spilled;
      }
      const zero = value?.value === 0n;
      for (let i = first; i < first + size; i++) slot.bytes[i] = zero ? 'zero' : 'misc';
    }
    return unknownScalar;
  }
  if (size === 8 && slot.spilled !== undefined && slot.bytes.every((b) => b === 'spill')) return slot.spilled;
  const bytes = slot.bytes.slice(first, first + size);
  if (bytes.some((b) => b === 'invalid') && !env.privileges.allowUninitStack) {
    fail(env.log, 'EACCES', 'uninit-stack-read', `invalid read from stack off ${String(at)}+0 size ${String(size)}`);
  }
  if (bytes.every((b) => b === 'zero')) return constScalar(0n);
  return sizedScalar(size);
}
