import { constOf, knownBounds, S32_MAX, S32_MIN, S64_MAX, S64_MIN, unknownBounds, type Bounds } from './bounds.js';
import type { BtfView, VerifierMap } from '@bpfkit/kernel-api';
import { tnumConst, tnumIsConst, tnumIsUnknown, tnumStr, U32_MAX, U64_MAX } from './tnum.js';

/** Register types (`enum bpf_reg_type`, subset). */
export type RegType =
  | 'not_init' | 'scalar' | 'ctx' | 'fp' | 'map_ptr' | 'map_ptr_or_null' | 'map_value' | 'map_value_or_null' | 'ringbuf_mem_or_null' | 'ringbuf_mem'
  | 'pkt' | 'pkt_meta' | 'pkt_end'
  | 'sock_common' | 'sock_common_or_null' | 'sock' | 'sock_or_null' | 'tcp_sock' | 'tcp_sock_or_null'
  /** `PTR_TO_XDP_SOCK`: an AF_XDP socket from an XSKMAP, read through `struct bpf_xdp_sock`. */
  | 'xdp_sock' | 'xdp_sock_or_null'
  | 'func' | 'map_key' | 'dynptr_ptr' | 'mem' | 'mem_or_null'
  /** `PTR_TO_FLOW_KEYS`: the flow dissector's `struct bpf_flow_keys`. */
  | 'flow_keys'
  /** `PTR_TO_TP_BUFFER`: a writable tracepoint's buffer. */
  | 'tp_buffer'
  /** `PTR_TO_BTF_ID`: a kernel object of the BTF type `btfId`, with its trust in `btfMod`. */
  | 'ptr_' | 'ptr_or_null_'
  /** The state of an open-coded iterator in its stack slots (`STACK_ITER`), never in a register. */
  | 'iter'
  /** `PTR_TO_ARENA`: a 32-bit pointer into the program's arena (what `cast_kern` gives). */
  | 'arena';

/** `PTR_TO_BTF_ID` modifiers: `PTR_TRUSTED`, `MEM_RCU`, `PTR_UNTRUSTED` (none: a plain walked pointer). */
export type BtfPtrMod = 'trusted' | 'rcu' | 'untrusted';

/**
 * One register (`struct bpf_reg_state`). Scalars: the bounds are the value. Pointers: `off` is the
 * fixed offset and the bounds describe the variable offset added to it.
 */
export interface RegState extends Readonly<Bounds> {
  readonly type: RegType;
  /** Fixed offset of a pointer. */
  readonly off: number;
  /** Scalars: links copies (`r2 = r1`) so that a branch on one bounds the others; pointers: the _or_null / packet id. */
  readonly id: number;
  /** Pointers to map values: which map (value_size; `mem_size` of a `mem` pointer), and the frame of a stack pointer. */
  readonly mapFd?: number;
  readonly valueSize?: number;
  readonly frame?: number;
  /** Packet pointers: bytes known to be in the packet past this pointer (`reg->range`). */
  readonly range?: number;
  /** Scalars: `off` is a constant added since the copy with this id (`BPF_ADD_CONST`). */
  readonly linkedConst?: boolean;
  /** The link came from a 32-bit `wX += const` (`BPF_ADD_CONST32`): the linked value is zero-extended. */
  readonly linkedConst32?: boolean;
  /** The acquired reference this pointer belongs to (`ref_obj_id`), 0 for none. */
  readonly refObjId?: number;
  /** `PTR_TO_FUNC`: the subprogram whose address this is. */
  readonly subprog?: number;
  /** `PTR_TO_MAP_KEY`: the map's key size. */
  readonly keySize?: number;
  /** `map_ptr` / `map_value`: of the inner map template of the map-in-map `mapFd` names, not of that map. */
  readonly innerMap?: boolean;
  /** Scalars: the exact value matters to a later instruction (set by precision backtracking in stored states). */
  readonly precise?: boolean;
  /** `PTR_TO_BTF_ID`: the BTF and the type id the pointer points to, and its modifier. */
  readonly btf?: BtfView;
  readonly btfId?: number;
  readonly btfMod?: BtfPtrMod;
  /** `MEM_RDONLY`: memory the program may read only. */
  readonly rdonly?: boolean;
  /** `MEM_ALLOC`: a program-allocated object of the program's BTF type `btfId` (see graph.ts); `MEM_PERCPU` with it. */
  readonly memAlloc?: true;
  readonly percpu?: true;
  /** `NON_OWN_REF`: an allocated object a graph owns, usable until the lock is released. */
  readonly nonOwnRef?: true;
  /** `iter`: which iterator (its BTF struct, `bpf_iter_num`…), whether `next` may still give an element, and how many passes deep. */
  readonly iter?: IterState;
  /** A dynptr's stack slot (`STACK_DYNPTR`) or a `CONST_PTR_TO_DYNPTR`: its kind, and whether this is its first slot. */
  readonly dynptr?: DynptrState;
  /** A slice of a dynptr (`bpf_dynptr_data`, `bpf_dynptr_slice`): the dynptr's id (`dynptr_id`), and whether it is packet data. */
  readonly dynptrId?: number;
  readonly pktSlice?: boolean;
  /** A `bpf_dynptr_slice` given a stack buffer: where the buffer is (printed `buf=fp[0]-48+4`). */
  readonly sliceBuf?: SliceBuffer;
}

/** A stack buffer: its frame, offset from that frame's fp, and size. */
export interface SliceBuffer {
  readonly frame: number;
  readonly off: number;
  readonly size: number;
}

/** The kinds of dynptr (`enum bpf_dynptr_type`). */
export type DynptrType = 'local' | 'ringbuf' | 'skb' | 'xdp' | 'skb_meta';

/** `reg->dynptr`. */
export interface DynptrState {
  readonly type: DynptrType;
  readonly first: boolean;
}

/** `reg->iter` of an iterator's stack slot. */
export interface IterState {
  readonly name: string;
  readonly state: 'active' | 'drained';
  readonly depth: number;
}

export const U64 = U64_MAX;
export const notInit: RegState = { type: 'not_init', off: 0, id: 0, ...unknownBounds };
/** `mark_reg_unknown`. */
export const unknownScalar: RegState = { type: 'scalar', off: 0, id: 0, ...unknownBounds };
/** `__mark_reg_known`. */
export function constScalar(v: bigint): RegState {
  if (v >= 0n && v <= S32_MAX) {
    // Small non-negative constants are the same number in every width (no intermediate Bounds).
    return { type: 'scalar', off: 0, id: 0, varOff: tnumConst(v), smin: v, smax: v, umin: v, umax: v, s32min: v, s32max: v, u32min: v, u32max: v };
  }
  return scalarOf(knownBounds(v));
}
/** A scalar with the given bounds (a literal, not a spread: one object shape for every register). */
export function scalarOf(b: Readonly<Bounds>): RegState {
  return {
    type: 'scalar', off: 0, id: 0, varOff: b.varOff, smin: b.smin, smax: b.smax, umin: b.umin, umax: b.umax,
    s32min: b.s32min, s32max: b.s32max, u32min: b.u32min, u32max: b.u32max,
  };
}
const ZERO_OFFSET = knownBounds(0n);
/** A pointer with a fixed offset and no variable part. */
export function pointer(type: RegType, off: number, extra?: Partial<RegState>): RegState {
  const z = ZERO_OFFSET;
  const r: RegState = { type, off, id: 0, varOff: z.varOff, smin: 0n, smax: 0n, umin: 0n, umax: 0n, s32min: 0n, s32max: 0n, u32min: 0n, u32max: 0n };
  // Into the fresh object, not a spread into a second one.
  return extra === undefined ? r : Object.assign(r, extra);
}
export function isPointer(r: RegState): boolean {
  return r.type !== 'scalar' && r.type !== 'not_init';
}
/** A scalar without its link to other copies (no id, no `BPF_ADD_CONST` constant). */
export function unlinked(r: RegState): RegState {
  const out: RegState = { type: r.type, off: 0, id: 0, varOff: r.varOff, umin: r.umin, umax: r.umax, smin: r.smin, smax: r.smax,
    u32min: r.u32min, u32max: r.u32max, s32min: r.s32min, s32max: r.s32max };
  return r.precise === true ? { ...out, precise: true } : out;
}
/** The scalar's value when all its bits are known. */
export function regConst(r: RegState, is32 = false): bigint | undefined {
  return r.type === 'scalar' ? constOf(r, is32) : undefined;
}

/** A stack byte: `STACK_INVALID`, `STACK_MISC`, `STACK_ZERO`, part of a spilled register (`STACK_SPILL`) or of a dynptr (`STACK_DYNPTR`). */
export type StackByte = 'invalid' | 'misc' | 'zero' | 'spill' | 'dynptr';

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
  /**
   * A callback's frame (`in_callback_fn`): the range its R0 must be in; it returns to the call (returnTo - 1).
   * An async callback (`in_async_callback_fn`, a timer's) is the only frame of its own path and returns nowhere.
   */
  readonly callback?: { readonly min: bigint; readonly max: bigint; readonly async?: true };
  /** Callbacks of bpf_loop simulated from this frame at one call (`callback_depth`). */
  callbackDepth?: number;
}

/** An acquired reference (`struct bpf_reference_state`): its id and the instruction that took it. */
export interface RefState {
  readonly id: number;
  readonly insn: number;
}

/** A register or stack slot linked to others by a scalar id at a branch (`struct linked_reg`). */
export interface LinkedReg {
  readonly frame: number;
  /** Register number, or stack slot index when `isReg` is false. */
  readonly index: number;
  readonly isReg: boolean;
}

/** `INSN_F_STACK_ACCESS`: the instruction spilled to or filled from a stack slot. */
export interface StackAccess {
  readonly frame: number;
  readonly spi: number;
}

/** One jump history record (`struct bpf_jmp_history_entry`): a non-linear step or a stack spill/fill. */
export interface HistEntry {
  readonly idx: number;
  readonly prevIdx: number;
  stack?: StackAccess;
  linked?: readonly LinkedReg[];
  /** A conditional jump's operands that were stack pointers (`INSN_F_SRC_REG_STACK`, `INSN_F_DST_REG_STACK`): not traced. */
  stackRegs?: { readonly src: boolean; readonly dst: boolean };
}

/** The whole verifier state (`struct bpf_verifier_state`). */
export interface VState {
  frames: FrameState[];
  /** References the program holds and must release before exit. */
  refs: RefState[];
  /** Instructions since the last checkpoint: first, previous, current (`first_insn_idx`, `last_insn_idx`, `insn_idx`). */
  firstIdx: number;
  lastIdx: number;
  insnIdx: number;
  /** Jumps and stack accesses since the last checkpoint (`jmp_history`). */
  hist: HistEntry[];
  /** Callback visits queued on the way to this state (`callback_unroll_depth`). */
  callbackUnroll?: number;
  /** `may_goto` fall-throughs taken on the way to this state (`may_goto_depth`). */
  mayGotoDepth?: number;
  /** The `bpf_spin_lock` held (`active_lock_id`, `active_lock_ptr`): the pointer's id, its map, and where it was taken. */
  lock?: HeldLock;
}

/** A held `bpf_spin_lock`: the pointer's id and what holds the lock: the map (by fd), or an allocated object's BTF. */
export interface HeldLock {
  readonly id: number;
  readonly ptr: number | BtfView;
  readonly insn: number;
  /** The next reference id when the lock was taken: the log lists the lock among the references in the order they were taken. */
  readonly nextRefId: number;
}

/** Types that may be NULL until checked (`type_may_be_null`) and what they become after the check. */
export const NOT_NULL: Readonly<Partial<Record<RegType, RegType>>> = {
  map_value_or_null: 'map_value', map_ptr_or_null: 'map_ptr', ringbuf_mem_or_null: 'ringbuf_mem', mem_or_null: 'mem', sock_or_null: 'sock',
  sock_common_or_null: 'sock_common', tcp_sock_or_null: 'tcp_sock', xdp_sock_or_null: 'xdp_sock', ptr_or_null_: 'ptr_',
};

export function cloneState(s: VState): VState {
  // Optional fields are copied only when set (absent stays absent), without spreads: this runs at every checkpoint and branch.
  const out: VState = { refs: s.refs.slice(), firstIdx: s.firstIdx, lastIdx: s.lastIdx, insnIdx: s.insnIdx, hist: s.hist.slice(), frames: [] };
  if (s.callbackUnroll !== undefined) out.callbackUnroll = s.callbackUnroll;
  if (s.lock !== undefined) out.lock = s.lock;
  if (s.mayGotoDepth !== undefined) out.mayGotoDepth = s.mayGotoDepth;
  for (const f of s.frames) {
    const stack: StackSlot[] = new Array<StackSlot>(f.stack.length);
    for (let i = 0; i < f.stack.length; i++) {
      const slot = f.stack[i] as StackSlot;
      stack[i] = slot.spilled === undefined ? { bytes: slot.bytes.slice() } : { bytes: slot.bytes.slice(), spilled: slot.spilled };
    }
    const frame: FrameState = { regs: f.regs.slice(), returnTo: f.returnTo, subprog: f.subprog, stack };
    if (f.callback !== undefined) (frame as { callback?: FrameState['callback'] }).callback = f.callback;
    if (f.callbackDepth !== undefined) frame.callbackDepth = f.callbackDepth;
    out.frames.push(frame);
  }
  return out;
}

const UNUM_MAX_DECIMAL = 0xffffn;

/** `verbose_unum`. */
function unum(v: bigint): string {
  return v <= UNUM_MAX_DECIMAL ? v.toString() : `0x${v.toString(16)}`;
}
/** `verbose_snum`: decimal within s16 (`SNUM_MIN_DECIMAL`..`SNUM_MAX_DECIMAL`), else the value's bits in hex. */
function snum(v: bigint, bits = 64): string {
  return v >= -0x8000n && v <= 0x7fffn ? v.toString() : `0x${BigInt.asUintN(bits, v).toString(16)}`;
}

/** `print_scalar_ranges`' value of a 32-bit signed bound: sign-extended when it prints in decimal, else its u32 bits. */
function s32Entry(v: bigint): bigint {
  return v >= -0x8000n && v <= 0x7fffn ? v : BigInt.asUintN(32, v);
}

/** `print_scalar_ranges`: non-default bounds, equal values merged (`smin=smin32=0,smax=umax=...`). */
function scalarRanges(r: Readonly<Bounds>): string[] {
  const m = [
    { name: 'smin', val: r.smin, omit: r.smin === S64_MIN },
    { name: 'smax', val: r.smax, omit: r.smax === S64_MAX },
    { name: 'umin', val: r.umin, omit: r.umin === 0n },
    { name: 'umax', val: r.umax, omit: r.umax === U64_MAX },
    // A 32-bit signed bound printed in hex is its 32 bits (not sign-extended): it may then merge with an
    // unsigned or 64-bit bound of those bits, and prints as `0x80000001`.
    { name: 'smin32', val: s32Entry(r.s32min), omit: r.s32min === S32_MIN },
    { name: 'smax32', val: s32Entry(r.s32max), omit: r.s32max === S32_MAX },
    { name: 'umin32', val: r.u32min, omit: r.u32min === 0n },
    { name: 'umax32', val: r.u32max, omit: r.u32max === U32_MAX },
  ];
  const out: string[] = [];
  m.forEach((m1, i) => {
    if (m1.omit) return;
    const neg1 = m1.name.startsWith('s') && m1.val < 0n;
    let names = `${m1.name}=`;
    for (let j = i + 2; j < m.length; j += 2) {
      const m2 = m[j];
      if (m2 === undefined || m2.omit) continue;
      const neg2 = m2.name.startsWith('s') && m2.val < 0n;
      if (neg1 !== neg2 || BigInt.asUintN(64, m1.val) !== BigInt.asUintN(64, m2.val)) continue;
      names += `${m2.name}=`;
      m2.omit = true;
    }
    // The first name of a group decides: signed names print as `verbose_snum`, unsigned ones as `verbose_unum`.
    out.push(names + (m1.name.startsWith('s') ? snum(m1.val) : unum(BigInt.asUintN(64, m1.val))));
  });
  return out;
}

/** The kernel's printing of a scalar: `1`, `-1`, `scalar()`, `scalar(id=1,smin=0,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff))`. */
export function formatScalar(r: RegState): string {
  const p = r.precise === true ? 'P' : '';
  const k = constOf(r);
  if (k !== undefined) return p + snum(BigInt.asIntN(64, k));
  const parts = r.id !== 0 ? [`id=${String(r.id)}${r.linkedConst === true ? (r.off < 0 ? String(r.off) : `+${String(r.off)}`) : ''}`] : [];
  parts.push(...scalarRanges(r));
  if (!tnumIsUnknown(r.varOff)) parts.push(`var_off=${tnumStr(r.varOff)}`);
  return `${p}scalar(${parts.join(',')})`;
}

/** `print_verifier_state` of one register: `ctx()`, `fp-8`, `map_value(map=m,ks=4,vs=8)`. */
export function formatReg(r: RegState, printingFrame?: number, mapOf?: (r: RegState) => VerifierMap | undefined): string {
  if (r.type === 'scalar') return formatScalar(r);
  if (r.iter !== undefined) {
    return `iter_${r.iter.name.replace(/^bpf_iter_/, '')}(ref_id=${String(r.refObjId ?? 0)},state=${r.iter.state},depth=${String(r.iter.depth)})`;
  }
  if (r.type === 'not_init') return '?';
  // `print_reg_state` prints an arena pointer's type alone.
  if (r.type === 'arena') return 'arena';
  // A pointer into another frame's stack names that frame: `fp[0]-8`.
  const other = r.type === 'fp' && printingFrame !== undefined && r.frame !== undefined && r.frame !== printingFrame ? `[${String(r.frame)}]` : '';
  // A stack pointer at a known offset: `fp-8` (far offsets as `verbose_snum` prints them, in hex).
  if (r.type === 'fp' && tnumIsConst(r.varOff)) return `fp${other}${snum(BigInt.asIntN(64, BigInt(r.off) + r.varOff.value))}`;
  const parts: string[] = [];
  if (r.id !== 0) parts.push(`id=${String(r.id)}`);
  if ((r.refObjId ?? 0) !== 0) parts.push(`ref_obj_id=${String(r.refObjId)}`);
  if (r.nonOwnRef === true) parts.push('non_own_ref');
  if (r.type === 'map_value' || r.type === 'map_value_or_null' || r.type === 'map_ptr' || r.type === 'map_ptr_or_null' || r.type === 'map_key') {
    // `type_is_map_ptr`: the map's name (when it has one) and sizes.
    const map = mapOf?.(r);
    if (map?.name !== undefined && map.name !== '') parts.push(`map=${map.name}`);
    parts.push(`ks=${String(map?.keySize ?? r.keySize ?? 0)},vs=${String(map?.valueSize ?? r.valueSize ?? 0)}`);
  }
  if (r.off !== 0) parts.push(`off=${snum(BigInt(r.off))}`);
  if (r.type === 'pkt' || r.type === 'pkt_meta') parts.push(`r=${unum(BigInt.asUintN(64, BigInt(r.range ?? 0)))}`);
  // Every `PTR_TO_MEM` (ring buffer records too) prints its size.
  if (r.type === 'mem' || r.type === 'mem_or_null' || r.type === 'ringbuf_mem' || r.type === 'ringbuf_mem_or_null') parts.push(`sz=${String(r.valueSize ?? 0)}`);
  if (r.sliceBuf !== undefined) parts.push(`buf=fp[${String(r.sliceBuf.frame)}]${String(r.sliceBuf.off)}+${String(r.sliceBuf.size)}`);
  if (r.type === 'dynptr_ptr' && r.dynptr !== undefined) parts.push(`type=${r.dynptr.type}`);
  if (constOf(r) === undefined) {
    parts.push(...scalarRanges(r));
    if (!tnumIsUnknown(r.varOff)) parts.push(`var_off=${tnumStr(r.varOff)}`);
  }
  // A BTF pointer names its type: `trusted_ptr_task_struct(...)`.
  const btfName = r.btfId === undefined ? '' : r.btf?.type(r.btfId)?.name ?? '';
  return `${regTypeStr(r)}${btfName}${other}(${parts.join(',')})`;
}

/** Register names for `R1 type=%s expected=...` (`reg_type_str`). */
export function regTypeStr(r: RegState): string {
  if (r.percpu === true) return `percpu_${r.btfMod === undefined ? '' : `${r.btfMod}_`}${r.type}`;
  if (r.btfMod !== undefined) return `${r.btfMod}_${r.type}`;
  if (r.rdonly === true) return `rdonly_${r.type}`;
  return r.type === 'not_init' ? '?' : r.type;
}

export { S64_MAX, S64_MIN };
