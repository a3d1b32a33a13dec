import type { InterpCode } from './code.js';
import { fault } from './faults.js';
import type { Machine } from './machine.js';

/**
 * `LD_ABS`/`LD_IND` (legacy packet loads): r0 = the big-endian value of 1, 2
 * or 4 bytes at `imm` (ABS) or `src + imm` (IND) in the skb whose context is
 * r6. The kernel rewrites them into a call of `bpf_skb_load_helper_*` that
 * takes the offset as an `int`, so the sum wraps to 32 bits, and r1–r5 are
 * scratch afterwards: here they read 0. Returns false when the bytes are out
 * of the packet; the program then ends with r0 = 0.
 *
 * @example
 * if (!ldAbs(m, code, pc, false)) r0 = 0; // and the frame exits
 */
export function ldAbs(m: Machine, code: InterpCode, pc: number, indirect: boolean): boolean {
  const env = m.env;
  if (env?.loadSkbBytes === undefined) fault('invalid-insn', pc, 'LD_ABS/LD_IND needs a packet (this run has no skb)');
  const r = m.r;
  const k = code.imm[pc] ?? 0;
  const offset = indirect ? ((r[code.s2[pc] ?? 0] ?? 0) + k) | 0 : k;
  const sz = (code.decoded.code[pc] ?? 0) & 0x18;
  const size = sz === 0x10 ? 1 : sz === 0x08 ? 2 : 4;
  const value = env.loadSkbBytes(offset, size);
  r.fill(0, 2, 12);
  if (value < 0) return false;
  r[0] = value;
  r[1] = 0;
  return true;
}
