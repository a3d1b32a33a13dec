import type { Insn } from '@bpfkit/asm';
import { KfuncFlag, type VerifierRequest } from '@bpfkit/kernel-api';
import { bpfFuncId } from '@bpfkit/uapi';
import { helperProto } from './helper-protos.js';
import { CALL, JMP, LDX, STX } from './insns.js';
import { isKfuncCall } from './kfunc-meta.js';

const STX_MEM_DW = STX | 0x60 | 0x18;
const LDX_MEM_DW = LDX | 0x60 | 0x18;
/** R0–R5: the registers a call may clobber. */
const CALLER_SAVED = 0x3f;
/** `S16_MIN`: below every stack offset, so no access keeps the pattern. */
const DISABLED = -32768;
const GET_SMP_PROCESSOR_ID = bpfFuncId('get_smp_processor_id');

/**
 * The `bpf_fastcall` contract (clang's attribute, kernel 6.12+): around a call to a helper or kfunc
 * that clobbers only its own arguments and result, the compiler spills the other caller-saved
 * registers to the bottom of the stack and fills them back. Where the kernel inlines the call, those
 * spills and fills are removed and the subprogram's stack shrinks by their slots
 * (`mark_fastcall_patterns`, `check_fastcall_stack_contract`, `remove_fastcall_spills_fills`).
 */
export class Fastcall {
  /** `insn_aux_data.fastcall_pattern`: the instruction is a spill, fill or call of a pattern. */
  private readonly pattern: Uint8Array;
  /** `insn_aux_data.fastcall_spills_num`, at the call: pairs removed when the call is inlined. */
  private readonly spills: Uint8Array;
  /** Per subprogram, `fastcall_stack_off`: the top of the stack region the patterns use (0: none). */
  private readonly stackOff: Int32Array;
  /** Per subprogram, `keep_fastcall_stack`: a pattern around a call that is not inlined keeps the stack. */
  private readonly keep: Uint8Array;

  constructor(private readonly insns: readonly Insn[], private readonly subprogs: readonly number[], req: VerifierRequest) {
    this.pattern = new Uint8Array(insns.length);
    this.spills = new Uint8Array(insns.length);
    this.stackOff = new Int32Array(subprogs.length);
    this.keep = new Uint8Array(subprogs.length);
    for (let s = 0; s + 1 < subprogs.length; s++) this.markSubprog(s, req);
  }

  private end(s: number): number {
    return this.subprogs[s + 1] ?? this.insns.length;
  }

  /** `mark_fastcall_patterns` for one subprogram: pairs are looked for upward from its lowest 8-byte spill. */
  private markSubprog(s: number, req: VerifierRequest): void {
    const start = this.subprogs[s] ?? 0, end = this.end(s);
    let lowest = 0;
    for (let i = start; i < end; i++) {
      const insn = this.insns[i];
      if (insn !== undefined && insn.code === STX_MEM_DW && insn.dst === 10) lowest = Math.min(lowest, insn.off);
    }
    for (let i = start; i < end; i++) {
      const insn = this.insns[i];
      if (insn?.code === (JMP | CALL)) this.markCall(s, i, lowest, req);
    }
  }

  /** `mark_fastcall_pattern_for_call`: spill/fill pairs of the registers the call keeps, closest first. */
  private markCall(s: number, pc: number, lowest: number, req: VerifierRequest): void {
    const call = this.insns[pc];
    const summary = call === undefined ? undefined : callSummary(call, req);
    if (summary === undefined) return;
    // R0 unless the function is void, and R1..Rn for its n parameters.
    const clobbered = ((1 << (summary.params + 1)) - 1) & ~(summary.isVoid ? 1 : 0);
    let expected = ~clobbered & CALLER_SAVED;
    let i = 1, off = lowest;
    for (; i <= 6; i++, off += 8) {
      if (pc - i < 0 || pc + i >= this.insns.length) break;
      const stx = this.insns[pc - i], ldx = this.insns[pc + i];
      if (stx === undefined || ldx === undefined) break;
      if (stx.code !== STX_MEM_DW || ldx.code !== LDX_MEM_DW || stx.dst !== 10 || ldx.src !== 10) break;
      if (stx.src !== ldx.dst || ((1 << stx.src) & expected) === 0) break;
      if (stx.off !== off || ldx.off !== off) break;
      expected &= ~(1 << stx.src);
      this.pattern[pc - i] = 1;
      this.pattern[pc + i] = 1;
    }
    if (i === 1) return;
    if (summary.inlined) this.spills[pc] = i - 1;
    else this.keep[s] = 1;
    this.stackOff[s] = Math.min(this.stackOff[s] ?? 0, off);
  }

  /**
   * `check_fastcall_stack_contract`: a stack access below the patterns' region that is not part of a
   * pattern means the region is used otherwise; the subprogram's patterns are then all dropped.
   */
  checkAccess(subprog: number, pc: number, off: number): void {
    if ((this.stackOff[subprog] ?? 0) <= off || this.pattern[pc] === 1) return;
    this.stackOff[subprog] = DISABLED;
    this.pattern.fill(0, this.subprogs[subprog] ?? 0, this.end(subprog));
    this.spills.fill(0, this.subprogs[subprog] ?? 0, this.end(subprog));
  }

  /**
   * `remove_fastcall_spills_fills`, after a successful walk: a subprogram whose inlined calls lose
   * their spills and fills only needs the stack above the patterns' region.
   */
  shrinkStack(stack: number[]): void {
    for (let s = 0; s + 1 < this.subprogs.length; s++) {
      let modified = false;
      for (let i = this.subprogs[s] ?? 0; i < this.end(s); i++) if ((this.spills[i] ?? 0) > 0) modified = true;
      if (modified && this.keep[s] !== 1) stack[s] = -(this.stackOff[s] ?? 0);
    }
  }
}

interface CallSummary {
  readonly params: number;
  readonly isVoid: boolean;
  /** The call follows the contract on this kernel: it is inlined (`bpf_fastcall` helpers) or a `KF_FASTCALL` kfunc. */
  readonly inlined: boolean;
}

/**
 * `get_call_summary`. Of the helpers marked `allow_fastcall`, x86-64 inlines only
 * `bpf_get_smp_processor_id` (the verifier does, with the JIT's per-CPU instructions).
 */
function callSummary(call: Insn, req: VerifierRequest): CallSummary | undefined {
  if (call.src === 0) {
    const proto = helperProto(call.imm);
    if (proto === undefined) return undefined;
    return { params: proto.args.length, isVoid: proto.ret === 'void', inlined: call.imm === GET_SMP_PROCESSOR_ID };
  }
  if (!isKfuncCall(call)) return undefined;
  const kfuncs = req.kfuncs;
  const fn = kfuncs?.btf.type(call.imm >>> 0);
  const proto = fn === undefined ? undefined : kfuncs?.btf.type(fn.type ?? 0);
  const flags = kfuncs?.flags(call.imm >>> 0);
  if (proto?.kind !== 'FUNC_PROTO' || flags === undefined) return undefined;
  return { params: proto.params?.length ?? 0, isVoid: (proto.type ?? 0) === 0, inlined: (flags & KfuncFlag.FASTCALL) !== 0 };
}
