import type { Insn } from '@bpfkit/asm';
import type { VerifierRequest } from '@bpfkit/kernel-api';
import { skipModifiers } from './btf-walk.js';
import { CALL, cls, JMP, LD, mode } from './insns.js';
import { fail, type VerifierLog } from './log.js';

const BPF_ABS = 0x20, BPF_IND = 0x40, TAIL_CALL = 12;

/** What a subprogram `[start, end)` holds that can end the program from inside it (`has_ld_abs`, `has_tail_call`). */
function exitsEarly(insns: readonly Insn[], start: number, end: number): { ldAbs: boolean; tailCall: boolean } {
  let ldAbs = false, tailCall = false;
  for (let i = start; i < end; i++) {
    const insn = insns[i];
    if (insn === undefined) continue;
    if (cls(insn.code) === LD && (mode(insn.code) === BPF_ABS || mode(insn.code) === BPF_IND)) ldAbs = true;
    if (insn.code === (JMP | CALL) && insn.src === 0 && insn.imm === TAIL_CALL) tailCall = true;
  }
  return { ldAbs, tailCall };
}

/**
 * The return-type half of `check_btf_func`: a subprogram with LD_ABS/LD_IND or a
 * tail call must return an integer or enum, since either may end the program
 * from inside it with R0 = 0.
 *
 * @example
 * checkBtfFuncReturns(log, insns, [0, 3], req); // "LD_ABS is only allowed in functions that return 'int'."
 */
export function checkBtfFuncReturns(log: VerifierLog, insns: readonly Insn[], subprogs: readonly number[], req: VerifierRequest): void {
  const btf = req.btf;
  const funcInfo = req.funcInfo;
  if (btf === undefined || funcInfo === undefined) return;
  for (let i = 1; i < funcInfo.length; i++) {
    const fi = funcInfo[i];
    if (fi === undefined) continue;
    const ret = skipModifiers(btf, btf.type(btf.type(fi.typeId ?? 0)?.type ?? 0)?.type ?? 0);
    const scalar = (ret?.kind === 'INT' && (ret.size ?? 0) <= 8) || ret?.kind === 'ENUM' || ret?.kind === 'ENUM64';
    if (scalar) continue;
    const uses = exitsEarly(insns, fi.insnOff, subprogs[i + 1] ?? insns.length);
    if (uses.ldAbs) fail(log, 'EINVAL', 'ld-abs-return', "LD_ABS is only allowed in functions that return 'int'.");
    if (uses.tailCall) fail(log, 'EINVAL', 'tail-call-return', "tail_call is only allowed in functions that return 'int'.");
  }
}
