/** Register types of the first verifier part (`enum bpf_reg_type`, subset). */
export type RegType =
  | 'not_init' | 'scalar' | 'ctx' | 'fp' | 'map_ptr' | 'map_value' | 'map_value_or_null' | 'ringbuf_mem_or_null' | 'ringbuf_mem';

/** One register (`struct bpf_reg_state`, subset): a scalar value or a pointer with a constant offset. */
export interface RegState {
  readonly type: RegType;
  /** Constant offset of a pointer. */
  readonly off: number;
  /** Scalars: the value when known. */
  readonly value?: bigint;
  /** Scalars: unsigned bounds when not known (u64). */
  readonly umin?: bigint;
  readonly umax?: bigint;
  /** Pointers to map values: which map (value_size), and the frame of a stack pointer. */
  readonly mapFd?: number;
  readonly valueSize?: number;
  readonly frame?: number;
  /** Identifies a _or_null pointer so that a null check marks its copies. */
  readonly id?: number;
}

export const U64 = (1n << 64n) - 1n;
export const notInit: RegState = { type: 'not_init', off: 0 };
export const unknownScalar: RegState = { type: 'scalar', off: 0, umin: 0n, umax: U64 };
export function constScalar(v: bigint): RegState {
  return { type: 'scalar', off: 0, value: BigInt.asUintN(64, v) };
}
export function isPointer(r: RegState): boolean {
  return r.type !== 'scalar' && r.type !== 'not_init';
}

/** A stack byte: `STACK_INVALID`, `STACK_MISC`, `STACK_ZERO`, or part of a spilled register. */
export type StackByte = 'invalid' | 'misc' | 'zero' | 'spill';

export interface StackSlot {
  bytes: StackByte[];
  spilled?: RegState;
}

/** One call frame (`struct bpf_func_state`). */
export interface FrameState {
  regs: RegState[];
  /** Slot i covers fp-8*(i+1) .. fp-8*i-1. */
  stack: StackSlot[];
  /** Where the call returns to (callsite + 1), -1 for the main frame. */
  readonly returnTo: number;
  readonly subprog: number;
}

/** The whole verifier state (`struct bpf_verifier_state`). */
export interface VState {
  frames: FrameState[];
}

export function cloneState(s: VState): VState {
  return {
    frames: s.frames.map((f) => ({
      regs: [...f.regs], returnTo: f.returnTo, subprog: f.subprog,
      stack: f.stack.map((slot) => ({ bytes: [...slot.bytes], ...(slot.spilled === undefined ? {} : { spilled: slot.spilled }) })),
    })),
  };
}

function s64(v: bigint): bigint {
  return BigInt.asIntN(64, v);
}

function hex(v: bigint): string {
  return `0x${v.toString(16)}`;
}

/** The kernel's printing of a scalar: `1`, `-1`, `scalar()`, `scalar(smin=0,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff))`. */
export function formatScalar(r: RegState): string {
  if (r.value !== undefined) return s64(r.value).toString();
  const umax = r.umax ?? U64;
  const umin = r.umin ?? 0n;
  if (umin === 0n && umax === U64) return 'scalar()';
  // Only the 0..2^k-1 shape is produced by this first part (zero-extended loads and ALU32).
  const bits = umax.toString(2).length;
  if (umin === 0n && umax === (1n << BigInt(bits)) - 1n) {
    const range = umax <= 0x7fffffffn ? `smin=smin32=0,smax=umax=smax32=umax32=${umax.toString()}` : `smin=0,smax=umax=${hex(umax)}`;
    return `scalar(${range},var_off=(0x0; ${hex(umax)}))`;
  }
  return `scalar(umin=${umin.toString()},umax=${umax.toString()})`;
}

/** `print_verifier_state` of one register: `ctx()`, `fp-8`, `map_value(map=m,ks=4,vs=8)`. */
export function formatReg(r: RegState): string {
  switch (r.type) {
    case 'scalar': return formatScalar(r);
    case 'ctx': return r.off === 0 ? 'ctx()' : `ctx(off=${String(r.off)})`;
    case 'fp': return `fp${r.off === 0 ? '0' : String(r.off)}`;
    case 'map_ptr': return 'map_ptr()';
    case 'map_value': return r.off === 0 ? 'map_value()' : `map_value(off=${String(r.off)})`;
    case 'map_value_or_null': return 'map_value_or_null()';
    case 'ringbuf_mem': return 'ringbuf_mem()';
    case 'ringbuf_mem_or_null': return 'ringbuf_mem_or_null()';
    case 'not_init': return '?';
  }
}

/** Register names for `R1 type=%s expected=...` (`reg_type_str`). */
export function regTypeStr(r: RegState): string {
  switch (r.type) {
    case 'fp': return 'fp';
    case 'map_value_or_null': return 'map_value_or_null';
    case 'ringbuf_mem_or_null': return 'ringbuf_mem_or_null';
    default: return r.type === 'not_init' ? '?' : r.type;
  }
}
