import type { CoreReloRes } from './calc.js';
import { CoreFailure } from './failure.js';

/**
 * The `imm` of the call that replaces an instruction whose relocation failed (`0xbad2310`,
 * "bad relo"); the verifier reports it as `invalid func unknown#195896080` when reachable.
 *
 * @example
 * const poisoned = code[slot * 8] === 0x85 && new DataView(code.buffer).getInt32(slot * 8 + 4, true) === CORE_POISON_IMM;
 */
export const CORE_POISON_IMM = 0xbad2310;

const BPF_LD = 0x00;
const BPF_LDX = 0x01;
const BPF_ST = 0x02;
const BPF_STX = 0x03;
const BPF_ALU = 0x04;
const BPF_ALU64 = 0x07;
const BPF_X = 0x08;
const LD_IMM64 = 0x18;
const CALL = 0x85;
const SHRT_MAX = 0x7fff;

const SIZE_BYTES: Record<number, number> = { 0x00: 4, 0x08: 2, 0x10: 1, 0x18: 8 };
const BYTES_SIZE: Record<number, number> = { 4: 0x00, 2: 0x08, 1: 0x10, 8: 0x18 };

function view(code: Uint8Array): DataView {
  return new DataView(code.buffer, code.byteOffset, code.byteLength);
}

function poisonSlot(v: DataView, slot: number): void {
  const at = slot * 8;
  v.setUint8(at, CALL);
  v.setUint8(at + 1, 0);
  v.setInt16(at + 2, 0, true);
  v.setInt32(at + 4, CORE_POISON_IMM, true);
}

/**
 * Writes the poison call at `slot` (and over the second half of an ld_imm64, so the
 * verifier does not first stumble on "unknown opcode 00"); returns the log lines.
 */
export function poisonInsn(code: Uint8Array, slot: number, prefix: string): string[] {
  const v = view(code);
  const log: string[] = [];
  if (v.getUint8(slot * 8) === LD_IMM64 && (slot + 2) * 8 <= code.length) {
    poisonSlot(v, slot + 1);
    log.push(`${prefix}: substituting insn #${slot + 1} w/ invalid insn`);
  }
  poisonSlot(v, slot);
  log.push(`${prefix}: substituting insn #${slot} w/ invalid insn`);
  return log;
}

/** Log lines of a patch, and whether it ended in the poison call. */
export interface PatchOutcome {
  readonly log: string[];
  readonly poisoned: boolean;
}

const u64 = (n: number | bigint): bigint => BigInt.asUintN(64, BigInt(n));

/**
 * `bpf_core_patch_insn`: puts the resolved value into the instruction at `slot` — the `imm`
 * of an ALU op with an immediate, the `off` (and, where safe, the access size) of a
 * load/store, or both halves of an ld_imm64 — after checking the instruction holds the
 * value the compiler computed. Returns the log lines; throws {@link CoreFailure} (EINVAL,
 * ERANGE) for an instruction that cannot carry the relocation.
 */
export function patchInsn(code: Uint8Array, slot: number, res: CoreReloRes, prefix: string): PatchOutcome {
  if (res.poison) return { log: poisonInsn(code, slot, prefix), poisoned: true };
  const v = view(code);
  const at = slot * 8;
  const op = v.getUint8(at);
  const cls = op & 0x07;
  const { origVal, newVal } = res;
  if (cls === BPF_ALU || cls === BPF_ALU64) {
    if ((op & BPF_X) !== 0) throw new CoreFailure('EINVAL', 'bad-insn', `insn #${slot} (ALU/ALU64) takes a register, not an immediate`);
    const imm = v.getInt32(at + 4, true);
    if (res.validate && u64(imm) !== origVal) {
      throw new CoreFailure('EINVAL', 'bad-insn', `unexpected insn #${slot} (ALU/ALU64) value: got ${imm}, exp ${origVal} -> ${newVal}`);
    }
    v.setInt32(at + 4, Number(BigInt.asIntN(32, newVal)), true);
    return { log: [`${prefix}: patched insn #${slot} (ALU/ALU64) imm ${u64(imm)} -> ${newVal}`], poisoned: false };
  }
  if (cls === BPF_LDX || cls === BPF_ST || cls === BPF_STX) {
    const off = v.getInt16(at + 2, true);
    if (res.validate && u64(off) !== origVal) {
      throw new CoreFailure('EINVAL', 'bad-insn', `unexpected insn #${slot} (LDX/ST/STX) value: got ${off}, exp ${origVal} -> ${newVal}`);
    }
    if (newVal > BigInt(SHRT_MAX)) throw new CoreFailure('ERANGE', 'offset-range', `insn #${slot} (LDX/ST/STX) value too big: ${newVal}`);
    if (res.failMemszAdjust) {
      const warn = `${prefix}: insn #${slot} (LDX/ST/STX) accesses field incorrectly. Make sure you are accessing pointers, unsigned integers, or fields of matching type and size.`;
      return { log: [warn, ...poisonInsn(code, slot, prefix)], poisoned: true };
    }
    v.setInt16(at + 2, Number(newVal), true);
    const log = [`${prefix}: patched insn #${slot} (LDX/ST/STX) off ${u64(off)} -> ${newVal}`];
    if (res.newSz !== res.origSz) {
      const have = SIZE_BYTES[op & 0x18];
      if (have !== res.origSz) throw new CoreFailure('EINVAL', 'bad-insn', `insn #${slot} (LDX/ST/STX) unexpected mem size: got ${have ?? -1}, exp ${res.origSz}`);
      const size = BYTES_SIZE[res.newSz];
      if (size === undefined) throw new CoreFailure('EINVAL', 'bad-insn', `insn #${slot} (LDX/ST/STX) invalid new mem size: ${res.newSz}`);
      v.setUint8(at, (op & 0xe0) | size | cls);
      log.push(`${prefix}: patched insn #${slot} (LDX/ST/STX) mem_sz ${res.origSz} -> ${res.newSz}`);
    }
    return { log, poisoned: false };
  }
  if (cls === BPF_LD) {
    const nextAt = at + 8;
    const wellFormed = op === LD_IMM64 && nextAt + 8 <= code.length && v.getUint8(at + 1) >> 4 === 0 && v.getInt16(at + 2, true) === 0
      && v.getUint8(nextAt) === 0 && v.getUint8(nextAt + 1) === 0 && v.getInt16(nextAt + 2, true) === 0;
    if (!wellFormed) throw new CoreFailure('EINVAL', 'bad-insn', `insn #${slot} (LDIMM64) has unexpected form`);
    const imm = (BigInt(v.getUint32(nextAt + 4, true)) << 32n) | BigInt(v.getUint32(at + 4, true));
    if (res.validate && imm !== origVal) {
      throw new CoreFailure('EINVAL', 'bad-insn', `unexpected insn #${slot} (LDIMM64) value: got ${imm}, exp ${origVal} -> ${newVal}`);
    }
    v.setUint32(at + 4, Number(newVal & 0xffffffffn), true);
    v.setUint32(nextAt + 4, Number((newVal >> 32n) & 0xffffffffn), true);
    return { log: [`${prefix}: patched insn #${slot} (LDIMM64) imm64 ${imm} -> ${newVal}`], poisoned: false };
  }
  const hex = (n: number): string => `0x${n.toString(16)}`;
  const regs = v.getUint8(at + 1);
  throw new CoreFailure('EINVAL', 'bad-insn',
    `trying to relocate unrecognized insn #${slot}, code:${hex(op)}, src:${hex(regs >> 4)}, dst:${hex(regs & 0xf)}, off:${hex(v.getUint16(at + 2, true))}, imm:${hex(v.getUint32(at + 4, true))}`);
}
