import { bpfFuncId } from '@bpfkit/uapi';
import { asmError } from './errors.js';
import { type Insn, secondSlot } from './insn.js';
import {
  BPF_ABS, BPF_ADD, BPF_ADDR_SPACE_CAST, BPF_ALU, BPF_ALU64, BPF_AND, BPF_ATOMIC, BPF_B, BPF_CALL, BPF_CMPXCHG, BPF_DW,
  BPF_END, BPF_EXIT, BPF_FETCH, BPF_H, BPF_IMM, BPF_IND, BPF_JA, BPF_JCOND, BPF_JMP, BPF_JMP32, BPF_K, BPF_LD, BPF_LDX,
  BPF_LOAD_ACQ, BPF_MAY_GOTO, BPF_MEM, BPF_MEMSX, BPF_MOV, BPF_NEG, BPF_OR, BPF_PSEUDO_BTF_ID, BPF_PSEUDO_CALL,
  BPF_PSEUDO_FUNC, BPF_PSEUDO_KFUNC_CALL, BPF_PSEUDO_MAP_FD, BPF_PSEUDO_MAP_IDX, BPF_PSEUDO_MAP_IDX_VALUE,
  BPF_PSEUDO_MAP_VALUE, BPF_ST, BPF_STORE_REL, BPF_STX, BPF_TO_BE, BPF_TO_LE, BPF_W, BPF_X, BPF_XCHG, BPF_XOR,
  type BPF_DIV, type BPF_MOD,
} from './opcodes.js';

/** A load/store width: the kernel's `BPF_B`/`BPF_H`/`BPF_W`/`BPF_DW`, or its name. */
export type Size = 'B' | 'H' | 'W' | 'DW' | number;
/** A register number, 0–10 (the 4-bit field encodes up to 15). */
export type Reg = number;

/** The `BPF_B` / `BPF_H` / `BPF_W` / `BPF_DW` names as values. */
export const B: Size = 'B';
export const H: Size = 'H';
export const W: Size = 'W';
export const DW: Size = 'DW';

function sizeCode(size: Size): number {
  if (typeof size === 'number') return size & 0x18;
  return { B: BPF_B, H: BPF_H, W: BPF_W, DW: BPF_DW }[size];
}

function raw(code: number, dst: Reg, src: Reg, off: number, imm: number): Insn {
  return { code, dst, src, off, imm: imm | 0 };
}

/**
 * Any single-slot instruction from its fields (`BPF_RAW_INSN`).
 *
 * @example
 * rawInsn(0x95, 0, 0, 0, 0); // exit
 */
export function rawInsn(code: number, dst: Reg, src: Reg, off: number, imm: number): Insn {
  return raw(code, dst, src, off, imm);
}

/** `dst op= imm`, 64-bit (`BPF_ALU64_IMM`); `op` is `BPF_ADD`, `BPF_SUB`, …
 * @example alu64Imm(BPF_ADD, R1, 4); // r1 += 4 */
export function alu64Imm(op: number, dst: Reg, imm: number): Insn {
  return raw(BPF_ALU64 | op | BPF_K, dst, 0, 0, imm);
}
/** `dst op= src`, 64-bit (`BPF_ALU64_REG`).
 * @example alu64Reg(BPF_ADD, R1, R2); // r1 += r2 */
export function alu64Reg(op: number, dst: Reg, src: Reg): Insn {
  return raw(BPF_ALU64 | op | BPF_X, dst, src, 0, 0);
}
/** `wdst op= imm`, 32-bit (`BPF_ALU32_IMM`).
 * @example alu32Imm(BPF_ADD, R0, 1); // w0 += 1 */
export function alu32Imm(op: number, dst: Reg, imm: number): Insn {
  return raw(BPF_ALU | op | BPF_K, dst, 0, 0, imm);
}
/** `wdst op= wsrc`, 32-bit (`BPF_ALU32_REG`).
 * @example alu32Reg(BPF_XOR, R0, R0); // w0 ^= w0 */
export function alu32Reg(op: number, dst: Reg, src: Reg): Insn {
  return raw(BPF_ALU | op | BPF_X, dst, src, 0, 0);
}
/** Signed division or modulo (ISA v4, off = 1): `dst s/= imm`, `dst s%= src`…
 * @example sdivmod(BPF_DIV, true, R0, R1, 0); // r0 s/= r1 */
export function sdivmod(op: typeof BPF_DIV | typeof BPF_MOD, is64: boolean, dst: Reg, src: Reg | undefined, imm = 0): Insn {
  const cls = is64 ? BPF_ALU64 : BPF_ALU;
  return src === undefined ? raw(cls | op | BPF_K, dst, 0, 1, imm) : raw(cls | op | BPF_X, dst, src, 1, 0);
}
/** `dst = imm` (`BPF_MOV64_IMM`).
 * @example mov64Imm(R0, 0); // r0 = 0 */
export function mov64Imm(dst: Reg, imm: number): Insn {
  return alu64Imm(BPF_MOV, dst, imm);
}
/** `dst = src` (`BPF_MOV64_REG`).
 * @example mov64Reg(R6, R1); // r6 = r1 */
export function mov64Reg(dst: Reg, src: Reg): Insn {
  return alu64Reg(BPF_MOV, dst, src);
}
/** `wdst = imm` (`BPF_MOV32_IMM`).
 * @example mov32Imm(R0, -1); // w0 = -1 */
export function mov32Imm(dst: Reg, imm: number): Insn {
  return alu32Imm(BPF_MOV, dst, imm);
}
/** `wdst = wsrc` (`BPF_MOV32_REG`).
 * @example mov32Reg(R0, R1); // w0 = w1 */
export function mov32Reg(dst: Reg, src: Reg): Insn {
  return alu32Reg(BPF_MOV, dst, src);
}
/** Sign-extending move (ISA v4, `BPF_MOVSX64_REG` / `BPF_MOVSX32_REG`): `r1 = (s8)r2`.
 * @example movsx(true, R1, R2, 8); // r1 = (s8)r2 */
export function movsx(is64: boolean, dst: Reg, src: Reg, bits: 8 | 16 | 32): Insn {
  return raw((is64 ? BPF_ALU64 : BPF_ALU) | BPF_MOV | BPF_X, dst, src, bits, 0);
}
/** `dst = -dst`.
 * @example neg(true, R0); // r0 = -r0 */
export function neg(is64: boolean, dst: Reg): Insn {
  return raw((is64 ? BPF_ALU64 : BPF_ALU) | BPF_NEG | BPF_K, dst, 0, 0, 0);
}
/** Byte order conversion (`BPF_ENDIAN`): `r1 = be16 r1` / `le32`.
 * @example endian('be', R1, 16); // r1 = be16 r1 */
export function endian(order: 'le' | 'be', dst: Reg, bits: 16 | 32 | 64): Insn {
  return raw(BPF_ALU | BPF_END | (order === 'be' ? BPF_TO_BE : BPF_TO_LE), dst, 0, 0, bits);
}
/** Unconditional byte swap (ISA v4, `BPF_BSWAP`, ALU64 | END): `r1 = bswap16 r1`.
 * @example bswap(R1, 32); // r1 = bswap32 r1 */
export function bswap(dst: Reg, bits: 16 | 32 | 64): Insn {
  return raw(BPF_ALU64 | BPF_END | BPF_TO_LE, dst, 0, 0, bits);
}
/** Arena pointer cast (`BPF_ADDR_SPACE_CAST`): `r1 = addr_space_cast(r2, dstAs, srcAs)`.
 * @example addrSpaceCast(R1, R2, 0, 1); // r1 = addr_space_cast(r2, 0, 1) */
export function addrSpaceCast(dst: Reg, src: Reg, dstAs: number, srcAs: number): Insn {
  return raw(BPF_ALU64 | BPF_MOV | BPF_X, dst, src, BPF_ADDR_SPACE_CAST, ((dstAs & 0xffff) << 16) | (srcAs & 0xffff));
}

/** `dst = *(size *)(src + off)` (`BPF_LDX_MEM`).
 * @example ldxMem(W, R0, R1, 4); // r0 = *(u32 *)(r1 +4) */
export function ldxMem(size: Size, dst: Reg, src: Reg, off: number): Insn {
  return raw(BPF_LDX | BPF_MEM | sizeCode(size), dst, src, off, 0);
}
/** Sign-extending load (ISA v4, `BPF_LDX_MEMSX`): `r0 = *(s8 *)(r1 +0)`.
 * @example ldxMemsx(B, R0, R1, 0); // r0 = *(s8 *)(r1 +0) */
export function ldxMemsx(size: Size, dst: Reg, src: Reg, off: number): Insn {
  return raw(BPF_LDX | BPF_MEMSX | sizeCode(size), dst, src, off, 0);
}
/** `*(size *)(dst + off) = src` (`BPF_STX_MEM`).
 * @example stxMem(DW, R10, R1, -8); // *(u64 *)(r10 -8) = r1 */
export function stxMem(size: Size, dst: Reg, src: Reg, off: number): Insn {
  return raw(BPF_STX | BPF_MEM | sizeCode(size), dst, src, off, 0);
}
/** `*(size *)(dst + off) = imm` (`BPF_ST_MEM`).
 * @example stMem(W, R10, -4, 0); // *(u32 *)(r10 -4) = 0 */
export function stMem(size: Size, dst: Reg, off: number, imm: number): Insn {
  return raw(BPF_ST | BPF_MEM | sizeCode(size), dst, 0, off, imm);
}
/**
 * An atomic operation (`BPF_ATOMIC_OP`); `op` is `BPF_ADD`, `BPF_AND`, `BPF_OR`,
 * `BPF_XOR` (optionally `| BPF_FETCH`), `BPF_XCHG`, `BPF_CMPXCHG`,
 * `BPF_LOAD_ACQ` or `BPF_STORE_REL`.
 *
 * @example
 * atomic(DW, BPF_ADD, R10, R1, -8); // lock *(u64 *)(r10 -8) += r1
 */
export function atomic(size: Size, op: number, dst: Reg, src: Reg, off: number): Insn {
  return raw(BPF_STX | BPF_ATOMIC | sizeCode(size), dst, src, off, op);
}
/** `lock *(size *)(dst + off) += src` (legacy `BPF_STX_XADD`).
 * @example xadd(W, R10, R1, -4) */
export function xadd(size: Size, dst: Reg, src: Reg, off: number): Insn {
  return atomic(size, BPF_ADD, dst, src, off);
}
/** `src = atomic_fetch_<op>((size *)(dst + off), src)`.
 * @example atomicFetch(DW, BPF_OR, R10, R1, -8) */
export function atomicFetch(size: Size, op: typeof BPF_ADD | typeof BPF_AND | typeof BPF_OR | typeof BPF_XOR, dst: Reg, src: Reg, off: number): Insn {
  return atomic(size, op | BPF_FETCH, dst, src, off);
}
/** `src = atomic_xchg((size *)(dst + off), src)`.
 * @example atomicXchg(DW, R10, R1, -8) */
export function atomicXchg(size: Size, dst: Reg, src: Reg, off: number): Insn {
  return atomic(size, BPF_XCHG, dst, src, off);
}
/** `r0 = atomic_cmpxchg((size *)(dst + off), r0, src)`.
 * @example atomicCmpxchg(DW, R10, R1, -8) */
export function atomicCmpxchg(size: Size, dst: Reg, src: Reg, off: number): Insn {
  return atomic(size, BPF_CMPXCHG, dst, src, off);
}
/** `dst = load_acquire((size *)(src + off))` (6.15+).
 * @example loadAcquire(DW, R0, R1, 0) */
export function loadAcquire(size: Size, dst: Reg, src: Reg, off: number): Insn {
  return atomic(size, BPF_LOAD_ACQ, dst, src, off);
}
/** `store_release((size *)(dst + off), src)` (6.15+).
 * @example storeRelease(DW, R1, R2, 0) */
export function storeRelease(size: Size, dst: Reg, src: Reg, off: number): Insn {
  return atomic(size, BPF_STORE_REL, dst, src, off);
}

/** Legacy packet load `r0 = *(size *)skb[imm]` (`BPF_LD_ABS`).
 * @example ldAbs(H, 12) */
export function ldAbs(size: Size, imm: number): Insn {
  return raw(BPF_LD | BPF_ABS | sizeCode(size), 0, 0, 0, imm);
}
/** Legacy packet load `r0 = *(size *)skb[src + imm]` (`BPF_LD_IND`).
 * @example ldInd(B, R1, 0) */
export function ldInd(size: Size, src: Reg, imm: number): Insn {
  return raw(BPF_LD | BPF_IND | sizeCode(size), 0, src, 0, imm);
}

function ldImm64Raw(dst: Reg, src: number, lo: number, hi: number): Insn {
  return { code: BPF_LD | BPF_IMM | BPF_DW, dst, src, off: 0, imm: lo | 0, second: secondSlot(hi) };
}
/**
 * `dst = imm64 ll` (`BPF_LD_IMM64`), one logical instruction over two slots.
 *
 * @example
 * ldImm64(R0, 0x1122334455667788n);
 */
export function ldImm64(dst: Reg, value: bigint | number): Insn {
  const v = BigInt.asUintN(64, BigInt(value));
  return ldImm64Raw(dst, 0, Number(v & 0xffffffffn), Number(v >> 32n));
}
/** `dst = map[fd:N]` (`BPF_LD_MAP_FD`, src = BPF_PSEUDO_MAP_FD).
 * @example ldMapFd(R1, 3) */
export function ldMapFd(dst: Reg, fd: number): Insn {
  return ldImm64Raw(dst, BPF_PSEUDO_MAP_FD, fd, 0);
}
/** `dst = &map[fd:N][0] + off` (src = BPF_PSEUDO_MAP_VALUE).
 * @example ldMapValue(R1, 3, 16) */
export function ldMapValue(dst: Reg, fd: number, off: number): Insn {
  return ldImm64Raw(dst, BPF_PSEUDO_MAP_VALUE, fd, off);
}
/** `dst = map[idx:N]` via `fd_array` (src = BPF_PSEUDO_MAP_IDX).
 * @example ldMapIdx(R1, 0) */
export function ldMapIdx(dst: Reg, idx: number): Insn {
  return ldImm64Raw(dst, BPF_PSEUDO_MAP_IDX, idx, 0);
}
/** `dst = &map[idx:N][0] + off` (src = BPF_PSEUDO_MAP_IDX_VALUE).
 * @example ldMapIdxValue(R1, 0, 8) */
export function ldMapIdxValue(dst: Reg, idx: number, off: number): Insn {
  return ldImm64Raw(dst, BPF_PSEUDO_MAP_IDX_VALUE, idx, off);
}
/** Address of a kernel variable or function by BTF id (src = BPF_PSEUDO_BTF_ID).
 * @example ldBtfId(R1, 1234) */
export function ldBtfId(dst: Reg, btfId: number, btfFdIndex = 0): Insn {
  return ldImm64Raw(dst, BPF_PSEUDO_BTF_ID, btfId, btfFdIndex);
}
/** Address of a subprogram `pc+off` away (src = BPF_PSEUDO_FUNC), for callbacks.
 * @example ldFunc(R2, 5) */
export function ldFunc(dst: Reg, off: number): Insn {
  return ldImm64Raw(dst, BPF_PSEUDO_FUNC, off, 0);
}

/** Conditional jump on an immediate (`BPF_JMP_IMM`): `if dst op imm goto pc+off`.
 * @example jmpImm(BPF_JGT, R1, 5, 3); // if r1 > 0x5 goto pc+3 */
export function jmpImm(op: number, dst: Reg, imm: number, off: number): Insn {
  return raw(BPF_JMP | op | BPF_K, dst, 0, off, imm);
}
/** Conditional jump on a register (`BPF_JMP_REG`).
 * @example jmpReg(BPF_JEQ, R1, R2, -4) */
export function jmpReg(op: number, dst: Reg, src: Reg, off: number): Insn {
  return raw(BPF_JMP | op | BPF_X, dst, src, off, 0);
}
/** 32-bit conditional jump on an immediate (`BPF_JMP32_IMM`).
 * @example jmp32Imm(BPF_JNE, R0, 0, 1); // if w0 != 0x0 goto pc+1 */
export function jmp32Imm(op: number, dst: Reg, imm: number, off: number): Insn {
  return raw(BPF_JMP32 | op | BPF_K, dst, 0, off, imm);
}
/** 32-bit conditional jump on a register (`BPF_JMP32_REG`).
 * @example jmp32Reg(BPF_JSLT, R0, R1, 2) */
export function jmp32Reg(op: number, dst: Reg, src: Reg, off: number): Insn {
  return raw(BPF_JMP32 | op | BPF_X, dst, src, off, 0);
}
/** `goto pc+off` (`BPF_JMP_A`).
 * @example ja(2) */
export function ja(off: number): Insn {
  return raw(BPF_JMP | BPF_JA, 0, 0, off, 0);
}
/** `gotol pc+imm` (ISA v4, `BPF_JMP32_A`): the 32-bit-range jump.
 * @example gotol(70000) */
export function gotol(imm: number): Insn {
  return raw(BPF_JMP32 | BPF_JA, 0, 0, 0, imm);
}
/** `may_goto pc+off` (`BPF_JMP | BPF_JCOND`, src = BPF_MAY_GOTO).
 * @example mayGoto(3) */
export function mayGoto(off: number): Insn {
  return raw(BPF_JMP | BPF_JCOND, 0, BPF_MAY_GOTO, off, 0);
}
/**
 * Helper call (`BPF_EMIT_CALL`) by id or name (`'map_lookup_elem'` or `'bpf_map_lookup_elem'`).
 *
 * @example
 * call('bpf_map_lookup_elem'); // call bpf_map_lookup_elem#1
 */
export function call(helper: number | string): Insn {
  const id = typeof helper === 'number' ? helper : bpfFuncId(helper);
  if (id === undefined) throw asmError('asm:unknown-helper', `unknown helper ${String(helper)}`);
  return raw(BPF_JMP | BPF_CALL, 0, 0, 0, id);
}
/** bpf-to-bpf call `call pc+off` (src = BPF_PSEUDO_CALL).
 * @example callLocal(4) */
export function callLocal(off: number): Insn {
  return raw(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, off);
}
/** kfunc call by BTF id (src = BPF_PSEUDO_KFUNC_CALL); `btfFdIndex` picks a module BTF.
 * @example callKfunc(12345) */
export function callKfunc(btfId: number, btfFdIndex = 0): Insn {
  return raw(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_KFUNC_CALL, btfFdIndex, btfId);
}
/** Indirect call `callx rN` (`BPF_JMP | BPF_CALL | BPF_X`, register in dst, LLVM's encoding); the 6.18 kernel refuses it.
 * @example callx(R2) */
export function callx(reg: Reg): Insn {
  return raw(BPF_JMP | BPF_CALL | BPF_X, reg, 0, 0, 0);
}
/** `exit` (`BPF_EXIT_INSN`).
 * @example exit() */
export function exit(): Insn {
  return raw(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
}

