import type { BpfArenaOps } from '@bpfkit/kernel-api';
import type { InterpCode } from './code.js';
import { fault } from './faults.js';
import type { Machine } from './machine.js';

const FETCH = 0x01;
const XCHG = 0xe1;
const CMPXCHG = 0xf1;

function sizeOf(op: number): number {
  const sz = op & 0x18;
  return sz === 0x10 ? 1 : sz === 0x08 ? 2 : sz === 0x00 ? 4 : 8;
}

/** The program's arena: arena opcodes are only built for images that have one (see `buildInterpCode`). */
function arenaOf(code: InterpCode, pc: number): BpfArenaOps {
  const arena = code.arena;
  if (arena === undefined) return fault('invalid-insn', pc, 'an arena access in a program without an arena');
  return arena;
}

/** `(u32)reg + off`: where a BPF_PROBE_MEM32 access lands in the arena's 4 GiB window. */
function kernAddr(m: Machine, reg: number, off: number): number {
  return ((m.r[reg] ?? 0) >>> 0) + off;
}

/** Little-endian bytes as (lo, hi) words. */
function words(bytes: Uint8Array | undefined, size: number): [number, number] {
  if (bytes === undefined) return [0, 0];
  const v = new DataView(bytes.buffer, bytes.byteOffset, size);
  if (size === 1) return [v.getUint8(0), 0];
  if (size === 2) return [v.getUint16(0, true), 0];
  if (size === 4) return [v.getInt32(0, true), 0];
  return [v.getInt32(0, true), v.getInt32(4, true)];
}

function toBytes(lo: number, hi: number, size: number): Uint8Array {
  const out = new Uint8Array(size);
  const v = new DataView(out.buffer);
  if (size === 1) v.setUint8(0, lo & 0xff);
  else if (size === 2) v.setUint16(0, lo & 0xffff, true);
  else v.setInt32(0, lo, true);
  if (size === 8) v.setInt32(4, hi, true);
  return out;
}

/**
 * `BPF_PROBE_MEM32` loads and stores (what the verifier made of accesses through arena
 * pointers): the address is the arena's kernel base plus the low 32 bits of the register
 * plus `off`; where no page is mapped the JIT's exception table makes a load give 0 and a
 * store do nothing.
 *
 * @example
 * arenaMemory(m, code, pc); // `r1 = *(u32 *)(r2 +0)` on an arena pointer in r2
 */
export function arenaMemory(m: Machine, code: InterpCode, pc: number): void {
  const arena = arenaOf(code, pc);
  const op = code.decoded.code[pc] ?? 0;
  const cls = op & 0x07;
  const size = sizeOf(op);
  const d = (code.decoded.dst[pc] ?? 0) * 2;
  const s = (code.decoded.src[pc] ?? 0) * 2;
  const off = code.decoded.off[pc] ?? 0;
  const r = m.r;
  if (cls === 0x01) {
    const [lo, hi] = words(arena.load(kernAddr(m, s, off), size), size);
    r[d] = lo;
    r[d + 1] = hi;
    return;
  }
  const imm = code.decoded.imm[pc] ?? 0;
  const lo = cls === 0x03 ? (r[s] ?? 0) : imm;
  const hi = cls === 0x03 ? (r[s + 1] ?? 0) : imm >> 31;
  arena.store(kernAddr(m, d, off), toBytes(lo, hi, size));
}

/**
 * `BPF_PROBE_ATOMIC`: the read-modify-write atomics on an arena address (4 or 8 bytes). A
 * missing page stores nothing and gives 0 to the register a fetching form loads.
 *
 * @example
 * arenaAtomic(m, code, pc); // `lock *(u64 *)(r1 +0) += r2` on an arena pointer
 */
export function arenaAtomic(m: Machine, code: InterpCode, pc: number): void {
  const arena = arenaOf(code, pc);
  const op = code.decoded.code[pc] ?? 0;
  const size = sizeOf(op);
  const kind = code.decoded.imm[pc] ?? 0;
  const d = (code.decoded.dst[pc] ?? 0) * 2;
  const s = (code.decoded.src[pc] ?? 0) * 2;
  const a = kernAddr(m, d, code.decoded.off[pc] ?? 0);
  const r = m.r;
  const bytes = arena.load(a, size);
  const loadInto = kind === CMPXCHG ? 0 : (kind & FETCH) !== 0 ? s : -1;
  if (bytes === undefined) {
    if (loadInto >= 0) { r[loadInto] = 0; r[loadInto + 1] = 0; }
    return;
  }
  const old = BigInt.asUintN(size * 8, (BigInt(words(bytes, size)[1] >>> 0) << 32n) | BigInt(words(bytes, size)[0] >>> 0));
  const src = BigInt.asUintN(size * 8, (BigInt((r[s + 1] ?? 0) >>> 0) << 32n) | BigInt((r[s] ?? 0) >>> 0));
  const r0 = BigInt.asUintN(size * 8, (BigInt((r[1] ?? 0) >>> 0) << 32n) | BigInt((r[0] ?? 0) >>> 0));
  let next: bigint;
  switch (kind) {
    case XCHG: next = src; break;
    case CMPXCHG: next = old === r0 ? src : old; break;
    default:
      switch (kind & ~FETCH) {
        case 0x00: next = old + src; break;
        case 0x40: next = old | src; break;
        case 0x50: next = old & src; break;
        case 0xa0: next = old ^ src; break;
        default: return fault('invalid-insn', pc, `invalid arena atomic operation ${kind}`);
      }
  }
  next = BigInt.asUintN(size * 8, next);
  arena.store(a, toBytes(Number(next & 0xffff_ffffn) | 0, Number(next >> 32n) | 0, size));
  if (loadInto >= 0) {
    r[loadInto] = Number(old & 0xffff_ffffn) | 0;
    r[loadInto + 1] = Number(old >> 32n) | 0;
  }
}

/**
 * `addr_space_cast(rY, 1, 0)` (`cast_user`), as the JIT runs it: the low 32 bits, with the
 * upper half of the arena's user address put back unless they are 0 (NULL stays NULL).
 *
 * @example
 * castUser(m, code, pc, d, s);
 */
export function castUser(m: Machine, code: InterpCode, pc: number, d: number, s: number): void {
  const lo = m.r[s] ?? 0;
  const upper = Number((arenaOf(code, pc).userVmStart >> 32n) & 0xffff_ffffn) | 0;
  m.r[d] = lo;
  m.r[d + 1] = lo === 0 ? 0 : upper;
}
