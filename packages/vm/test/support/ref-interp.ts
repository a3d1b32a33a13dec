import { decodeProgram, type Insn } from '@bpfkit/asm';
import { aluRef, jmpRef, type AluOp, type JmpOp } from './reference.js';

/**
 * A deliberately simple BigInt interpreter for straight-line and
 * forward-branching programs over ALU, jumps and r10-relative loads and
 * stores: the model the real interpreter (with its (lo, hi) words, fused
 * pairs and packed code) is checked against. r10 is a symbolic frame: memory
 * is the 512 bytes below it.
 */
const ALU_BY_OP: Record<number, AluOp> = {
  0x00: '+=', 0x10: '-=', 0x20: '*=', 0x30: '/=', 0x40: '|=', 0x50: '&=', 0x60: '<<=', 0x70: '>>=', 0x90: '%=', 0xa0: '^=', 0xb0: '=', 0xc0: 's>>=',
};
const JMP_BY_OP: Record<number, JmpOp> = {
  0x10: '==', 0x20: '>', 0x30: '>=', 0x40: '&', 0x50: '!=', 0x60: 's>', 0x70: 's>=', 0xa0: '<', 0xb0: '<=', 0xc0: 's<', 0xd0: 's<=',
};
const M64 = (1n << 64n) - 1n;

function swap(v: bigint, bytes: number): bigint {
  let out = 0n;
  for (let i = 0; i < bytes; i++) out = (out << 8n) | ((v >> BigInt(8 * i)) & 0xffn);
  return out;
}

/** Runs the program; returns r0 and the instruction count. Throws on anything it does not model. */
export function refRun(bytes: Uint8Array, r1: bigint, r2: bigint): { r0: bigint; executed: number } {
  const insns: Insn[] = decodeProgram(bytes);
  const slotOf: number[] = [];
  const indexOfSlot = new Map<number, number>();
  let slot = 0;
  insns.forEach((insn, i) => {
    slotOf.push(slot);
    indexOfSlot.set(slot, i);
    slot += insn.code === 0x18 ? 2 : 1;
  });
  const r: bigint[] = new Array<bigint>(11).fill(0n);
  r[1] = r1 & M64;
  r[2] = r2 & M64;
  const stack = new Uint8Array(512);
  const view = new DataView(stack.buffer);
  let i = 0;
  let executed = 0;
  const reg = (n: number): bigint => r[n] ?? 0n;
  for (;;) {
    const insn = insns[i];
    if (insn === undefined) throw new Error(`fell off at ${i}`);
    executed++;
    const cls = insn.code & 7;
    const op = insn.code & 0xf0;
    const isX = (insn.code & 8) !== 0;
    if (cls === 4 || cls === 7) {
      const wide = cls === 7;
      const src = isX ? reg(insn.src) : BigInt.asUintN(64, BigInt(insn.imm));
      let v: bigint;
      if (op === 0x80) v = (-reg(insn.dst)) & (wide ? M64 : 0xffffffffn);
      else if (op === 0xd0) {
        const n = insn.imm / 8;
        const x = reg(insn.dst) & ((1n << BigInt(insn.imm)) - 1n);
        v = cls === 4 && !isX ? x : swap(x, n);
      } else if (op === 0xb0 && isX && insn.off !== 0) {
        const bits = BigInt(insn.off);
        const sx = BigInt.asIntN(Number(bits), reg(insn.src));
        v = wide ? BigInt.asUintN(64, sx) : BigInt.asUintN(32, sx);
      } else {
        const aop = (op === 0x30 || op === 0x90) && insn.off === 1 ? (op === 0x30 ? 's/=' : 's%=') : ALU_BY_OP[op];
        if (aop === undefined) throw new Error(`alu op ${op}`);
        v = aluRef(aop, reg(insn.dst), src, wide);
      }
      r[insn.dst] = v;
      i++;
    } else if (cls === 5 || cls === 6) {
      if (op === 0x90) return { r0: reg(0), executed };
      if (op === 0x00) {
        i = indexOfSlot.get((slotOf[i] ?? 0) + 1 + (insn.code === 0x06 ? insn.imm : insn.off)) ?? -1;
        continue;
      }
      const jop = JMP_BY_OP[op];
      if (jop === undefined) throw new Error(`jmp op ${op}`);
      const b = isX ? reg(insn.src) : BigInt.asUintN(64, BigInt(insn.imm));
      if (jmpRef(jop, reg(insn.dst), b, cls === 5)) i = indexOfSlot.get((slotOf[i] ?? 0) + 1 + insn.off) ?? -1;
      else i++;
    } else if (insn.code === 0x18) {
      r[insn.dst] = (BigInt((insn.second?.imm ?? 0) >>> 0) << 32n) | BigInt(insn.imm >>> 0);
      i++;
    } else {
      // r10-relative memory only
      const size = [4, 2, 1, 8][(insn.code >> 3) & 3] ?? 8;
      const base = cls === 1 ? insn.src : insn.dst;
      if (base !== 10) throw new Error('memory not on the stack');
      const at = 512 + insn.off;
      if (cls === 1) {
        const sx = (insn.code & 0xe0) === 0x80;
        let v = size === 1 ? BigInt(view.getUint8(at)) : size === 2 ? BigInt(view.getUint16(at, true)) : size === 4 ? BigInt(view.getUint32(at, true)) : view.getBigUint64(at, true);
        if (sx) v = BigInt.asUintN(64, BigInt.asIntN(size * 8, v));
        r[insn.dst] = v;
      } else {
        const v = cls === 3 ? reg(insn.src) : BigInt.asUintN(64, BigInt(insn.imm));
        if (size === 1) view.setUint8(at, Number(v & 0xffn));
        else if (size === 2) view.setUint16(at, Number(v & 0xffffn), true);
        else if (size === 4) view.setUint32(at, Number(v & 0xffffffffn), true);
        else view.setBigUint64(at, v, true);
      }
      i++;
    }
  }
}
