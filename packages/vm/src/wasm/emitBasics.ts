import { regLocal } from './layout.js';
import { Op } from './wasmOpcodes.js';
import type { WasmWriter } from './wasmWriter.js';

// The few instruction shapes every emitter writes, one short call at each site.

/**
 * `i64.const v`.
 *
 * @example
 * i64c(w, -1); // 42 7f
 */
export function i64c(w: WasmWriter, v: bigint | number): void {
  w.byte(Op.i64Const).s64(BigInt(v));
}

/** `i32.const v`. */
export function i32c(w: WasmWriter, v: number): void {
  w.byte(Op.i32Const).s32(v);
}

/** `local.get`. */
export function get(w: WasmWriter, local: number): void {
  w.byte(Op.localGet).u32(local);
}

/** `local.set`. */
export function set(w: WasmWriter, local: number): void {
  w.byte(Op.localSet).u32(local);
}

/** Pushes BPF register `r` (its local). */
export function reg(w: WasmWriter, r: number): void {
  get(w, regLocal(r));
}

/** Pops into BPF register `r`. */
export function setReg(w: WasmWriter, r: number): void {
  set(w, regLocal(r));
}

/** `global.get`. */
export function gget(w: WasmWriter, g: number): void {
  w.byte(Op.globalGet).u32(g);
}

/** `global.set`. */
export function gset(w: WasmWriter, g: number): void {
  w.byte(Op.globalSet).u32(g);
}

/** A load or store with alignment hint 1 (BPF accesses may be unaligned) and a constant offset. */
export function mem(w: WasmWriter, op: number, offset = 0): void {
  w.byte(op).u32(0).u32(offset);
}
