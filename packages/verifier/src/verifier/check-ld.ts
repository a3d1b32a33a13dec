import { BPF_PSEUDO_BTF_ID, BPF_PSEUDO_MAP_IDX, BPF_PSEUDO_MAP_IDX_VALUE, type Insn } from '@bpfkit/asm';
import { BpfMapType } from '@bpfkit/uapi';
import { checkResourceLeak } from './check-call.js';
import type { VerifierEnv } from './env.js';
import { funcInfoOf } from './callbacks.js';
import { checkPseudoBtfId } from './ksym.js';
import { fdFromArray } from './resolve-ld-imm64.js';
import { cls, LD, LD_IMM64, mode, PSEUDO_FUNC, PSEUDO_MAP_FD, PSEUDO_MAP_VALUE } from './insns.js';
import { fail } from './log.js';
import { constScalar, notInit, pointer, unknownScalar, type VState } from './state.js';


/** BPF_LD: `check_ld_imm` (ld_imm64 and its map pseudo sources) and `check_ld_abs`. Returns the next pc. */
export function checkLd(env: VerifierEnv, state: VState, insn: Insn, pc: number): number | 'exit' {
  if (insn.code === LD_IMM64) {
    const second = insn.second;
    if (second === undefined) fail(env.log, 'EINVAL', 'bad-ld-imm64', 'invalid BPF_LD_IMM insn');
    if (insn.src === 0) {
      env.writeReg(state, insn.dst, constScalar((BigInt(second.imm >>> 0) << 32n) | BigInt(insn.imm >>> 0)));
    } else if (insn.src === PSEUDO_MAP_FD || insn.src === PSEUDO_MAP_VALUE || insn.src === BPF_PSEUDO_MAP_IDX || insn.src === BPF_PSEUDO_MAP_IDX_VALUE) {
      // resolve_pseudo_ldimm64 checked the map, its use by this program type and the offset before the walk.
      const byIndex = insn.src === BPF_PSEUDO_MAP_IDX || insn.src === BPF_PSEUDO_MAP_IDX_VALUE;
      const fd = byIndex ? fdFromArray(env.log, env.req, insn.imm) : insn.imm;
      const map = env.req.maps?.get(fd);
      if (map === undefined) fail(env.log, 'EFAULT', 'verifier-bug', `verifier bug: fd ${String(fd)} was not resolved`);
      const isValue = insn.src === PSEUDO_MAP_VALUE || insn.src === BPF_PSEUDO_MAP_IDX_VALUE;
      // An arena's address is its user address: a plain value to the verifier.
      if (isValue && map.mapType === BpfMapType.BPF_MAP_TYPE_ARENA) env.writeReg(state, insn.dst, unknownScalar);
      else env.writeReg(state, insn.dst, !isValue
        ? pointer('map_ptr', 0, { mapFd: map.fd, valueSize: map.valueSize })
        : pointer('map_value', second.imm, { mapFd: map.fd, valueSize: map.valueSize }));
    } else if (insn.src === PSEUDO_FUNC) {
      // A callback's address: only with BTF func_info, and only of a static function.
      const subprog = env.subprogs.indexOf(pc + insn.imm + 1);
      const fi = funcInfoOf(env.req);
      if (fi === undefined) fail(env.log, 'EINVAL', 'missing-func-info', 'missing btf func_info');
      if (fi[subprog]?.linkage !== 0) fail(env.log, 'EINVAL', 'callback-not-static', 'callback function not static');
      env.writeReg(state, insn.dst, pointer('func', 0, { subprog }));
    } else if (insn.src === BPF_PSEUDO_BTF_ID) {
      // A ksym: resolve_pseudo_ldimm64 found it before the walk (insn_aux_data.btf_var).
      env.writeReg(state, insn.dst, checkPseudoBtfId(env.log, env.req, insn.imm, second.imm));
    } else {
      fail(env.log, 'EINVAL', 'bad-ld-imm64', 'unrecognized bpf_ld_imm64 insn');
    }
    return pc + 2;
  }
  const m = mode(insn.code);
  if (m === 0x20 || m === 0x40) {
    // Legacy packet loads: the skb must be in R6; the call clobbers R1-R5 and sets R0.
    // R6 is an implicit source operand (`check_reg_arg(ctx_reg, SRC_OP)`).
    const r6 = env.readReg(state, 6);
    checkResourceLeak(env, state, 'BPF_LD_[ABS|IND]');
    if (r6.type !== 'ctx') fail(env.log, 'EINVAL', 'ld-abs-ctx', 'at the time of BPF_LD_ABS|IND R6 != pointer to skb');
    if (m === 0x40) env.readReg(state, insn.src);
    for (let r = 1; r <= 5; r++) env.frame(state).regs[r] = notInit;
    // The kernel does not narrow the loaded value to its size (`mark_reg_unknown`).
    env.writeReg(state, 0, unknownScalar);
    // Inside a subprogram, the checker takes the failed load's return to the caller first (`isLdAbsInd`).
    return pc + 1;
  }
  return fail(env.log, 'EINVAL', 'unknown-opcode', `unknown opcode ${insn.code.toString(16).padStart(2, '0')}`);
}

/** `BPF_LD | BPF_ABS` or `BPF_IND`: a legacy packet load, which ends the program with R0 = 0 when it fails. */
export function isLdAbsInd(insn: Insn): boolean {
  const m = mode(insn.code);
  return cls(insn.code) === LD && (m === 0x20 || m === 0x40);
}
