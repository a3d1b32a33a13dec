import { ARENA_GUARD_BYTES } from '@bpfkit/kernel-api';
import { CALLBACK_TAG, isCallbackValue } from '../program/callback.js';
import { BPF_MAX_LOOPS, MAX_CALL_FRAMES } from '../program/limits.js';
import { bswap32, scratch, sdiv64, smod64, udivmod64, umulhi32 } from './arith64.js';
import { atomic } from './atomic.js';
import { arenaAtomic, arenaMemory, castUser } from './arena-mem.js';
import { checkedMemory } from './checked-mem.js';
import { probeMemory } from './probe-mem.js';
import { callHelper, callKfunc, enterTailCall } from './calls.js';
import type { InterpCode } from './code.js';
import { fault, memoryFault } from './faults.js';
import { ldAbs } from './ld-abs.js';
import { restoreCalleeSaved, saveCalleeSaved, type Machine } from './machine.js';

/**
 * {@link execute} stopped at `exit` of its base frame; r0 is in the register file.
 *
 * @example
 * if (execute(m, 0, Infinity) === EXIT) console.log(m.r[0]);
 */
export const EXIT = 0;
/**
 * {@link execute} stopped before the instruction at `pauseAt` (single-stepping).
 *
 * @example
 * execute(m, 0, m.executed + 1); // PAUSED after one instruction
 */
export const PAUSED = 1;
/** Internal: the code or the arena's bytes changed; run again from `m.pc`. */
const SWITCH = 2;

const GUARD = ARENA_GUARD_BYTES;

/**
 * The interpreter's hot loop: runs `m` from `m.pc` until `exit` of frame
 * `baseDepth`, or until `pauseAt` instructions have run in total. Faults are
 * thrown as `FaultSignal`.
 *
 * Why it looks the way it does (measured with `node --cpu-prof` on
 * /work/shared/bench):
 * - one `switch` on the internal op with literal `case` labels: V8 compiles
 *   that to a jump table, while `case` labels that are imported constants
 *   become a chain of compares (about 1.5× slower overall). Each label says
 *   which instruction it is;
 * - registers are (lo, hi) int32 pairs in one typed array, and 64-bit
 *   results are built from 32-bit operations: no BigInt, no allocation;
 * - each slot is four words of one `Int32Array` (op and pre-doubled
 *   registers, imm, off or jump target, spare), so an instruction costs one
 *   packed load to dispatch; jump targets and the meaning of `off`/`imm`
 *   variants are resolved at load (see `buildInterpCode`);
 * - the instruction budget counts down (`left`): one decrement and sign test
 *   per instruction, exact for `insnLimit` and single-stepping;
 * - the commonest adjacent pairs run as one dispatch (see `fusePairs`), which
 *   is where the remaining time goes;
 * - memory accesses of verified programs test one range; unverified ones go
 *   through `checkedMemory` and the arena's allocation map.
 *
 * @example
 * execute(m, 0, Infinity); // EXIT, r0 in m.r[0], m.r[1]
 */
export function execute(m: Machine, baseDepth: number, pauseAt: number): number {
  for (;;) {
    const status = runCode(m, baseDepth, pauseAt);
    if (status !== SWITCH) return status;
  }
}

/**
 * Runs one stretch with one program's code and one view of the arena, all
 * held in `const` locals; returns {@link SWITCH} (state saved in `m`) when
 * either changes: a tail call, a return into another program's code, a
 * helper that grew the arena.
 */
function runCode(m: Machine, baseDepth: number, pauseAt: number): number {
  const r = m.r;
  const arena = m.arena;
  if (arena === undefined) throw new Error('execute: machine has no arena');
  const code: InterpCode = m.code;
  const ins = code.packed;
  m.refresh();
  const view = m.view;
  const bytes = m.bytes;
  const len = bytes.length;
  const generation = m.generation;
  let pc = m.pc;
  const stop = Math.min(m.limit, pauseAt, Number.MAX_SAFE_INTEGER);
  // Instructions this stretch may still run; what has run is `stop - left` (one decrement per instruction, no compare with a second value).
  let left = stop - m.executed;

  for (;;) {
    if (left <= 0) {
      m.pc = pc;
      m.executed = stop - left;
      if (m.executed >= m.limit) fault('insn-limit', pc, `instruction limit of ${m.limit} reached`);
      return PAUSED;
    }
    left--;
    const i4 = pc << 2;
    const w = ins[i4] ?? 0;
    const o = w & 0xffff;
    switch (o) {
      // ---- ALU64, immediate (sign-extended) ----
      case 0x07: { // add64 K
        const d = (w >>> 16) & 0xff;
        const k = ins[i4 + 1] ?? 0;
        const lo = ((r[d] ?? 0) >>> 0) + (k >>> 0);
        r[d] = lo;
        r[d + 1] = (r[d + 1] ?? 0) + (k >> 31) + (lo > 0xffffffff ? 1 : 0);
        pc++;
        break;
      }
      case 0x17: { // sub64 K
        const d = (w >>> 16) & 0xff;
        const k = ins[i4 + 1] ?? 0;
        const lo = ((r[d] ?? 0) >>> 0) - (k >>> 0);
        r[d] = lo;
        r[d + 1] = (r[d + 1] ?? 0) - (k >> 31) - (lo < 0 ? 1 : 0);
        pc++;
        break;
      }
      case 0x27: { // mul64 K
        const d = (w >>> 16) & 0xff;
        const k = ins[i4 + 1] ?? 0;
        const al = r[d] ?? 0;
        if (k >= 0 && k < 0x200000) {
          // A small multiplier keeps lo·k below 2^53: one exact double product gives both words.
          const p = (al >>> 0) * k;
          r[d + 1] = Math.imul(r[d + 1] ?? 0, k) + Math.floor(p / 0x1_0000_0000);
          r[d] = p;
        } else {
          r[d + 1] = umulhi32(al, k) + Math.imul(al, k >> 31) + Math.imul(r[d + 1] ?? 0, k);
          r[d] = Math.imul(al, k);
        }
        pc++;
        break;
      }
      case 0x37: { // div64 K (unsigned; by zero gives 0)
        const d = (w >>> 16) & 0xff;
        const k = ins[i4 + 1] ?? 0;
        if (k === 0) {
          r[d] = 0;
          r[d + 1] = 0;
        } else {
          udivmod64(r[d] ?? 0, r[d + 1] ?? 0, k, k >> 31);
          r[d] = scratch[0] ?? 0;
          r[d + 1] = scratch[1] ?? 0;
        }
        pc++;
        break;
      }
      case 0x47: { // or64 K
        const d = (w >>> 16) & 0xff;
        const k = ins[i4 + 1] ?? 0;
        r[d] = (r[d] ?? 0) | k;
        r[d + 1] = (r[d + 1] ?? 0) | (k >> 31);
        pc++;
        break;
      }
      case 0x57: { // and64 K
        const d = (w >>> 16) & 0xff;
        const k = ins[i4 + 1] ?? 0;
        r[d] = (r[d] ?? 0) & k;
        r[d + 1] = (r[d + 1] ?? 0) & (k >> 31);
        pc++;
        break;
      }
      case 0x67: { // lsh64 K
        lsh64(r, (w >>> 16) & 0xff, (ins[i4 + 1] ?? 0) & 63);
        pc++;
        break;
      }
      case 0x77: { // rsh64 K
        rsh64(r, (w >>> 16) & 0xff, (ins[i4 + 1] ?? 0) & 63);
        pc++;
        break;
      }
      case 0x87: { // neg64
        const d = (w >>> 16) & 0xff;
        const lo = -(r[d] ?? 0) | 0;
        r[d + 1] = ~(r[d + 1] ?? 0) + (lo === 0 ? 1 : 0);
        r[d] = lo;
        pc++;
        break;
      }
      case 0x97: { // mod64 K (unsigned; by zero leaves dst)
        const d = (w >>> 16) & 0xff;
        const k = ins[i4 + 1] ?? 0;
        if (k !== 0) {
          udivmod64(r[d] ?? 0, r[d + 1] ?? 0, k, k >> 31);
          r[d] = scratch[2] ?? 0;
          r[d + 1] = scratch[3] ?? 0;
        }
        pc++;
        break;
      }
      case 0xa7: { // xor64 K
        const d = (w >>> 16) & 0xff;
        const k = ins[i4 + 1] ?? 0;
        r[d] = (r[d] ?? 0) ^ k;
        r[d + 1] = (r[d + 1] ?? 0) ^ (k >> 31);
        pc++;
        break;
      }
      case 0xb7: { // mov64 K
        const d = (w >>> 16) & 0xff;
        const k = ins[i4 + 1] ?? 0;
        r[d] = k;
        r[d + 1] = k >> 31;
        pc++;
        break;
      }
      case 0xc7: { // arsh64 K
        arsh64(r, (w >>> 16) & 0xff, (ins[i4 + 1] ?? 0) & 63);
        pc++;
        break;
      }

      // ---- fused pairs: both halves count; a budget that ends between them runs the first only ----
      case 0x170: // mov64 X; add64 K (the second on any register)
      case 0x171: // mov64 X; lsh64 K
      case 0x172: // mov64 X; rsh64 K
      case 0x173: { // mov64 X; and64 K
        const d = (w >>> 16) & 0xff;
        const s = w >>> 24;
        r[d] = r[s] ?? 0;
        r[d + 1] = r[s + 1] ?? 0;
        if (left <= 0) {
          pc++;
          break;
        }
        left--;
        const k = ins[i4 + 1] ?? 0;
        const e = ins[i4 + 3] ?? 0;
        if (o === 0x170) {
          const lo = ((r[e] ?? 0) >>> 0) + (k >>> 0);
          r[e] = lo;
          r[e + 1] = (r[e + 1] ?? 0) + (k >> 31) + (lo > 0xffffffff ? 1 : 0);
        } else if (o === 0x171) {
          lsh64(r, e, k & 63);
        } else if (o === 0x172) {
          rsh64(r, e, k & 63);
        } else {
          r[e] = (r[e] ?? 0) & k;
          r[e + 1] = (r[e + 1] ?? 0) & (k >> 31);
        }
        pc += 2;
        break;
      }
      case 0x174: // mov32 X; add32 K
      case 0x175: // mov32 X; lsh32 K
      case 0x176: // mov32 X; rsh32 K
      case 0x177: { // mov32 X; and32 K
        const d = (w >>> 16) & 0xff;
        r[d] = r[w >>> 24] ?? 0;
        r[d + 1] = 0;
        if (left <= 0) {
          pc++;
          break;
        }
        left--;
        const k = ins[i4 + 1] ?? 0;
        const e = ins[i4 + 3] ?? 0;
        const v = r[e] ?? 0;
        r[e] = o === 0x174 ? v + k : o === 0x175 ? v << k : o === 0x176 ? v >>> k : v & k;
        r[e + 1] = 0;
        pc += 2;
        break;
      }
      case 0x178: { // add64 K; jgt X (same dst)
        const d = (w >>> 16) & 0xff;
        const k = ins[i4 + 1] ?? 0;
        const sum = ((r[d] ?? 0) >>> 0) + (k >>> 0);
        r[d] = sum;
        r[d + 1] = (r[d + 1] ?? 0) + (k >> 31) + (sum > 0xffffffff ? 1 : 0);
        if (left <= 0) {
          pc++;
          break;
        }
        left--;
        const s = w >>> 24;
        const ah = (r[d + 1] ?? 0) >>> 0;
        const bh = (r[s + 1] ?? 0) >>> 0;
        pc = ah > bh || (ah === bh && ((r[d] ?? 0) >>> 0) > (r[s] ?? 0) >>> 0) ? (ins[i4 + 2] ?? 0) : pc + 2;
        break;
      }

      case 0x179: { // mov64 X; add64 K; jgt X (all on dst)
        const d = (w >>> 16) & 0xff;
        const s = w >>> 24;
        r[d] = r[s] ?? 0;
        r[d + 1] = r[s + 1] ?? 0;
        if (left <= 0) {
          pc++;
          break;
        }
        left--;
        const k = ins[i4 + 1] ?? 0;
        const sum = ((r[d] ?? 0) >>> 0) + (k >>> 0);
        r[d] = sum;
        r[d + 1] = (r[d + 1] ?? 0) + (k >> 31) + (sum > 0xffffffff ? 1 : 0);
        if (left <= 0) {
          pc += 2;
          break;
        }
        left--;
        const e = ins[i4 + 3] ?? 0;
        const ah = (r[d + 1] ?? 0) >>> 0;
        const bh = (r[e + 1] ?? 0) >>> 0;
        pc = ah > bh || (ah === bh && ((r[d] ?? 0) >>> 0) > (r[e] ?? 0) >>> 0) ? (ins[i4 + 2] ?? 0) : pc + 3;
        break;
      }

      case 0x17a: // goto; jge K
      case 0x17b: { // goto; jgt K
        const header = ins[i4 + 3] ?? 0;
        if (left <= 0) {
          pc = header;
          break;
        }
        left--;
        const d = (w >>> 16) & 0xff;
        const bl = ins[i4 + 1] ?? 0;
        const ah = (r[d + 1] ?? 0) >>> 0;
        const bh = (bl >> 31) >>> 0;
        const al = (r[d] ?? 0) >>> 0;
        const taken = o === 0x17a ? ah > bh || (ah === bh && al >= bl >>> 0) : ah > bh || (ah === bh && al > bl >>> 0);
        pc = taken ? (ins[i4 + 2] ?? 0) : header + 1;
        break;
      }

      case 0x17c: // ldxb; ALU X on the loaded value
      case 0x17d: // ldxh; ALU X
      case 0x17e: { // ldxw; ALU X
        const s = w >>> 24;
        const b = r[s] ?? 0;
        const h = r[s + 1] ?? 0;
        const a = (b >>> 0) + (ins[i4 + 2] ?? 0);
        const size = o === 0x17c ? 1 : o === 0x17d ? 2 : 4;
        if (h !== 0 || a < GUARD || a + size > len) {
          m.executed = stop - left;
          memoryFault(pc, b >>> 0, h, ins[i4 + 2] ?? 0, size, false);
        }
        const d = (w >>> 16) & 0xff;
        const v = o === 0x17c ? (bytes[a] ?? 0) : o === 0x17d ? view.getUint16(a, true) : view.getInt32(a, true);
        r[d] = v;
        r[d + 1] = 0;
        if (left <= 0) {
          pc++;
          break;
        }
        left--;
        const x = ins[i4 + 3] ?? 0;
        const e = x & 0xff;
        switch (x >>> 8) {
          case 0: { // add64 X
            const lo = ((r[e] ?? 0) >>> 0) + (v >>> 0);
            r[e] = lo;
            r[e + 1] = (r[e + 1] ?? 0) + (lo > 0xffffffff ? 1 : 0);
            break;
          }
          case 1: // add32 X
            r[e] = (r[e] ?? 0) + v;
            r[e + 1] = 0;
            break;
          case 2: // xor64 X
            r[e] = (r[e] ?? 0) ^ v;
            break;
          case 3: // xor32 X
            r[e] = (r[e] ?? 0) ^ v;
            r[e + 1] = 0;
            break;
          case 4: // or64 X
            r[e] = (r[e] ?? 0) | v;
            break;
          default: // or32 X
            r[e] = (r[e] ?? 0) | v;
            r[e + 1] = 0;
        }
        pc += 2;
        break;
      }

      case 0x17f: // ldxh; be16
      case 0x180: { // ldxw; be32
        const s = w >>> 24;
        const b = r[s] ?? 0;
        const h = r[s + 1] ?? 0;
        const a = (b >>> 0) + (ins[i4 + 2] ?? 0);
        const size = o === 0x17f ? 2 : 4;
        if (h !== 0 || a < GUARD || a + size > len) {
          m.executed = stop - left;
          memoryFault(pc, b >>> 0, h, ins[i4 + 2] ?? 0, size, false);
        }
        const d = (w >>> 16) & 0xff;
        r[d + 1] = 0;
        if (left <= 0) {
          r[d] = o === 0x17f ? view.getUint16(a, true) : view.getInt32(a, true);
          pc++;
          break;
        }
        left--;
        r[d] = o === 0x17f ? view.getUint16(a, false) : view.getInt32(a, false);
        pc += 2;
        break;
      }

      case 0x181: { // add64 K; jlt K (same dst): the loop latch
        const d = (w >>> 16) & 0xff;
        const k = ins[i4 + 1] ?? 0;
        const sum = ((r[d] ?? 0) >>> 0) + (k >>> 0);
        r[d] = sum;
        r[d + 1] = (r[d + 1] ?? 0) + (k >> 31) + (sum > 0xffffffff ? 1 : 0);
        if (left <= 0) {
          pc++;
          break;
        }
        left--;
        const bl = ins[i4 + 3] ?? 0;
        const ah = (r[d + 1] ?? 0) >>> 0;
        const bh = (bl >> 31) >>> 0;
        pc = ah < bh || (ah === bh && ((r[d] ?? 0) >>> 0) < bl >>> 0) ? (ins[i4 + 2] ?? 0) : pc + 2;
        break;
      }

      // ---- ALU64, register ----
      case 0x0f: { // add64 X
        const d = (w >>> 16) & 0xff;
        const s = w >>> 24;
        const lo = ((r[d] ?? 0) >>> 0) + ((r[s] ?? 0) >>> 0);
        r[d] = lo;
        r[d + 1] = (r[d + 1] ?? 0) + (r[s + 1] ?? 0) + (lo > 0xffffffff ? 1 : 0);
        pc++;
        break;
      }
      case 0x1f: { // sub64 X
        const d = (w >>> 16) & 0xff;
        const s = w >>> 24;
        const lo = ((r[d] ?? 0) >>> 0) - ((r[s] ?? 0) >>> 0);
        r[d] = lo;
        r[d + 1] = (r[d + 1] ?? 0) - (r[s + 1] ?? 0) - (lo < 0 ? 1 : 0);
        pc++;
        break;
      }
      case 0x2f: { // mul64 X
        const d = (w >>> 16) & 0xff;
        const s = w >>> 24;
        const al = r[d] ?? 0;
        const bl = r[s] ?? 0;
        r[d + 1] = umulhi32(al, bl) + Math.imul(al, r[s + 1] ?? 0) + Math.imul(r[d + 1] ?? 0, bl);
        r[d] = Math.imul(al, bl);
        pc++;
        break;
      }
      case 0x3f: { // div64 X
        const d = (w >>> 16) & 0xff;
        const s = w >>> 24;
        const bl = r[s] ?? 0;
        const bh = r[s + 1] ?? 0;
        if (bl === 0 && bh === 0) {
          r[d] = 0;
          r[d + 1] = 0;
        } else {
          udivmod64(r[d] ?? 0, r[d + 1] ?? 0, bl, bh);
          r[d] = scratch[0] ?? 0;
          r[d + 1] = scratch[1] ?? 0;
        }
        pc++;
        break;
      }
      case 0x4f: { // or64 X
        const d = (w >>> 16) & 0xff;
        const s = w >>> 24;
        r[d] = (r[d] ?? 0) | (r[s] ?? 0);
        r[d + 1] = (r[d + 1] ?? 0) | (r[s + 1] ?? 0);
        pc++;
        break;
      }
      case 0x5f: { // and64 X
        const d = (w >>> 16) & 0xff;
        const s = w >>> 24;
        r[d] = (r[d] ?? 0) & (r[s] ?? 0);
        r[d + 1] = (r[d + 1] ?? 0) & (r[s + 1] ?? 0);
        pc++;
        break;
      }
      case 0x6f: { // lsh64 X
        lsh64(r, (w >>> 16) & 0xff, (r[w >>> 24] ?? 0) & 63);
        pc++;
        break;
      }
      case 0x7f: { // rsh64 X
        rsh64(r, (w >>> 16) & 0xff, (r[w >>> 24] ?? 0) & 63);
        pc++;
        break;
      }
      case 0x9f: { // mod64 X
        const d = (w >>> 16) & 0xff;
        const s = w >>> 24;
        const bl = r[s] ?? 0;
        const bh = r[s + 1] ?? 0;
        if (bl !== 0 || bh !== 0) {
          udivmod64(r[d] ?? 0, r[d + 1] ?? 0, bl, bh);
          r[d] = scratch[2] ?? 0;
          r[d + 1] = scratch[3] ?? 0;
        }
        pc++;
        break;
      }
      case 0xaf: { // xor64 X
        const d = (w >>> 16) & 0xff;
        const s = w >>> 24;
        r[d] = (r[d] ?? 0) ^ (r[s] ?? 0);
        r[d + 1] = (r[d + 1] ?? 0) ^ (r[s + 1] ?? 0);
        pc++;
        break;
      }
      case 0xbf: { // mov64 X
        const d = (w >>> 16) & 0xff;
        const s = w >>> 24;
        r[d] = r[s] ?? 0;
        r[d + 1] = r[s + 1] ?? 0;
        pc++;
        break;
      }
      case 0xcf: { // arsh64 X
        arsh64(r, (w >>> 16) & 0xff, (r[w >>> 24] ?? 0) & 63);
        pc++;
        break;
      }

      // ---- ALU32, immediate: results zero-extended ----
      case 0x04: { // add32 K
        const d = (w >>> 16) & 0xff;
        r[d] = (r[d] ?? 0) + (ins[i4 + 1] ?? 0);
        r[d + 1] = 0;
        pc++;
        break;
      }
      case 0x14: { // sub32 K
        const d = (w >>> 16) & 0xff;
        r[d] = (r[d] ?? 0) - (ins[i4 + 1] ?? 0);
        r[d + 1] = 0;
        pc++;
        break;
      }
      case 0x24: { // mul32 K
        const d = (w >>> 16) & 0xff;
        r[d] = Math.imul(r[d] ?? 0, ins[i4 + 1] ?? 0);
        r[d + 1] = 0;
        pc++;
        break;
      }
      case 0x34: { // div32 K
        const d = (w >>> 16) & 0xff;
        const k = (ins[i4 + 1] ?? 0) >>> 0;
        r[d] = k === 0 ? 0 : ((r[d] ?? 0) >>> 0) / k;
        r[d + 1] = 0;
        pc++;
        break;
      }
      case 0x44: { // or32 K
        const d = (w >>> 16) & 0xff;
        r[d] = (r[d] ?? 0) | (ins[i4 + 1] ?? 0);
        r[d + 1] = 0;
        pc++;
        break;
      }
      case 0x54: { // and32 K
        const d = (w >>> 16) & 0xff;
        r[d] = (r[d] ?? 0) & (ins[i4 + 1] ?? 0);
        r[d + 1] = 0;
        pc++;
        break;
      }
      case 0x64: { // lsh32 K
        const d = (w >>> 16) & 0xff;
        r[d] = (r[d] ?? 0) << (ins[i4 + 1] ?? 0);
        r[d + 1] = 0;
        pc++;
        break;
      }
      case 0x74: { // rsh32 K
        const d = (w >>> 16) & 0xff;
        r[d] = (r[d] ?? 0) >>> (ins[i4 + 1] ?? 0);
        r[d + 1] = 0;
        pc++;
        break;
      }
      case 0x84: { // neg32
        const d = (w >>> 16) & 0xff;
        r[d] = -(r[d] ?? 0);
        r[d + 1] = 0;
        pc++;
        break;
      }
      case 0x94: { // mod32 K
        const d = (w >>> 16) & 0xff;
        const k = (ins[i4 + 1] ?? 0) >>> 0;
        if (k !== 0) r[d] = ((r[d] ?? 0) >>> 0) % k;
        r[d + 1] = 0;
        pc++;
        break;
      }
      case 0xa4: { // xor32 K
        const d = (w >>> 16) & 0xff;
        r[d] = (r[d] ?? 0) ^ (ins[i4 + 1] ?? 0);
        r[d + 1] = 0;
        pc++;
        break;
      }
      case 0xb4: { // mov32 K
        const d = (w >>> 16) & 0xff;
        r[d] = ins[i4 + 1] ?? 0;
        r[d + 1] = 0;
        pc++;
        break;
      }
      case 0xc4: { // arsh32 K
        const d = (w >>> 16) & 0xff;
        r[d] = (r[d] ?? 0) >> (ins[i4 + 1] ?? 0);
        r[d + 1] = 0;
        pc++;
        break;
      }

      // ---- ALU32, register ----
      case 0x0c: { // add32 X
        const d = (w >>> 16) & 0xff;
        r[d] = (r[d] ?? 0) + (r[w >>> 24] ?? 0);
        r[d + 1] = 0;
        pc++;
        break;
      }
      case 0x1c: { // sub32 X
        const d = (w >>> 16) & 0xff;
        r[d] = (r[d] ?? 0) - (r[w >>> 24] ?? 0);
        r[d + 1] = 0;
        pc++;
        break;
      }
      case 0x2c: { // mul32 X
        const d = (w >>> 16) & 0xff;
        r[d] = Math.imul(r[d] ?? 0, r[w >>> 24] ?? 0);
        r[d + 1] = 0;
        pc++;
        break;
      }
      case 0x3c: { // div32 X
        const d = (w >>> 16) & 0xff;
        const k = (r[w >>> 24] ?? 0) >>> 0;
        r[d] = k === 0 ? 0 : ((r[d] ?? 0) >>> 0) / k;
        r[d + 1] = 0;
        pc++;
        break;
      }
      case 0x4c: { // or32 X
        const d = (w >>> 16) & 0xff;
        r[d] = (r[d] ?? 0) | (r[w >>> 24] ?? 0);
        r[d + 1] = 0;
        pc++;
        break;
      }
      case 0x5c: { // and32 X
        const d = (w >>> 16) & 0xff;
        r[d] = (r[d] ?? 0) & (r[w >>> 24] ?? 0);
        r[d + 1] = 0;
        pc++;
        break;
      }
      case 0x6c: { // lsh32 X
        const d = (w >>> 16) & 0xff;
        r[d] = (r[d] ?? 0) << (r[w >>> 24] ?? 0);
        r[d + 1] = 0;
        pc++;
        break;
      }
      case 0x7c: { // rsh32 X
        const d = (w >>> 16) & 0xff;
        r[d] = (r[d] ?? 0) >>> (r[w >>> 24] ?? 0);
        r[d + 1] = 0;
        pc++;
        break;
      }
      case 0x9c: { // mod32 X
        const d = (w >>> 16) & 0xff;
        const k = (r[w >>> 24] ?? 0) >>> 0;
        if (k !== 0) r[d] = ((r[d] ?? 0) >>> 0) % k;
        r[d + 1] = 0;
        pc++;
        break;
      }
      case 0xac: { // xor32 X
        const d = (w >>> 16) & 0xff;
        r[d] = (r[d] ?? 0) ^ (r[w >>> 24] ?? 0);
        r[d + 1] = 0;
        pc++;
        break;
      }
      case 0xbc: { // mov32 X
        const d = (w >>> 16) & 0xff;
        r[d] = r[w >>> 24] ?? 0;
        r[d + 1] = 0;
        pc++;
        break;
      }
      case 0xcc: { // arsh32 X
        const d = (w >>> 16) & 0xff;
        r[d] = (r[d] ?? 0) >> (r[w >>> 24] ?? 0);
        r[d + 1] = 0;
        pc++;
        break;
      }

      // ---- signed division and modulo (off = 1) ----
      case 0x110: // sdiv32 K
      case 0x111: { // sdiv32 X
        const d = (w >>> 16) & 0xff;
        const k = o === 0x110 ? (ins[i4 + 1] ?? 0) : (r[w >>> 24] ?? 0);
        // By zero gives 0; by -1 the kernel negates (INT_MIN stays INT_MIN).
        r[d] = k === 0 ? 0 : k === -1 ? -(r[d] ?? 0) : ((r[d] ?? 0) / k) | 0;
        r[d + 1] = 0;
        pc++;
        break;
      }
      case 0x112: // smod32 K
      case 0x113: { // smod32 X
        const d = (w >>> 16) & 0xff;
        const k = o === 0x112 ? (ins[i4 + 1] ?? 0) : (r[w >>> 24] ?? 0);
        // By zero leaves dst (zero-extended); by -1 gives 0.
        if (k === -1) r[d] = 0;
        else if (k !== 0) r[d] = (r[d] ?? 0) % k;
        r[d + 1] = 0;
        pc++;
        break;
      }
      case 0x114: // sdiv64 K
      case 0x115: { // sdiv64 X
        const d = (w >>> 16) & 0xff;
        const s = w >>> 24;
        const bl = o === 0x114 ? (ins[i4 + 1] ?? 0) : (r[s] ?? 0);
        const bh = o === 0x114 ? bl >> 31 : (r[s + 1] ?? 0);
        if (bl === 0 && bh === 0) {
          r[d] = 0;
          r[d + 1] = 0;
        } else if (bl === -1 && bh === -1) {
          const lo = -(r[d] ?? 0) | 0;
          r[d + 1] = ~(r[d + 1] ?? 0) + (lo === 0 ? 1 : 0);
          r[d] = lo;
        } else {
          sdiv64(r[d] ?? 0, r[d + 1] ?? 0, bl, bh);
          r[d] = scratch[0] ?? 0;
          r[d + 1] = scratch[1] ?? 0;
        }
        pc++;
        break;
      }
      case 0x116: // smod64 K
      case 0x117: { // smod64 X
        const d = (w >>> 16) & 0xff;
        const s = w >>> 24;
        const bl = o === 0x116 ? (ins[i4 + 1] ?? 0) : (r[s] ?? 0);
        const bh = o === 0x116 ? bl >> 31 : (r[s + 1] ?? 0);
        if (bl === -1 && bh === -1) {
          r[d] = 0;
          r[d + 1] = 0;
        } else if (bl !== 0 || bh !== 0) {
          smod64(r[d] ?? 0, r[d + 1] ?? 0, bl, bh);
          r[d] = scratch[2] ?? 0;
          r[d + 1] = scratch[3] ?? 0;
        }
        pc++;
        break;
      }

      // ---- movsx, addr_space_cast ----
      case 0x120: { // movsx32 s8
        const d = (w >>> 16) & 0xff;
        r[d] = ((r[w >>> 24] ?? 0) << 24) >> 24;
        r[d + 1] = 0;
        pc++;
        break;
      }
      case 0x121: { // movsx32 s16
        const d = (w >>> 16) & 0xff;
        r[d] = ((r[w >>> 24] ?? 0) << 16) >> 16;
        r[d + 1] = 0;
        pc++;
        break;
      }
      case 0x122: { // movsx64 s8
        const d = (w >>> 16) & 0xff;
        const v = ((r[w >>> 24] ?? 0) << 24) >> 24;
        r[d] = v;
        r[d + 1] = v >> 31;
        pc++;
        break;
      }
      case 0x123: { // movsx64 s16
        const d = (w >>> 16) & 0xff;
        const v = ((r[w >>> 24] ?? 0) << 16) >> 16;
        r[d] = v;
        r[d + 1] = v >> 31;
        pc++;
        break;
      }
      case 0x124: { // movsx64 s32
        const d = (w >>> 16) & 0xff;
        const v = r[w >>> 24] ?? 0;
        r[d] = v;
        r[d + 1] = v >> 31;
        pc++;
        break;
      }
      case 0x125: { // addr_space_cast: a cast to the kernel's space (as 0) keeps the low word; to the user's, see castUser
        const d = (w >>> 16) & 0xff;
        const s = w >>> 24;
        if ((ins[i4 + 1] ?? 0) === 0x10000 && code.arena !== undefined) {
          castUser(m, code, pc, d, s);
          pc++;
          break;
        }
        r[d] = r[s] ?? 0;
        r[d + 1] = ((ins[i4 + 1] ?? 0) & 0xffff) === 1 ? 0 : (r[s + 1] ?? 0);
        pc++;
        break;
      }

      // ---- byte order ----
      case 0x130: { // le16
        const d = (w >>> 16) & 0xff;
        r[d] = (r[d] ?? 0) & 0xffff;
        r[d + 1] = 0;
        pc++;
        break;
      }
      case 0x131: { // le32
        r[((w >>> 16) & 0xff) + 1] = 0;
        pc++;
        break;
      }
      case 0x132: // le64
        pc++;
        break;
      case 0x133: { // be16, bswap16
        const d = (w >>> 16) & 0xff;
        const v = r[d] ?? 0;
        r[d] = ((v & 0xff) << 8) | ((v >>> 8) & 0xff);
        r[d + 1] = 0;
        pc++;
        break;
      }
      case 0x134: { // be32, bswap32
        const d = (w >>> 16) & 0xff;
        r[d] = bswap32(r[d] ?? 0);
        r[d + 1] = 0;
        pc++;
        break;
      }
      case 0x135: { // be64, bswap64
        const d = (w >>> 16) & 0xff;
        const lo = r[d] ?? 0;
        r[d] = bswap32(r[d + 1] ?? 0);
        r[d + 1] = bswap32(lo);
        pc++;
        break;
      }

      // ---- loads: dst = *(size *)(src + off) ----
      case 0x71: { // ldxb
        const s = w >>> 24;
        const b = r[s] ?? 0;
        const h = r[s + 1] ?? 0;
        const a = (b >>> 0) + (ins[i4 + 2] ?? 0);
        if (h !== 0 || a < GUARD || a + 1 > len) {
          m.executed = stop - left;
          memoryFault(pc, b >>> 0, h, ins[i4 + 2] ?? 0, 1, false);
        }
        const d = (w >>> 16) & 0xff;
        r[d] = bytes[a] ?? 0;
        r[d + 1] = 0;
        pc++;
        break;
      }
      case 0x69: { // ldxh
        const s = w >>> 24;
        const b = r[s] ?? 0;
        const h = r[s + 1] ?? 0;
        const a = (b >>> 0) + (ins[i4 + 2] ?? 0);
        if (h !== 0 || a < GUARD || a + 2 > len) {
          m.executed = stop - left;
          memoryFault(pc, b >>> 0, h, ins[i4 + 2] ?? 0, 2, false);
        }
        const d = (w >>> 16) & 0xff;
        r[d] = view.getUint16(a, true);
        r[d + 1] = 0;
        pc++;
        break;
      }
      case 0x61: { // ldxw
        const s = w >>> 24;
        const b = r[s] ?? 0;
        const h = r[s + 1] ?? 0;
        const a = (b >>> 0) + (ins[i4 + 2] ?? 0);
        if (h !== 0 || a < GUARD || a + 4 > len) {
          m.executed = stop - left;
          memoryFault(pc, b >>> 0, h, ins[i4 + 2] ?? 0, 4, false);
        }
        const d = (w >>> 16) & 0xff;
        r[d] = view.getInt32(a, true);
        r[d + 1] = 0;
        pc++;
        break;
      }
      case 0x79: { // ldxdw
        const s = w >>> 24;
        const b = r[s] ?? 0;
        const h = r[s + 1] ?? 0;
        const a = (b >>> 0) + (ins[i4 + 2] ?? 0);
        if (h !== 0 || a < GUARD || a + 8 > len) {
          m.executed = stop - left;
          memoryFault(pc, b >>> 0, h, ins[i4 + 2] ?? 0, 8, false);
        }
        const d = (w >>> 16) & 0xff;
        r[d] = view.getInt32(a, true);
        r[d + 1] = view.getInt32(a + 4, true);
        pc++;
        break;
      }
      case 0x91: { // ldxsb (sign-extending)
        const s = w >>> 24;
        const b = r[s] ?? 0;
        const h = r[s + 1] ?? 0;
        const a = (b >>> 0) + (ins[i4 + 2] ?? 0);
        if (h !== 0 || a < GUARD || a + 1 > len) {
          m.executed = stop - left;
          memoryFault(pc, b >>> 0, h, ins[i4 + 2] ?? 0, 1, false);
        }
        const d = (w >>> 16) & 0xff;
        const v = view.getInt8(a);
        r[d] = v;
        r[d + 1] = v >> 31;
        pc++;
        break;
      }
      case 0x89: { // ldxsh
        const s = w >>> 24;
        const b = r[s] ?? 0;
        const h = r[s + 1] ?? 0;
        const a = (b >>> 0) + (ins[i4 + 2] ?? 0);
        if (h !== 0 || a < GUARD || a + 2 > len) {
          m.executed = stop - left;
          memoryFault(pc, b >>> 0, h, ins[i4 + 2] ?? 0, 2, false);
        }
        const d = (w >>> 16) & 0xff;
        const v = view.getInt16(a, true);
        r[d] = v;
        r[d + 1] = v >> 31;
        pc++;
        break;
      }
      case 0x81: { // ldxsw
        const s = w >>> 24;
        const b = r[s] ?? 0;
        const h = r[s + 1] ?? 0;
        const a = (b >>> 0) + (ins[i4 + 2] ?? 0);
        if (h !== 0 || a < GUARD || a + 4 > len) {
          m.executed = stop - left;
          memoryFault(pc, b >>> 0, h, ins[i4 + 2] ?? 0, 4, false);
        }
        const d = (w >>> 16) & 0xff;
        const v = view.getInt32(a, true);
        r[d] = v;
        r[d + 1] = v >> 31;
        pc++;
        break;
      }

      // ---- stores: *(size *)(dst + off) = src or imm ----
      case 0x73: // stxb
      case 0x72: { // stb
        const dd = (w >>> 16) & 0xff;
        const b = r[dd] ?? 0;
        const h = r[dd + 1] ?? 0;
        const a = (b >>> 0) + (ins[i4 + 2] ?? 0);
        if (h !== 0 || a < GUARD || a + 1 > len) {
          m.executed = stop - left;
          memoryFault(pc, b >>> 0, h, ins[i4 + 2] ?? 0, 1, true);
        }
        bytes[a] = o === 0x73 ? (r[w >>> 24] ?? 0) : (ins[i4 + 1] ?? 0);
        pc++;
        break;
      }
      case 0x6b: // stxh
      case 0x6a: { // sth
        const dd = (w >>> 16) & 0xff;
        const b = r[dd] ?? 0;
        const h = r[dd + 1] ?? 0;
        const a = (b >>> 0) + (ins[i4 + 2] ?? 0);
        if (h !== 0 || a < GUARD || a + 2 > len) {
          m.executed = stop - left;
          memoryFault(pc, b >>> 0, h, ins[i4 + 2] ?? 0, 2, true);
        }
        view.setUint16(a, o === 0x6b ? (r[w >>> 24] ?? 0) : (ins[i4 + 1] ?? 0), true);
        pc++;
        break;
      }
      case 0x63: // stxw
      case 0x62: { // stw
        const dd = (w >>> 16) & 0xff;
        const b = r[dd] ?? 0;
        const h = r[dd + 1] ?? 0;
        const a = (b >>> 0) + (ins[i4 + 2] ?? 0);
        if (h !== 0 || a < GUARD || a + 4 > len) {
          m.executed = stop - left;
          memoryFault(pc, b >>> 0, h, ins[i4 + 2] ?? 0, 4, true);
        }
        view.setInt32(a, o === 0x63 ? (r[w >>> 24] ?? 0) : (ins[i4 + 1] ?? 0), true);
        pc++;
        break;
      }
      case 0x7b: // stxdw
      case 0x7a: { // stdw (imm sign-extended)
        const dd = (w >>> 16) & 0xff;
        const b = r[dd] ?? 0;
        const h = r[dd + 1] ?? 0;
        const a = (b >>> 0) + (ins[i4 + 2] ?? 0);
        if (h !== 0 || a < GUARD || a + 8 > len) {
          m.executed = stop - left;
          memoryFault(pc, b >>> 0, h, ins[i4 + 2] ?? 0, 8, true);
        }
        if (o === 0x7b) {
          const s = w >>> 24;
          view.setInt32(a, r[s] ?? 0, true);
          view.setInt32(a + 4, r[s + 1] ?? 0, true);
        } else {
          const k = ins[i4 + 1] ?? 0;
          view.setInt32(a, k, true);
          view.setInt32(a + 4, k >> 31, true);
        }
        pc++;
        break;
      }

      case 0x161: // BPF_PROBE_MEM32: a load or store through an arena pointer
        m.executed = stop - left;
        arenaMemory(m, code, pc);
        pc++;
        break;

      case 0x162: // BPF_PROBE_ATOMIC
        m.executed = stop - left;
        arenaAtomic(m, code, pc);
        pc++;
        break;

      case 0x163: // BPF_PROBE_MEM(SX): a load that reads 0 where nothing is mapped
        m.executed = stop - left;
        probeMemory(m, code, pc);
        pc++;
        break;

      case 0x160: // load or store of an unverified program
        m.executed = stop - left;
        checkedMemory(m, code, pc);
        pc++;
        break;

      // ---- atomics ----
      case 0x140: // atomic b (load-acquire / store-release only)
      case 0x141: // atomic h
      case 0x142: // atomic w
      case 0x143: // atomic dw
        m.executed = stop - left;
        atomic(m, code, pc, o === 0x140 ? 1 : o === 0x141 ? 2 : o === 0x142 ? 4 : 8);
        pc++;
        break;

      // ---- ld_imm64 ----
      case 0x18: { // lddw
        const d = (w >>> 16) & 0xff;
        r[d] = ins[i4 + 1] ?? 0;
        r[d + 1] = ins[i4 + 3] ?? 0;
        pc += 2;
        break;
      }
      case 0x100: { // lddw with BPF_PSEUDO_FUNC: a callback value
        const d = (w >>> 16) & 0xff;
        r[d] = ins[i4 + 1] ?? 0;
        r[d + 1] = CALLBACK_TAG;
        pc += 2;
        break;
      }

      // ---- LD_ABS / LD_IND ----
      case 0x150:
      case 0x151: {
        m.pc = pc;
        m.executed = stop - left;
        if (ldAbs(m, code, pc, o === 0x151)) {
          pc++;
        } else {
          // Out of the packet: the program ends here with r0 = 0, as the kernel's rewrite does.
          r[0] = 0;
          r[1] = 0;
          pc = code.decoded.length + 1;
          left++;
        }
        break;
      }

      // ---- jumps ----
      case 0x05: // ja
      case 0x06: // gotol (JMP32 | JA, target in imm)
        pc = ins[i4 + 2] ?? 0;
        break;
      case 0x15: { // jeq K
        const d = (w >>> 16) & 0xff;
        const k = ins[i4 + 1] ?? 0;
        pc = r[d] === k && r[d + 1] === k >> 31 ? (ins[i4 + 2] ?? 0) : pc + 1;
        break;
      }
      case 0x1d: { // jeq X
        const d = (w >>> 16) & 0xff;
        const s = w >>> 24;
        pc = r[d] === r[s] && r[d + 1] === r[s + 1] ? (ins[i4 + 2] ?? 0) : pc + 1;
        break;
      }
      case 0x55: { // jne K
        const d = (w >>> 16) & 0xff;
        const k = ins[i4 + 1] ?? 0;
        pc = r[d] !== k || r[d + 1] !== k >> 31 ? (ins[i4 + 2] ?? 0) : pc + 1;
        break;
      }
      case 0x5d: { // jne X
        const d = (w >>> 16) & 0xff;
        const s = w >>> 24;
        pc = r[d] !== r[s] || r[d + 1] !== r[s + 1] ? (ins[i4 + 2] ?? 0) : pc + 1;
        break;
      }
      case 0x45: { // jset K
        const d = (w >>> 16) & 0xff;
        const k = ins[i4 + 1] ?? 0;
        pc = ((r[d] ?? 0) & k) !== 0 || ((r[d + 1] ?? 0) & (k >> 31)) !== 0 ? (ins[i4 + 2] ?? 0) : pc + 1;
        break;
      }
      case 0x4d: { // jset X
        const d = (w >>> 16) & 0xff;
        const s = w >>> 24;
        pc = ((r[d] ?? 0) & (r[s] ?? 0)) !== 0 || ((r[d + 1] ?? 0) & (r[s + 1] ?? 0)) !== 0 ? (ins[i4 + 2] ?? 0) : pc + 1;
        break;
      }
      case 0x25: { // jgt K
        const d = (w >>> 16) & 0xff;
        const bl = ins[i4 + 1] ?? 0;
        const ah = (r[d + 1] ?? 0) >>> 0;
        const bh = (bl >> 31) >>> 0;
        pc = ah > bh || (ah === bh && ((r[d] ?? 0) >>> 0) > bl >>> 0) ? (ins[i4 + 2] ?? 0) : pc + 1;
        break;
      }
      case 0x2d: { // jgt X
        const d = (w >>> 16) & 0xff;
        const s = w >>> 24;
        const bl = r[s] ?? 0;
        const ah = (r[d + 1] ?? 0) >>> 0;
        const bh = (r[s + 1] ?? 0) >>> 0;
        pc = ah > bh || (ah === bh && ((r[d] ?? 0) >>> 0) > bl >>> 0) ? (ins[i4 + 2] ?? 0) : pc + 1;
        break;
      }
      case 0x35: { // jge K
        const d = (w >>> 16) & 0xff;
        const bl = ins[i4 + 1] ?? 0;
        const ah = (r[d + 1] ?? 0) >>> 0;
        const bh = (bl >> 31) >>> 0;
        pc = ah > bh || (ah === bh && ((r[d] ?? 0) >>> 0) >= bl >>> 0) ? (ins[i4 + 2] ?? 0) : pc + 1;
        break;
      }
      case 0x3d: { // jge X
        const d = (w >>> 16) & 0xff;
        const s = w >>> 24;
        const bl = r[s] ?? 0;
        const ah = (r[d + 1] ?? 0) >>> 0;
        const bh = (r[s + 1] ?? 0) >>> 0;
        pc = ah > bh || (ah === bh && ((r[d] ?? 0) >>> 0) >= bl >>> 0) ? (ins[i4 + 2] ?? 0) : pc + 1;
        break;
      }
      case 0xa5: { // jlt K
        const d = (w >>> 16) & 0xff;
        const bl = ins[i4 + 1] ?? 0;
        const ah = (r[d + 1] ?? 0) >>> 0;
        const bh = (bl >> 31) >>> 0;
        pc = ah < bh || (ah === bh && ((r[d] ?? 0) >>> 0) < bl >>> 0) ? (ins[i4 + 2] ?? 0) : pc + 1;
        break;
      }
      case 0xad: { // jlt X
        const d = (w >>> 16) & 0xff;
        const s = w >>> 24;
        const bl = r[s] ?? 0;
        const ah = (r[d + 1] ?? 0) >>> 0;
        const bh = (r[s + 1] ?? 0) >>> 0;
        pc = ah < bh || (ah === bh && ((r[d] ?? 0) >>> 0) < bl >>> 0) ? (ins[i4 + 2] ?? 0) : pc + 1;
        break;
      }
      case 0xb5: { // jle K
        const d = (w >>> 16) & 0xff;
        const bl = ins[i4 + 1] ?? 0;
        const ah = (r[d + 1] ?? 0) >>> 0;
        const bh = (bl >> 31) >>> 0;
        pc = ah < bh || (ah === bh && ((r[d] ?? 0) >>> 0) <= bl >>> 0) ? (ins[i4 + 2] ?? 0) : pc + 1;
        break;
      }
      case 0xbd: { // jle X
        const d = (w >>> 16) & 0xff;
        const s = w >>> 24;
        const bl = r[s] ?? 0;
        const ah = (r[d + 1] ?? 0) >>> 0;
        const bh = (r[s + 1] ?? 0) >>> 0;
        pc = ah < bh || (ah === bh && ((r[d] ?? 0) >>> 0) <= bl >>> 0) ? (ins[i4 + 2] ?? 0) : pc + 1;
        break;
      }
      case 0x65: { // jsgt K
        const d = (w >>> 16) & 0xff;
        const bl = ins[i4 + 1] ?? 0;
        const ah = r[d + 1] ?? 0;
        const bh = bl >> 31;
        pc = ah > bh || (ah === bh && ((r[d] ?? 0) >>> 0) > bl >>> 0) ? (ins[i4 + 2] ?? 0) : pc + 1;
        break;
      }
      case 0x6d: { // jsgt X
        const d = (w >>> 16) & 0xff;
        const s = w >>> 24;
        const bl = r[s] ?? 0;
        const ah = r[d + 1] ?? 0;
        const bh = r[s + 1] ?? 0;
        pc = ah > bh || (ah === bh && ((r[d] ?? 0) >>> 0) > bl >>> 0) ? (ins[i4 + 2] ?? 0) : pc + 1;
        break;
      }
      case 0x75: { // jsge K
        const d = (w >>> 16) & 0xff;
        const bl = ins[i4 + 1] ?? 0;
        const ah = r[d + 1] ?? 0;
        const bh = bl >> 31;
        pc = ah > bh || (ah === bh && ((r[d] ?? 0) >>> 0) >= bl >>> 0) ? (ins[i4 + 2] ?? 0) : pc + 1;
        break;
      }
      case 0x7d: { // jsge X
        const d = (w >>> 16) & 0xff;
        const s = w >>> 24;
        const bl = r[s] ?? 0;
        const ah = r[d + 1] ?? 0;
        const bh = r[s + 1] ?? 0;
        pc = ah > bh || (ah === bh && ((r[d] ?? 0) >>> 0) >= bl >>> 0) ? (ins[i4 + 2] ?? 0) : pc + 1;
        break;
      }
      case 0xc5: { // jslt K
        const d = (w >>> 16) & 0xff;
        const bl = ins[i4 + 1] ?? 0;
        const ah = r[d + 1] ?? 0;
        const bh = bl >> 31;
        pc = ah < bh || (ah === bh && ((r[d] ?? 0) >>> 0) < bl >>> 0) ? (ins[i4 + 2] ?? 0) : pc + 1;
        break;
      }
      case 0xcd: { // jslt X
        const d = (w >>> 16) & 0xff;
        const s = w >>> 24;
        const bl = r[s] ?? 0;
        const ah = r[d + 1] ?? 0;
        const bh = r[s + 1] ?? 0;
        pc = ah < bh || (ah === bh && ((r[d] ?? 0) >>> 0) < bl >>> 0) ? (ins[i4 + 2] ?? 0) : pc + 1;
        break;
      }
      case 0xd5: { // jsle K
        const d = (w >>> 16) & 0xff;
        const bl = ins[i4 + 1] ?? 0;
        const ah = r[d + 1] ?? 0;
        const bh = bl >> 31;
        pc = ah < bh || (ah === bh && ((r[d] ?? 0) >>> 0) <= bl >>> 0) ? (ins[i4 + 2] ?? 0) : pc + 1;
        break;
      }
      case 0xdd: { // jsle X
        const d = (w >>> 16) & 0xff;
        const s = w >>> 24;
        const bl = r[s] ?? 0;
        const ah = r[d + 1] ?? 0;
        const bh = r[s + 1] ?? 0;
        pc = ah < bh || (ah === bh && ((r[d] ?? 0) >>> 0) <= bl >>> 0) ? (ins[i4 + 2] ?? 0) : pc + 1;
        break;
      }

      // ---- JMP32: the low words only ----
      case 0x16: // jeq32 K
        pc = r[(w >>> 16) & 0xff] === ins[i4 + 1] ? (ins[i4 + 2] ?? 0) : pc + 1;
        break;
      case 0x1e: // jeq32 X
        pc = r[(w >>> 16) & 0xff] === r[w >>> 24] ? (ins[i4 + 2] ?? 0) : pc + 1;
        break;
      case 0x56: // jne32 K
        pc = r[(w >>> 16) & 0xff] !== ins[i4 + 1] ? (ins[i4 + 2] ?? 0) : pc + 1;
        break;
      case 0x5e: // jne32 X
        pc = r[(w >>> 16) & 0xff] !== r[w >>> 24] ? (ins[i4 + 2] ?? 0) : pc + 1;
        break;
      case 0x46: // jset32 K
        pc = ((r[(w >>> 16) & 0xff] ?? 0) & (ins[i4 + 1] ?? 0)) !== 0 ? (ins[i4 + 2] ?? 0) : pc + 1;
        break;
      case 0x4e: // jset32 X
        pc = ((r[(w >>> 16) & 0xff] ?? 0) & (r[w >>> 24] ?? 0)) !== 0 ? (ins[i4 + 2] ?? 0) : pc + 1;
        break;
      case 0x26: // jgt32 K
        pc = (r[(w >>> 16) & 0xff] ?? 0) >>> 0 > (ins[i4 + 1] ?? 0) >>> 0 ? (ins[i4 + 2] ?? 0) : pc + 1;
        break;
      case 0x2e: // jgt32 X
        pc = (r[(w >>> 16) & 0xff] ?? 0) >>> 0 > (r[w >>> 24] ?? 0) >>> 0 ? (ins[i4 + 2] ?? 0) : pc + 1;
        break;
      case 0x36: // jge32 K
        pc = (r[(w >>> 16) & 0xff] ?? 0) >>> 0 >= (ins[i4 + 1] ?? 0) >>> 0 ? (ins[i4 + 2] ?? 0) : pc + 1;
        break;
      case 0x3e: // jge32 X
        pc = (r[(w >>> 16) & 0xff] ?? 0) >>> 0 >= (r[w >>> 24] ?? 0) >>> 0 ? (ins[i4 + 2] ?? 0) : pc + 1;
        break;
      case 0xa6: // jlt32 K
        pc = (r[(w >>> 16) & 0xff] ?? 0) >>> 0 < (ins[i4 + 1] ?? 0) >>> 0 ? (ins[i4 + 2] ?? 0) : pc + 1;
        break;
      case 0xae: // jlt32 X
        pc = (r[(w >>> 16) & 0xff] ?? 0) >>> 0 < (r[w >>> 24] ?? 0) >>> 0 ? (ins[i4 + 2] ?? 0) : pc + 1;
        break;
      case 0xb6: // jle32 K
        pc = (r[(w >>> 16) & 0xff] ?? 0) >>> 0 <= (ins[i4 + 1] ?? 0) >>> 0 ? (ins[i4 + 2] ?? 0) : pc + 1;
        break;
      case 0xbe: // jle32 X
        pc = (r[(w >>> 16) & 0xff] ?? 0) >>> 0 <= (r[w >>> 24] ?? 0) >>> 0 ? (ins[i4 + 2] ?? 0) : pc + 1;
        break;
      case 0x66: // jsgt32 K
        pc = (r[(w >>> 16) & 0xff] ?? 0) > (ins[i4 + 1] ?? 0) ? (ins[i4 + 2] ?? 0) : pc + 1;
        break;
      case 0x6e: // jsgt32 X
        pc = (r[(w >>> 16) & 0xff] ?? 0) > (r[w >>> 24] ?? 0) ? (ins[i4 + 2] ?? 0) : pc + 1;
        break;
      case 0x76: // jsge32 K
        pc = (r[(w >>> 16) & 0xff] ?? 0) >= (ins[i4 + 1] ?? 0) ? (ins[i4 + 2] ?? 0) : pc + 1;
        break;
      case 0x7e: // jsge32 X
        pc = (r[(w >>> 16) & 0xff] ?? 0) >= (r[w >>> 24] ?? 0) ? (ins[i4 + 2] ?? 0) : pc + 1;
        break;
      case 0xc6: // jslt32 K
        pc = (r[(w >>> 16) & 0xff] ?? 0) < (ins[i4 + 1] ?? 0) ? (ins[i4 + 2] ?? 0) : pc + 1;
        break;
      case 0xce: // jslt32 X
        pc = (r[(w >>> 16) & 0xff] ?? 0) < (r[w >>> 24] ?? 0) ? (ins[i4 + 2] ?? 0) : pc + 1;
        break;
      case 0xd6: // jsle32 K
        pc = (r[(w >>> 16) & 0xff] ?? 0) <= (ins[i4 + 1] ?? 0) ? (ins[i4 + 2] ?? 0) : pc + 1;
        break;
      case 0xde: // jsle32 X
        pc = (r[(w >>> 16) & 0xff] ?? 0) <= (r[w >>> 24] ?? 0) ? (ins[i4 + 2] ?? 0) : pc + 1;
        break;

      case 0x108: { // may_goto: falls through while this frame's budget lasts, then branches
        const depth = m.depth;
        const left = m.loops[depth] ?? 0;
        if (left === 0) {
          pc = ins[i4 + 2] ?? 0;
        } else {
          m.loops[depth] = left - 1;
          pc++;
        }
        break;
      }

      // ---- calls and exit ----
      case 0x85: { // call helper
        m.pc = pc;
        m.executed = stop - left;
        m.code = code;
        callHelper(m, pc, ins[i4 + 1] ?? 0);
        left = stop - m.executed;
        if (m.pendingTail !== undefined) {
          if (enterTailCall(m)) {
            m.pc = 0;
          } else {
            // Another engine ran the target; r0 holds its result and this frame exits.
            m.executed--;
            m.pc = code.decoded.length + 1;
          }
          return SWITCH;
        }
        pc++;
        if (arena.generation !== generation) {
          m.pc = pc;
          return SWITCH;
        }
        break;
      }
      case 0x102: { // call kfunc
        m.pc = pc;
        m.executed = stop - left;
        m.code = code;
        callKfunc(m, pc, code.kfuncs.get(pc));
        left = stop - m.executed;
        pc++;
        if (arena.generation !== generation) {
          m.pc = pc;
          return SWITCH;
        }
        break;
      }
      case 0x101: // call local (bpf-to-bpf)
      case 0x103: { // callx
        let to = ins[i4 + 2] ?? 0;
        if (o === 0x103) {
          const d = (w >>> 16) & 0xff;
          const lo = r[d] ?? 0;
          const hi = r[d + 1] ?? 0;
          m.executed = stop - left;
          if (!isCallbackValue(lo, hi)) {
            if (hi !== 0) fault('bad-jump', pc, `callx to 0x${(hi >>> 0).toString(16)}${(lo >>> 0).toString(16).padStart(8, '0')}, neither a helper id nor a subprogram`);
            m.pc = pc;
            m.executed = stop - left;
            m.code = code;
            callHelper(m, pc, lo);
            left = stop - m.executed;
            if (m.pendingTail !== undefined) {
              // As for `call`: the tail-called program replaces this frame's.
              if (enterTailCall(m)) {
                m.pc = 0;
              } else {
                m.executed--;
                m.pc = code.decoded.length + 1;
              }
              return SWITCH;
            }
            pc++;
            if (arena.generation !== generation) {
              m.pc = pc;
              return SWITCH;
            }
            break;
          }
          to = lo;
          if (!code.layout.isStart(to)) fault('bad-jump', pc, `callx to instruction ${to}, which starts no subprogram`);
        }
        const depth = m.depth;
        m.executed = stop - left;
        if (depth + 1 - m.progBase >= MAX_CALL_FRAMES) fault('call-depth', pc, `more than ${MAX_CALL_FRAMES} call frames`);
        m.retPc[depth] = pc + 1;
        m.retCode[depth] = code;
        m.retBase[depth] = m.progBase;
        saveCalleeSaved(m, depth);
        m.depth = depth + 1;
        m.loops[depth + 1] = BPF_MAX_LOOPS;
        r[20] = m.frameTop[depth + 1] ?? 0;
        r[21] = 0;
        pc = to;
        break;
      }
      case 0x95: { // exit
        const depth = m.depth;
        if (depth === baseDepth) {
          m.pc = pc;
          m.executed = stop - left;
          m.code = code;
          return EXIT;
        }
        const caller = depth - 1;
        m.depth = caller;
        m.progBase = m.retBase[caller] ?? 0;
        restoreCalleeSaved(m, caller);
        pc = m.retPc[caller] ?? 0;
        const back = m.retCode[caller];
        if (back !== undefined && back !== code) {
          m.code = back;
          m.pc = pc;
          m.executed = stop - left;
          return SWITCH;
        }
        break;
      }

      // ---- what cannot run ----
      case 0x104: // second half of ld_imm64
        m.executed = stop - left;
        return fault('bad-jump', pc, 'jump into the middle of ldimm64 insn');
      case 0x106: // jump or call target outside the program
        m.executed = stop - left;
        return fault('bad-jump', pc, `jump out of range to ${ins[i4 + 2] ?? 0}`);
      case 0x107: // one past the end
        m.executed = stop - left;
        return fault('bad-jump', pc, 'fell off the end of the program');
      default:
        m.executed = stop - left;
        return fault('invalid-insn', pc, code.invalidWhy.get(pc) ?? `cannot execute opcode 0x${(o & 0xff).toString(16)}`);
    }
  }
}

/** dst <<= n on a register pair, n in 0–63. */
function lsh64(r: Int32Array, d: number, n: number): void {
  if (n === 0) return;
  const lo = r[d] ?? 0;
  if (n < 32) {
    r[d + 1] = ((r[d + 1] ?? 0) << n) | (lo >>> (32 - n));
    r[d] = lo << n;
  } else {
    r[d + 1] = lo << (n - 32);
    r[d] = 0;
  }
}

/** dst >>= n (logical) on a register pair. */
function rsh64(r: Int32Array, d: number, n: number): void {
  if (n === 0) return;
  const hi = r[d + 1] ?? 0;
  if (n < 32) {
    r[d] = ((r[d] ?? 0) >>> n) | (hi << (32 - n));
    r[d + 1] = hi >>> n;
  } else {
    r[d] = hi >>> (n - 32);
    r[d + 1] = 0;
  }
}

/** dst s>>= n (arithmetic) on a register pair. */
function arsh64(r: Int32Array, d: number, n: number): void {
  if (n === 0) return;
  const hi = r[d + 1] ?? 0;
  if (n < 32) {
    r[d] = ((r[d] ?? 0) >>> n) | (hi << (32 - n));
    r[d + 1] = hi >> n;
  } else {
    r[d] = hi >> (n - 32);
    r[d + 1] = hi >> 31;
  }
}
