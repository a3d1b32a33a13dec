import { formatLogInsn, type Insn } from '@bpfkit/asm';
import type { ProgTypeDescriptor, VerifierRequest } from '@bpfkit/kernel-api';
import { HELPER_ARG_COUNTS, HELPER_ARG_COUNTS_BY_TYPE } from './helper-arg-counts.generated.js';
import { LD_IMM64 } from './insns.js';
import { kfuncCallName, PSEUDO_KFUNC_CALL } from './kfunc-meta.js';
import { computeLiveRegs, type CallArgCount } from './liveness.js';
import type { VerifierLog } from './log.js';
import { computeScc } from './scc.js';

/**
 * Helpers of the tracing rows the probe could not load (iterators and trampolines need an attach
 * target), with their prototypes' argument counts from the 6.18 source: seq_printf (m, fmt,
 * fmt_size, data, data_len), seq_write (m, data, len), seq_printf_btf (m, ptr, ptr_size, flags),
 * get_func_arg (ctx, n, value), get_func_ret (ctx, value), get_func_arg_cnt (ctx).
 */
const UNPROBED_HELPER_ARGS: Readonly<Record<number, number>> = { 126: 5, 127: 3, 150: 4, 183: 3, 184: 2, 185: 1 };

/**
 * The argument registers of a call as the kernel's liveness knows them: a helper's, when the
 * program type may call it (its prototype exists for the program); a kfunc's, from the FUNC_PROTO
 * its BTF id names.
 */
export function callArgCount(req: VerifierRequest, progType: ProgTypeDescriptor | undefined): CallArgCount {
  const btf = req.kfuncs?.btf;
  const own = HELPER_ARG_COUNTS_BY_TYPE[`${String(req.progType)}:${String(req.expectedAttachType)}`] ?? HELPER_ARG_COUNTS_BY_TYPE[`${String(req.progType)}:0`];
  return (insn) => {
    if (insn.src === 0) {
      if (progType?.isHelperAllowed(insn.imm, req.expectedAttachType, req.privileges) !== true) return undefined;
      return own?.[insn.imm] ?? HELPER_ARG_COUNTS[insn.imm] ?? UNPROBED_HELPER_ARGS[insn.imm];
    }
    if (insn.src !== PSEUDO_KFUNC_CALL || btf === undefined) return undefined;
    // `fetch_kfunc_meta` fails for a kfunc the program type may not call: the default, r1-r5, then.
    if (req.kfuncs?.flags(insn.imm >>> 0) === undefined) return undefined;
    const func = btf.type(insn.imm >>> 0);
    const proto = func?.kind === 'FUNC' && func.type !== undefined ? btf.type(func.type) : undefined;
    return proto?.kind === 'FUNC_PROTO' ? proto.params?.length : undefined;
  };
}

const pad3 = (n: number): string => String(n).padStart(3, ' ');

/**
 * The level-2 dump of `compute_live_registers`: before each instruction, its strongly connected
 * component (when it is in a loop), its index, the registers that may still be read (`0`-`9`,
 * `.` for dead), and the instruction.
 *
 * @example
 * // Live regs before insn:
 * //       0: .......... (b7) r6 = 3
 * //   1   1: ......6... (07) r6 += -1
 */
export function logLiveRegs(log: VerifierLog, insns: readonly Insn[], req: VerifierRequest, progType: ProgTypeDescriptor | undefined, callbackLoops = true): void {
  if (!log.level2) return;
  const live = computeLiveRegs(insns, callArgCount(req, progType));
  const scc = computeScc(insns, callbackLoops);
  const callName = kfuncCallName(req);
  log.line('Live regs before insn:');
  for (let i = 0; i < insns.length; i++) {
    const insn = insns[i];
    if (insn === undefined) continue;
    const mask = live[i] ?? 0;
    let regs = '';
    for (let r = 0; r < 10; r++) regs += (mask & (1 << r)) !== 0 ? String(r) : '.';
    const component = scc[i] ?? 0;
    log.line(`${component === 0 ? '    ' : `${pad3(component)} `}${pad3(i)}: ${regs} ${formatLogInsn(insn, { allowPtrLeaks: req.privileges.allowPtrLeaks, callName })}`);
    if (insn.code === LD_IMM64) i++;
  }
}
