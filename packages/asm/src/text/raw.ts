import { slotFromU64, slotToU64 } from '../codec.js';
import { asmError } from '../errors.js';
import type { Insn } from '../insn.js';
import { BPF_LD_IMM64 } from '../opcodes.js';

/** The raw escape directive, shared by both syntaxes. */
export const RAW_DIRECTIVE = '.insn';

function u64(slotValue: bigint): string {
  return `0x${slotValue.toString(16).padStart(16, '0')}`;
}

/**
 * `.insn 0x<u64>[, 0x<u64>]`: each slot as the little-endian u64 the
 * conformance `-- raw` form uses (opcode in the low byte); ld_imm64 takes two.
 * Any encoding, even one with reserved fields set, survives this form.
 */
export function formatRaw(insn: Insn): string {
  const first = u64(slotToU64(insn));
  return insn.second === undefined ? `${RAW_DIRECTIVE} ${first}` : `${RAW_DIRECTIVE} ${first}, ${u64(slotToU64(insn.second))}`;
}

/** Parses the operands of `.insn`. */
export function parseRaw(operands: string): Insn {
  const parts = operands.split(',').map((p) => p.trim());
  const values = parts.map((p) => {
    if (!/^(0x[0-9a-fA-F]{1,16}|[0-9]+)$/.test(p)) throw asmError('asm:syntax', `.insn expects 64-bit slot values, got '${p}'`);
    const v = BigInt(p);
    if (v >= 1n << 64n) throw asmError('asm:range', `.insn slot ${p} is wider than 64 bits`);
    return v;
  });
  const [a, b] = values;
  if (a === undefined || values.length > 2) throw asmError('asm:syntax', '.insn takes one slot, or two for ld_imm64');
  const first = slotFromU64(a);
  if (first.code === BPF_LD_IMM64) {
    if (b === undefined) throw asmError('asm:syntax', '.insn of an ld_imm64 (opcode 0x18) needs its second slot');
    return { ...first, second: slotFromU64(b) };
  }
  if (b !== undefined) throw asmError('asm:syntax', '.insn takes a second slot only for ld_imm64 (opcode 0x18)');
  return first;
}
