import { opcodeInTable } from '@bpfkit/asm';
import type { BpfArenaOps, ProgramImage } from '@bpfkit/kernel-api';
import { BPF_PSEUDO_CALL, BPF_PSEUDO_FUNC, BPF_PSEUDO_KFUNC_CALL } from '@bpfkit/uapi';
import { decodeProgram, type DecodedProgram } from '../program/decode.js';
import { subprogramLayout, type SubprogramLayout } from '../program/subprograms.js';
import { fusePairs } from './fuse.js';
import { Op } from './ops.js';

/**
 * A program as the interpreter runs it: the decoded slots plus, per slot, the
 * internal operation ({@link Op}), register indices pre-doubled for the
 * (lo, hi) register file, and jump targets pre-computed and checked.
 *
 * @example
 * const code = buildInterpCode(image);
 * code.packed[0] & 0xffff; // internal op of slot 0
 */
export interface InterpCode {
  readonly image: ProgramImage;
  readonly decoded: DecodedProgram;
  readonly layout: SubprogramLayout;
  /**
   * Internal op per slot, then two sentinels: {@link Op.FELL_OFF} at
   * index `length` and `exit` at `length + 1` (where a run goes to end the
   * frame early: LD_ABS out of the packet, a tail call run by another engine).
   */
  readonly ops: Uint16Array;
  /** `2 * dst_reg` and `2 * src_reg`: index of the low word in the register file. */
  readonly d2: Uint8Array;
  readonly s2: Uint8Array;
  readonly off: Int16Array;
  readonly imm: Int32Array;
  readonly immHi: Int32Array;
  /** Jump and call targets (absolute slot index); the fall-through for others. */
  readonly target: Int32Array;
  /**
   * The same, packed four words per slot for the hot loop (one array, one
   * cache line per two slots): `[op | 2·dst << 16 | 2·src << 24, imm,
   * off for memory / target for jumps and calls, high word of ld_imm64]`.
   */
  readonly packed: Int32Array;
  /** kfunc names by call site (the image's map). */
  readonly kfuncs: ReadonlyMap<number, string>;
  /** Why a slot is {@link Op.INVALID}, for the fault message. */
  readonly invalidWhy: ReadonlyMap<number, string>;
  /** Whether every memory access is checked against the arena's allocations. */
  readonly checked: boolean;
  /** The program's BPF arena (`BPF_MAP_TYPE_ARENA` among its maps), for `BPF_PROBE_MEM32` accesses and `cast_user`. */
  readonly arena: BpfArenaOps | undefined;
}

const ALU = 0x04;
const ALU64 = 0x07;
const JMP = 0x05;
const JMP32 = 0x06;
const LD = 0x00;
const STX = 0x03;
const EXIT = 0x95;

/** Atomic `imm` values for W/DW: add/or/and/xor with and without FETCH, xchg, cmpxchg. */
const RMW_ATOMICS = new Set([0x00, 0x01, 0x40, 0x41, 0x50, 0x51, 0xa0, 0xa1, 0xe1, 0xf1]);
const LOAD_ACQ = 0x100;
const STORE_REL = 0x110;

function classify(p: DecodedProgram, i: number, kfuncs: ReadonlyMap<number, string> | undefined): number | string {
  if (p.ldImm64Tail[i] === 1) return Op.LD_IMM64_TAIL;
  const code = p.code[i] ?? 0;
  const dst = p.dst[i] ?? 0;
  const src = p.src[i] ?? 0;
  const off = p.off[i] ?? 0;
  const imm = p.imm[i] ?? 0;
  if (code === 0x8d) return dst > 10 ? `invalid register r${dst}` : Op.CALLX;
  // The verifier's arena rewrites: BPF_PROBE_MEM32 loads/stores and BPF_PROBE_ATOMIC.
  const memCls = code & 0x07;
  if ((memCls === 0x01 || memCls === 0x02 || memCls === STX) && (code & 0xe0) === 0xa0) return dst > 10 || src > 10 ? `invalid register r${Math.max(dst, src)}` : Op.ARENA_MEM;
  // The verifier's rewrite of loads through untrusted BTF pointers: BPF_PROBE_MEM and BPF_PROBE_MEMSX.
  if (memCls === 0x01 && ((code & 0xe0) === 0x20 || ((code & 0xe0) === 0x40 && (code & 0x18) !== 0x18))) {
    return dst > 10 || src > 10 ? `invalid register r${Math.max(dst, src)}` : Op.PROBE_MEM;
  }
  if (memCls === STX && (code & 0xe0) === 0xe0) {
    const sz = code & 0x18;
    if ((sz !== 0x00 && sz !== 0x18) || !RMW_ATOMICS.has(imm)) return `invalid arena atomic operation ${imm}`;
    return dst > 10 || src > 10 ? `invalid register r${Math.max(dst, src)}` : Op.ARENA_ATOMIC;
  }
  if (!opcodeInTable(code)) return `unknown opcode ${code.toString(16).padStart(2, '0')}`;
  const cls = code & 0x07;
  const bop = code & 0xf0;
  const isX = (code & 0x08) !== 0;
  if (dst > 10 || ((isX || cls === 0x01 || cls === STX) && src > 10 && !(cls === JMP && (bop === 0x80 || bop === 0xe0)))) {
    return `invalid register r${Math.max(dst, src)}`;
  }
  if (cls === ALU || cls === ALU64) {
    const wide = cls === ALU64;
    if (bop === 0x30 || bop === 0x90) {
      if (off === 0) return code;
      if (off !== 1) return `invalid ${bop === 0x30 ? 'div' : 'mod'} offset ${off}`;
      const base = bop === 0x30 ? (wide ? Op.SDIV64_K : Op.SDIV32_K) : wide ? Op.SMOD64_K : Op.SMOD32_K;
      return base + (isX ? 1 : 0);
    }
    if (bop === 0xb0 && isX && off !== 0) {
      if (wide && off === 1) return Op.ADDR_SPACE_CAST;
      if (off === 8) return wide ? Op.MOVSX64_8 : Op.MOVSX32_8;
      if (off === 16) return wide ? Op.MOVSX64_16 : Op.MOVSX32_16;
      if (off === 32 && wide) return Op.MOVSX64_32;
      return `invalid movsx offset ${off}`;
    }
    if (bop === 0xd0) {
      const which = imm === 16 ? 0 : imm === 32 ? 1 : imm === 64 ? 2 : -1;
      if (which < 0) return `invalid byte swap width ${imm}`;
      return (!wide && !isX ? Op.LE16 : Op.SWAP16) + which;
    }
    return code;
  }
  if (cls === JMP || cls === JMP32) {
    if (bop === 0x80) {
      if (src === 0) return code;
      if (src === BPF_PSEUDO_CALL) return Op.CALL_LOCAL;
      if (src === BPF_PSEUDO_KFUNC_CALL) return kfuncs?.has(i) === true ? Op.CALL_KFUNC : `kfunc call at ${i} has no name`;
      return `invalid call source ${src}`;
    }
    if (bop === 0xe0) return src === 0 ? Op.MAY_GOTO : `invalid jcond source ${src}`;
    return code;
  }
  if (cls === LD) {
    if (code === 0x18) {
      if (src === 0) return code;
      if (src === BPF_PSEUDO_FUNC) return Op.LD_FUNC;
      return `ld_imm64 with unresolved source ${src}`;
    }
    if ((code & 0xe0) === 0x20) return Op.LD_ABS;
    return Op.LD_IND;
  }
  if (cls === STX && (code & 0xe0) === 0xc0) {
    const size = code & 0x18;
    if (imm === LOAD_ACQ || imm === STORE_REL || ((size === 0x00 || size === 0x18) && RMW_ATOMICS.has(imm))) {
      return size === 0x10 ? Op.ATOMIC_B : size === 0x08 ? Op.ATOMIC_H : size === 0x00 ? Op.ATOMIC_W : Op.ATOMIC_DW;
    }
    return `invalid atomic operation ${imm}`;
  }
  return code;
}

function jumpTarget(p: DecodedProgram, i: number, internal: number): number | undefined {
  const code = p.code[i] ?? 0;
  const cls = code & 0x07;
  if (internal === Op.CALL_LOCAL) return i + (p.imm[i] ?? 0) + 1;
  if (internal === Op.MAY_GOTO) return i + (p.off[i] ?? 0) + 1;
  if (cls !== JMP && cls !== JMP32) return undefined;
  const bop = code & 0xf0;
  if (bop === 0x80 || bop === 0x90) return undefined;
  if (code === 0x06) return i + (p.imm[i] ?? 0) + 1;
  return i + (p.off[i] ?? 0) + 1;
}

/** LDX/ST/STX with MEM or MEMSX: the accesses an unverified program makes through {@link Op.CHECKED_MEM}. */
function isPlainMemory(internal: number): boolean {
  if (internal >= 0x100) return false;
  const cls = internal & 0x07;
  const mode = internal & 0xe0;
  return (cls === 0x01 || cls === 0x02 || cls === STX) && (mode === 0x60 || mode === 0x80);
}

/** Whether the hot loop reads a jump or call target (rather than `off`) for this op. */
function usesTarget(internal: number, code: number): boolean {
  if (internal === Op.CALL_LOCAL || internal === Op.MAY_GOTO || internal === Op.BAD_TARGET || internal === Op.CALLX) return true;
  if (internal >= 0x100) return false;
  const cls = code & 0x07;
  return (cls === JMP || cls === JMP32) && (code & 0xf0) !== 0x80 && (code & 0xf0) !== 0x90;
}

/**
 * Decodes and classifies an image once, at load. Throws `BpfError('EINVAL')`
 * only for bytes that are not instructions (see `decodeProgram`).
 *
 * @example
 * const code = buildInterpCode(image);
 * code.ops[0]; // 0xb7 for `r0 = 0`
 */
export function buildInterpCode(image: ProgramImage): InterpCode {
  const decoded = decodeProgram(image.insns);
  const layout = subprogramLayout(decoded);
  const n = decoded.length;
  const ops = new Uint16Array(n + 2);
  const d2 = new Uint8Array(n + 2);
  const s2 = new Uint8Array(n + 2);
  const target = new Int32Array(n + 2);
  const kfuncs: ReadonlyMap<number, string> = image.kfuncs ?? new Map<number, string>();
  const invalidWhy = new Map<number, string>();
  const arena = image.maps.find((m) => m.bpfArena !== undefined)?.bpfArena;
  const hasArena = arena !== undefined;
  for (let i = 0; i < n; i++) {
    let internal = classify(decoded, i, image.kfuncs);
    if (typeof internal === 'string') {
      invalidWhy.set(i, internal);
      internal = Op.INVALID;
    }
    if (!image.verified && isPlainMemory(internal)) internal = Op.CHECKED_MEM;
    // BPF_PROBE_MEM32 / BPF_PROBE_ATOMIC exist only in what the verifier made of a program with an arena.
    if (((!image.verified || !hasArena) && (internal === Op.ARENA_MEM || internal === Op.ARENA_ATOMIC)) || (!image.verified && internal === Op.PROBE_MEM)) {
      invalidWhy.set(i, `unknown opcode ${(decoded.code[i] ?? 0).toString(16).padStart(2, '0')}`);
      internal = Op.INVALID;
    }
    const tgt = jumpTarget(decoded, i, internal);
    if (tgt !== undefined) {
      // A target must be an instruction: inside the program and not the second half of an ld_imm64.
      if (tgt < 0 || tgt >= n || decoded.ldImm64Tail[tgt] === 1) internal = Op.BAD_TARGET;
      target[i] = tgt;
    } else {
      target[i] = i + (internal === 0x18 || internal === Op.LD_FUNC ? 2 : 1);
    }
    ops[i] = internal;
    d2[i] = ((decoded.dst[i] ?? 0) & 0x0f) * 2;
    s2[i] = ((decoded.src[i] ?? 0) & 0x0f) * 2;
  }
  ops[n] = Op.FELL_OFF;
  target[n] = n;
  ops[n + 1] = EXIT;
  target[n + 1] = n + 1;
  const off = new Int16Array(n + 2);
  off.set(decoded.off);
  const imm = new Int32Array(n + 2);
  imm.set(decoded.imm);
  const immHi = new Int32Array(n + 2);
  immHi.set(decoded.immHi);
  const packed = new Int32Array((n + 2) * 4);
  for (let i = 0; i < n + 2; i++) {
    const o = ops[i] ?? 0;
    packed[4 * i] = o | ((d2[i] ?? 0) << 16) | ((s2[i] ?? 0) << 24);
    packed[4 * i + 1] = imm[i] ?? 0;
    packed[4 * i + 2] = usesTarget(o, decoded.code[i] ?? 0) ? (target[i] ?? 0) : (off[i] ?? 0);
    packed[4 * i + 3] = immHi[i] ?? 0;
  }
  fusePairs(ops, decoded, packed, target);
  return { image, decoded, layout, packed, ops, d2, s2, off, imm, immHi, target, kfuncs, invalidWhy, checked: !image.verified, arena };
}
