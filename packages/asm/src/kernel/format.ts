import { type Insn, insnEquals, isPlainLdImm64 } from '../insn.js';
import {
  BPF_CALL, BPF_JMP, BPF_LD_IMM64, BPF_PSEUDO_BTF_ID, BPF_PSEUDO_FUNC, BPF_PSEUDO_MAP_FD, BPF_PSEUDO_MAP_IDX,
  BPF_PSEUDO_MAP_IDX_VALUE, BPF_PSEUDO_MAP_VALUE, BPF_X,
} from '../opcodes.js';
import { formatRaw } from '../text/raw.js';
import { settle } from '../text/statement.js';
import { insnKey, Memo } from '../text/memo.js';
import { formatLogText } from './log.js';
import { parseKernelInsn } from './parse.js';
import { signed } from './tables.js';

function ldImm64Text(insn: Insn): string {
  const d = `r${String(insn.dst)}`;
  const hi = insn.second?.imm ?? 0;
  switch (insn.src) {
    case BPF_PSEUDO_MAP_FD:
      return `${d} = map[fd:${String(insn.imm)}]`;
    case BPF_PSEUDO_MAP_VALUE:
      return `${d} = map[fd:${String(insn.imm)}][0]+${String(hi)}`;
    case BPF_PSEUDO_MAP_IDX:
      return `${d} = map[idx:${String(insn.imm)}]`;
    case BPF_PSEUDO_MAP_IDX_VALUE:
      return `${d} = map[idx:${String(insn.imm)}][0]+${String(hi)}`;
    case BPF_PSEUDO_BTF_ID:
      return `${d} = btf[id:${String(insn.imm)}]`;
    case BPF_PSEUDO_FUNC:
      return `${d} = subprog[pc${signed(insn.imm)}]`;
    default:
      return `${formatLogText(insn)} ll`;
  }
}

/** The kernel-syntax text before the round-trip check. */
function candidate(insn: Insn): string {
  if (insn.code === BPF_LD_IMM64) return ldImm64Text(insn);
  if (insn.code === (BPF_JMP | BPF_CALL | BPF_X)) return `callx r${String(insn.dst)}`;
  return formatLogText(insn);
}

/**
 * One instruction in the kernel syntax (the verifier log's, with `ll` on
 * ld_imm64, named pseudo loads such as `map[fd:3]`, and `callx rN`). Text that
 * would not assemble back to the same bytes, such as reserved fields set, is
 * written as the raw escape `.insn 0x…`.
 */
export function formatKernelInsn(insn: Insn): string {
  // Plain 64-bit constants are always canonical and rarely repeat: no check, no cache.
  if (isPlainLdImm64(insn)) return `${formatLogText(insn)} ll`;
  return memo.get(insnKey(insn), () => uncached(insn));
}

const memo = new Memo<string>();

function uncached(insn: Insn): string {
  const text = candidate(insn);
  try {
    const back = settle(parseKernelInsn(text));
    if (back !== undefined && insnEquals(back, insn)) return text;
  } catch {
    // Unparseable text (BUG_xx, unknown operators) falls back to the raw form.
  }
  return formatRaw(insn);
}
