import { formatLogInsn, type Insn } from '@bpfkit/asm';
import type { ProgTypeDescriptor, VerifierRequest } from '@bpfkit/kernel-api';
import { bpfFuncName, BPF_FUNC_MAX_ID } from '@bpfkit/uapi';
import { ALU_OP_NAMES, AND, END, MOV, NEG, scalarAlu, ADD, SUB, DIV, MOD, LSH, RSH, ARSH } from './alu.js';
import { helperProto, type ArgType } from './helper-protos.js';
import {
  ALU, ALU64, CALL, cls, EXIT, JA, JMP, JMP32, jumpTarget, LD, LD_IMM64, LDX, mode, op, PSEUDO_CALL, PSEUDO_MAP_FD,
  PSEUDO_MAP_VALUE, sizeBytes, srcX, ST, STX,
} from './insns.js';
import { fail, type VerifierLog } from './log.js';
import {
  cloneState, constScalar, formatReg, isPointer, notInit, regTypeStr, unknownScalar, U64, type FrameState, type RegState,
  type StackSlot, type VState,
} from './state.js';

/** `BPF_COMPLEXITY_LIMIT_INSNS`. */
export const COMPLEXITY_LIMIT_INSNS = 1_000_000;
const MAX_BPF_STACK = 512;
const MAX_CALL_FRAMES = 8;
/** Context sizes (`sizeof` of the ctx struct) for the ctx bounds check of this first part. */
const CTX_SIZE: Readonly<Record<number, number>> = { 1: 192, 3: 192, 4: 192, 8: 192, 10: 192, 11: 192, 12: 192, 14: 192, 2: 168, 6: 24 };

interface Pending { state: VState; pc: number; from: number; logPos: number }

export interface CheckResult { insnProcessed: number; stackDepth: number }

/** `do_check`: walks every path of the program, one instruction at a time, on abstract register and stack states. */
export class Checker {
  private insnProcessed = 0;
  private maxStack = 0;
  private nextId = 1;
  private scratched = new Set<number>();
  private scratchedStack = new Set<number>();
  private readonly pending: Pending[] = [];

  constructor(
    private readonly log: VerifierLog,
    private readonly insns: readonly Insn[],
    private readonly req: VerifierRequest,
    private readonly progType: ProgTypeDescriptor | undefined,
    private readonly subprogs: readonly number[],
  ) {}

  /** `env->insn_processed`. */
  get processed(): number {
    return this.insnProcessed;
  }

  run(): CheckResult {
    const regs: RegState[] = Array.from({ length: 11 }, () => notInit);
    regs[1] = { type: 'ctx', off: 0 };
    regs[10] = { type: 'fp', off: 0, frame: 0 };
    let state: VState = { frames: [{ regs, stack: [], returnTo: -1, subprog: 0 }] };
    let pc = 0;
    let printState = true;
    let from = -1;
    for (;;) {
      if (++this.insnProcessed > COMPLEXITY_LIMIT_INSNS) {
        fail(this.log, 'E2BIG', 'too-many-insns', `BPF program is too large. Processed ${String(this.insnProcessed)} insn`);
      }
      const insn = this.insns[pc];
      if (insn === undefined) fail(this.log, 'EINVAL', 'fall-off', `invalid insn idx ${String(pc)} insn_cnt ${String(this.insns.length)}`);
      if (printState && this.log.verbose) {
        const full = this.stateText(state, true);
        if (this.log.level2 && from >= 0) this.log.line(`\nfrom ${String(from)} to ${String(pc)}:${full}`);
        else this.log.line(`${String(pc)}:${full}`);
      }
      printState = false;
      const insnText = `${String(pc)}: ${formatLogInsn(insn, { allowPtrLeaks: this.req.privileges.allowPtrLeaks })}`;
      this.log.line(insnText);
      const afterInsn = this.log.pos;
      this.scratched.clear();
      this.scratchedStack.clear();
      const next = this.step(state, insn, pc);
      if (next !== 'exit' && this.log.verbose && this.log.pos === afterInsn) {
        const delta = this.stateText(state, false);
        if (delta !== '') {
          this.log.reset(afterInsn - 1);
          const width = Math.ceil(Math.max(insnText.length + 4, 40) / 8) * 8 - insnText.length - 2;
          this.log.line(`${' '.repeat(width)};${delta}`);
        }
      }
      if (next === 'exit') {
        const popped = this.pending.pop();
        if (popped === undefined) break;
        if (!this.log.level2) this.log.reset(popped.logPos);
        state = popped.state;
        pc = popped.pc;
        from = popped.from;
        printState = true;
        continue;
      }
      pc = next;
    }
    return { insnProcessed: this.insnProcessed, stackDepth: this.maxStack };
  }

  private frame(state: VState): FrameState {
    const f = state.frames[state.frames.length - 1];
    if (f === undefined) throw new Error('verifier: no frame');
    return f;
  }

  private stateText(state: VState, full: boolean): string {
    const f = this.frame(state);
    const parts: string[] = [];
    f.regs.forEach((r, i) => {
      if (r.type === 'not_init') return;
      if (full || this.scratched.has(i)) parts.push(`R${String(i)}=${formatReg(r)}`);
    });
    f.stack.forEach((slot, i) => {
      if (!(full || this.scratchedStack.has(i))) return;
      if (slot.bytes.every((b) => b === 'invalid')) return;
      const name = `fp-${String((i + 1) * 8)}`;
      if (slot.spilled !== undefined && slot.bytes.every((b) => b === 'spill')) parts.push(`${name}=${formatReg(slot.spilled)}`);
      else parts.push(`${name}=${slot.bytes.map((b) => ({ invalid: '?', misc: 'm', zero: '0', spill: 'r' })[b]).reverse().join('')}`);
    });
    return parts.length === 0 ? '' : ` ${parts.join(' ')}`;
  }

  /** `check_reg_arg(SRC_OP)`. */
  private readReg(state: VState, regno: number): RegState {
    this.scratched.add(regno);
    const r = this.frame(state).regs[regno] ?? notInit;
    if (r.type === 'not_init') fail(this.log, 'EACCES', 'uninit-reg', `R${String(regno)} !read_ok`);
    return r;
  }

  /** `check_reg_arg(DST_OP)`. */
  private writeReg(state: VState, regno: number, value: RegState): void {
    if (regno === 10) fail(this.log, 'EACCES', 'fp-read-only', 'frame pointer is read only');
    this.scratched.add(regno);
    this.frame(state).regs[regno] = value;
  }

  private checkRegNo(regno: number): void {
    if (regno > 10) fail(this.log, 'EINVAL', 'bad-reg', `R${String(regno)} is invalid`);
  }

  private step(state: VState, insn: Insn, pc: number): number | 'exit' {
    const c = cls(insn.code);
    this.checkRegNo(insn.dst);
    this.checkRegNo(insn.src);
    switch (c) {
      case ALU:
      case ALU64:
        this.alu(state, insn, c === ALU64);
        return pc + 1;
      case LDX:
        this.ldx(state, insn);
        return pc + 1;
      case STX:
      case ST:
        this.store(state, insn, c === ST);
        return pc + 1;
      case LD:
        return this.ld(state, insn, pc);
      case JMP:
      case JMP32:
        return this.jmp(state, insn, pc, c === JMP32);
      default:
        return fail(this.log, 'EINVAL', 'unknown-opcode', `unknown opcode ${insn.code.toString(16).padStart(2, '0')}`);
    }
  }

  private alu(state: VState, insn: Insn, is64: boolean): void {
    const o = op(insn.code);
    if (o > END) fail(this.log, 'EINVAL', 'bad-alu-op', `invalid BPF_ALU opcode ${o.toString(16)}`);
    const useX = srcX(insn.code) && o !== NEG && o !== END;
    if (o === NEG || o === END) {
      const dst = this.readReg(state, insn.dst);
      if (isPointer(dst)) fail(this.log, 'EACCES', 'ptr-arith', `R${String(insn.dst)} pointer arithmetic with ${ALU_OP_NAMES[o] ?? '?'} operator prohibited`);
      this.writeReg(state, insn.dst, scalarAlu(o, dst, constScalar(0n), is64 || o === END, false, insn.imm, srcX(insn.code)));
      return;
    }
    const src = useX ? this.readReg(state, insn.src) : constScalar(BigInt(insn.imm));
    if (!useX && (o === DIV || o === MOD) && insn.imm === 0) fail(this.log, 'EINVAL', 'div-by-zero', 'division by zero');
    if (!useX && (o === LSH || o === RSH || o === ARSH) && (insn.imm < 0 || insn.imm >= (is64 ? 64 : 32))) {
      fail(this.log, 'EINVAL', 'bad-shift', `invalid shift ${String(insn.imm)}`);
    }
    if (o === MOV) {
      if (isPointer(src)) {
        if (!is64) {
          if (!this.req.privileges.allowPtrLeaks) fail(this.log, 'EACCES', 'partial-ptr-copy', `R${String(insn.src)} partial copy of pointer`);
          this.writeReg(state, insn.dst, { type: 'scalar', off: 0, umin: 0n, umax: 0xffffffffn });
          return;
        }
        this.writeReg(state, insn.dst, src);
        return;
      }
      let v = src;
      if (insn.off !== 0 && v.value !== undefined) v = constScalar(BigInt.asIntN(insn.off, v.value));
      this.writeReg(state, insn.dst, scalarAlu(MOV, unknownScalar, v, is64, false, 0, false));
      return;
    }
    const dst = this.readReg(state, insn.dst);
    if (isPointer(dst) || isPointer(src)) {
      this.pointerAlu(state, insn, o, dst, src, is64);
      return;
    }
    this.writeReg(state, insn.dst, scalarAlu(o, dst, src, is64, insn.off === 1, insn.imm, false));
  }

  /** `adjust_ptr_min_max_vals`, constant offsets only in this first part. */
  private pointerAlu(state: VState, insn: Insn, o: number, dst: RegState, src: RegState, is64: boolean): void {
    const d = insn.dst;
    if (!is64) fail(this.log, 'EACCES', 'ptr-arith-32', `R${String(d)} 32-bit pointer arithmetic prohibited`);
    if (isPointer(dst) && isPointer(src)) {
      if (o === SUB && this.req.privileges.allowPtrLeaks) { this.writeReg(state, d, unknownScalar); return; }
      fail(this.log, 'EACCES', 'ptr-arith', `R${String(d)} pointer ${ALU_OP_NAMES[o] ?? '?'} pointer prohibited`);
    }
    const ptr = isPointer(dst) ? dst : src;
    const scalar = isPointer(dst) ? src : dst;
    if (o !== ADD && !(o === SUB && isPointer(dst))) {
      fail(this.log, 'EACCES', 'ptr-arith', `R${String(d)} pointer arithmetic with ${ALU_OP_NAMES[o] ?? '?'} operator prohibited`);
    }
    if (ptr.type === 'map_value_or_null' || ptr.type === 'ringbuf_mem_or_null') {
      fail(this.log, 'EACCES', 'ptr-arith-or-null', `R${String(d)} pointer arithmetic on ${regTypeStr(ptr)} prohibited, null-check it first`);
    }
    if (ptr.type === 'map_ptr') fail(this.log, 'EACCES', 'ptr-arith', `R${String(d)} pointer arithmetic on map_ptr prohibited`);
    if (scalar.value === undefined) {
      fail(this.log, 'EACCES', 'unsupported', `R${String(d)} variable offset pointer arithmetic is not modelled yet`);
    }
    const delta = Number(BigInt.asIntN(64, scalar.value));
    this.writeReg(state, d, { ...ptr, off: o === SUB ? ptr.off - delta : ptr.off + delta });
  }

  private ldx(state: VState, insn: Insn): void {
    const m = mode(insn.code);
    if (m !== 0x60 && m !== 0x80) fail(this.log, 'EINVAL', 'bad-ldx', `unknown opcode ${insn.code.toString(16).padStart(2, '0')}`);
    const ptr = this.readReg(state, insn.src);
    const size = sizeBytes(insn.code);
    const value = this.memAccess(state, insn.src, ptr, insn.off, size, false, undefined);
    this.writeReg(state, insn.dst, value);
  }

  private store(state: VState, insn: Insn, isSt: boolean): void {
    const m = mode(insn.code);
    if (m !== 0x60) fail(this.log, 'EACCES', 'unsupported', `store mode ${m.toString(16)} is not modelled yet`);
    const value = isSt ? constScalar(BigInt(insn.imm)) : this.readReg(state, insn.src);
    const ptr = this.readReg(state, insn.dst);
    if (isSt && ptr.type === 'ctx') fail(this.log, 'EACCES', 'st-ctx', `BPF_ST stores into R${String(insn.dst)} ctx is not allowed`);
    this.memAccess(state, insn.dst, ptr, insn.off, sizeBytes(insn.code), true, value);
  }

  /** `check_mem_access` for the pointer kinds of this first part. Returns the loaded value for reads. */
  private memAccess(state: VState, regno: number, ptr: RegState, off: number, size: number, write: boolean, value: RegState | undefined): RegState {
    const r = String(regno);
    switch (ptr.type) {
      case 'fp':
        return this.stackAccess(state, regno, ptr, off, size, write, value);
      case 'ctx': {
        if (ptr.off !== 0) fail(this.log, 'EACCES', 'modified-ctx', `dereference of modified ctx ptr R${r} off=${String(ptr.off)} disallowed`);
        const ctxSize = CTX_SIZE[this.req.progType] ?? 256;
        if (write || off < 0 || off + size > ctxSize || off % size !== 0) {
          fail(this.log, 'EACCES', 'ctx-access', `invalid bpf_context access off=${String(off)} size=${String(size)}`);
        }
        return size === 8 ? unknownScalar : { type: 'scalar', off: 0, umin: 0n, umax: (1n << BigInt(size * 8)) - 1n };
      }
      case 'map_value':
      case 'ringbuf_mem': {
        const vs = ptr.valueSize ?? 0;
        const at = ptr.off + off;
        if (at < 0 || at + size > vs) {
          fail(this.log, 'EACCES', 'map-value-access', `invalid access to map value, value_size=${String(vs)} off=${String(at)} size=${String(size)}`);
        }
        if (write && value !== undefined && isPointer(value) && !this.req.privileges.allowPtrLeaks) {
          fail(this.log, 'EACCES', 'ptr-leak', `R${r} leaks addr into map`);
        }
        return size === 8 ? unknownScalar : { type: 'scalar', off: 0, umin: 0n, umax: (1n << BigInt(size * 8)) - 1n };
      }
      default:
        return fail(this.log, 'EACCES', 'invalid-mem-access', `R${r} invalid mem access '${regTypeStr(ptr)}'`);
    }
  }

  private slotOf(f: FrameState, i: number): StackSlot {
    while (f.stack.length <= i) f.stack.push({ bytes: Array.from({ length: 8 }, () => 'invalid' as const) });
    const s = f.stack[i];
    if (s === undefined) throw new Error('verifier: stack slot');
    return s;
  }

  /** `check_stack_access_within_bounds`. */
  private stackBounds(regno: number, at: number, size: number, write: boolean): void {
    let code: 'EACCES' | 'EINVAL' | undefined;
    if (at < -MAX_BPF_STACK || at > -1) code = 'EACCES';
    else if (at + size > 0) code = 'EINVAL';
    if (code !== undefined) {
      fail(this.log, code, 'stack-bounds', `invalid ${write ? 'write to' : 'read from'} stack R${String(regno)} off=${String(at)} size=${String(size)}`);
    }
  }

  private stackAccess(state: VState, regno: number, ptr: RegState, off: number, size: number, write: boolean, value: RegState | undefined): RegState {
    const at = ptr.off + off;
    if (at % size !== 0) {
      fail(this.log, 'EACCES', 'misaligned-stack', `misaligned stack access off 0+${String(ptr.off)}+${String(off)} size ${String(size)}`);
    }
    this.stackBounds(regno, at, size, write);
    const f = state.frames[ptr.frame ?? state.frames.length - 1] ?? this.frame(state);
    this.maxStack = Math.max(this.maxStack, -at);
    const idx = Math.floor((-at - 1) / 8);
    const slot = this.slotOf(f, idx);
    this.scratchedStack.add(idx);
    const first = at + (idx + 1) * 8;
    if (write) {
      if (size === 8 && value !== undefined && (isPointer(value) || value.value !== undefined)) {
        slot.bytes = Array.from({ length: 8 }, () => 'spill' as const);
        slot.spilled = value;
      } else {
        if (slot.spilled !== undefined) {
          slot.bytes = slot.bytes.map((b) => (b === 'spill' ? 'misc' : b));
          delete slot.spilled;
        }
        const zero = value?.value === 0n;
        for (let i = first; i < first + size; i++) slot.bytes[i] = zero ? 'zero' : 'misc';
      }
      return unknownScalar;
    }
    if (size === 8 && slot.spilled !== undefined && slot.bytes.every((b) => b === 'spill')) return slot.spilled;
    const bytes = slot.bytes.slice(first, first + size);
    if (bytes.some((b) => b === 'invalid') && !this.req.privileges.allowUninitStack) {
      fail(this.log, 'EACCES', 'uninit-stack-read', `invalid read from stack off ${String(at)}+0 size ${String(size)}`);
    }
    if (bytes.every((b) => b === 'zero')) return constScalar(0n);
    return size === 8 ? unknownScalar : { type: 'scalar', off: 0, umin: 0n, umax: (1n << BigInt(size * 8)) - 1n };
  }

  private ld(state: VState, insn: Insn, pc: number): number {
    if (insn.code === LD_IMM64) {
      const second = insn.second;
      if (second === undefined) fail(this.log, 'EINVAL', 'bad-ld-imm64', 'invalid BPF_LD_IMM insn');
      if (insn.src === 0) {
        this.writeReg(state, insn.dst, constScalar((BigInt(second.imm >>> 0) << 32n) | BigInt(insn.imm >>> 0)));
      } else if (insn.src === PSEUDO_MAP_FD || insn.src === PSEUDO_MAP_VALUE) {
        const map = this.req.maps?.get(insn.imm);
        if (map === undefined) fail(this.log, 'EBADF', 'bad-map-fd', `fd ${String(insn.imm)} is not pointing to valid bpf_map`);
        this.writeReg(state, insn.dst, insn.src === PSEUDO_MAP_FD
          ? { type: 'map_ptr', off: 0, mapFd: map.fd, valueSize: map.valueSize }
          : { type: 'map_value', off: second.imm, mapFd: map.fd, valueSize: map.valueSize });
      } else {
        fail(this.log, 'EINVAL', 'unsupported', `ld_imm64 with src_reg ${String(insn.src)} is not modelled yet`);
      }
      return pc + 2;
    }
    const m = mode(insn.code);
    if (m === 0x20 || m === 0x40) {
      // Legacy packet loads: the skb must be in R6; the call clobbers R1-R5 and sets R0.
      const r6 = this.frame(state).regs[6] ?? notInit;
      if (r6.type !== 'ctx') fail(this.log, 'EINVAL', 'ld-abs-ctx', 'at the time of BPF_LD_ABS|IND R6 != pointer to skb');
      if (m === 0x40) this.readReg(state, insn.src);
      for (let r = 1; r <= 5; r++) this.frame(state).regs[r] = notInit;
      this.writeReg(state, 0, { type: 'scalar', off: 0, umin: 0n, umax: (1n << BigInt(sizeBytes(insn.code) * 8)) - 1n });
      return pc + 1;
    }
    return fail(this.log, 'EINVAL', 'unknown-opcode', `unknown opcode ${insn.code.toString(16).padStart(2, '0')}`);
  }

  private jmp(state: VState, insn: Insn, pc: number, is32: boolean): number | 'exit' {
    const o = op(insn.code);
    if (o === EXIT) return this.exit(state);
    if (o === CALL) {
      if (insn.src === PSEUDO_CALL) return this.callSubprog(state, insn, pc);
      this.callHelper(state, insn);
      return pc + 1;
    }
    if (o === JA) return jumpTarget(insn, pc);
    if (o === 0xe0 || o === 0xf0) fail(this.log, 'EINVAL', 'unknown-opcode', `unknown opcode ${insn.code.toString(16).padStart(2, '0')}`);
    const dst = this.readReg(state, insn.dst);
    const src = srcX(insn.code) ? this.readReg(state, insn.src) : constScalar(BigInt(insn.imm));
    const target = jumpTarget(insn, pc);
    const nullCheck = (o === 0x10 || o === 0x50) && !isPointer(src) && src.value === 0n &&
      (dst.type === 'map_value_or_null' || dst.type === 'ringbuf_mem_or_null');
    if (!nullCheck && (isPointer(dst) || isPointer(src)) && !this.req.privileges.allowPtrLeaks) {
      fail(this.log, 'EACCES', 'ptr-compare', `R${String(insn.dst)} pointer comparison prohibited`);
    }
    const taken = nullCheck ? undefined : branchTaken(o, dst, src, is32);
    if (taken === true) return target;
    if (taken === false) return pc + 1;
    const other = cloneState(state);
    if (nullCheck) {
      const id = dst.id;
      const isNull = (s: VState, yes: boolean): void => {
        for (const f of s.frames) {
          f.regs = f.regs.map((r) => (r.id === id && (r.type === 'map_value_or_null' || r.type === 'ringbuf_mem_or_null')
            ? (yes ? constScalar(0n) : { ...r, type: r.type === 'map_value_or_null' ? 'map_value' : 'ringbuf_mem' })
            : r));
        }
      };
      // JEQ 0: the jump is taken when null; JNE 0: when not null.
      isNull(other, o === 0x10);
      isNull(state, o !== 0x10);
    }
    this.pending.push({ state: other, pc: target, from: pc, logPos: this.log.pos });
    return pc + 1;
  }

  private callSubprog(state: VState, insn: Insn, pc: number): number {
    if (state.frames.length >= MAX_CALL_FRAMES) {
      fail(this.log, 'E2BIG', 'call-stack-too-deep', `the call stack of ${String(state.frames.length + 1)} frames is too deep !`);
    }
    const target = pc + insn.imm + 1;
    const caller = this.frame(state);
    const regs: RegState[] = Array.from({ length: 11 }, (_, i) => (i >= 1 && i <= 5 ? caller.regs[i] ?? notInit : notInit));
    regs[10] = { type: 'fp', off: 0, frame: state.frames.length };
    state.frames.push({ regs, stack: [], returnTo: pc + 1, subprog: this.subprogs.indexOf(target) });
    return target;
  }

  private exit(state: VState): number | 'exit' {
    const f = this.frame(state);
    if (state.frames.length > 1) {
      const r0 = this.readReg(state, 0);
      state.frames.pop();
      const caller = this.frame(state);
      for (let r = 1; r <= 5; r++) caller.regs[r] = notInit;
      caller.regs[0] = r0;
      return f.returnTo;
    }
    this.checkReturnCode(state);
    return 'exit';
  }

  /** `check_return_code` for the main program. */
  private checkReturnCode(state: VState): void {
    const r0 = this.readReg(state, 0);
    if (isPointer(r0) && !this.req.privileges.allowPtrLeaks) fail(this.log, 'EACCES', 'ptr-leak', 'R0 leaks addr as return value');
    const range = this.progType?.returnRange(this.req.expectedAttachType);
    if (range === undefined) return;
    if (r0.type !== 'scalar') {
      fail(this.log, 'EINVAL', 'bad-return', `At program exit the register R0 is not a known value (${regTypeStr(r0)})`);
    }
    const smin = r0.value !== undefined ? BigInt.asIntN(64, r0.value) : (r0.umax ?? U64) <= 0x7fffffffffffffffn ? r0.umin ?? 0n : -(1n << 63n);
    const smax = r0.value !== undefined ? BigInt.asIntN(64, r0.value) : (r0.umax ?? U64) <= 0x7fffffffffffffffn ? r0.umax ?? U64 : (1n << 63n) - 1n;
    if (smin < BigInt(range.min) || smax > BigInt(range.max)) {
      fail(this.log, 'EINVAL', 'bad-return',
        `At program exit the register R0 has smin=${smin.toString()} smax=${smax.toString()} should have been in [${String(range.min)}, ${String(range.max)}]`);
    }
  }

  /** `check_helper_call`. */
  private callHelper(state: VState, insn: Insn): void {
    const id = insn.imm;
    if (insn.src !== 0) fail(this.log, 'EINVAL', 'unsupported', `call with src_reg ${String(insn.src)} is not modelled yet`);
    const name = id === 0 ? 'unspec' : bpfFuncName(id);
    if (id < 0 || id >= BPF_FUNC_MAX_ID || name === undefined) {
      fail(this.log, 'EINVAL', 'unknown-func', `invalid func unknown#${String(id)}`);
    }
    const privileges = { bpfCapable: this.req.privileges.bpfCapable, perfmonCapable: this.req.privileges.perfmonCapable };
    if (id === 0 || this.progType?.isHelperAllowed(id, this.req.expectedAttachType, privileges) !== true) {
      fail(this.log, 'EINVAL', 'helper-not-allowed', `program of this type cannot use helper bpf_${name}#${String(id)}`);
    }
    const proto = helperProto(id);
    if (proto?.gplOnly === true && !this.req.gplCompatible) {
      fail(this.log, 'EINVAL', 'gpl-only', 'cannot call GPL-restricted function from non-GPL compatible program');
    }
    let mapValueSize = 0;
    let lastMem: { regno: number; reg: RegState; write: boolean } | undefined;
    proto?.args.forEach((arg, i) => {
      const regno = i + 1;
      const reg = this.readReg(state, regno);
      const res = this.checkArg(state, regno, reg, arg, mapValueSize, lastMem);
      if (arg === 'map') mapValueSize = reg.valueSize ?? 0;
      lastMem = res;
    });
    const f = this.frame(state);
    for (let r = 1; r <= 5; r++) f.regs[r] = notInit;
    const ret = proto?.ret ?? 'integer';
    if (ret === 'map_value_or_null' || ret === 'ringbuf_mem_or_null') {
      const arg1 = proto?.args[0] === 'map' ? mapValueSize : 0;
      this.writeReg(state, 0, { type: ret, off: 0, valueSize: ret === 'map_value_or_null' ? arg1 : this.lastAllocSize, id: this.nextId++ });
    } else {
      this.writeReg(state, 0, unknownScalar);
    }
  }

  private lastAllocSize = 0;

  private checkArg(state: VState, regno: number, reg: RegState, arg: ArgType, mapValueSize: number,
    lastMem: { regno: number; reg: RegState; write: boolean } | undefined): { regno: number; reg: RegState; write: boolean } | undefined {
    const r = `R${String(regno)}`;
    const expect = (ok: boolean, expected: string): void => {
      if (!ok) fail(this.log, 'EACCES', 'bad-arg-type', `${r} type=${regTypeStr(reg)} expected=${expected}`);
    };
    switch (arg) {
      case 'anything':
        return undefined;
      case 'ctx':
        expect(reg.type === 'ctx', 'ctx');
        return undefined;
      case 'map':
        expect(reg.type === 'map_ptr', 'map_ptr');
        return undefined;
      case 'map_key':
      case 'map_value': {
        expect(reg.type === 'fp' || reg.type === 'map_value', 'fp, pkt, pkt_meta, map_key, map_value');
        const size = arg === 'map_key' ? 4 : mapValueSize;
        if (reg.type === 'fp') this.stackRange(state, regno, reg, size, false);
        return undefined;
      }
      case 'uninit_mem':
      case 'mem':
        expect(reg.type === 'fp' || reg.type === 'map_value' || reg.type === 'ringbuf_mem',
          'fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_');
        return { regno, reg, write: arg === 'uninit_mem' };
      case 'const_size':
      case 'const_size_or_zero':
      case 'const_alloc_size_or_zero': {
        if (reg.type !== 'scalar') fail(this.log, 'EACCES', 'bad-arg-type', `${r} type=${regTypeStr(reg)} expected=scalar`);
        if (reg.value === undefined) {
          fail(this.log, 'EACCES', 'unsupported', `${r} variable-size memory arguments are not modelled yet`);
        }
        const size = Number(BigInt.asIntN(64, reg.value));
        if (size === 0 && arg === 'const_size') {
          fail(this.log, 'EACCES', 'zero-size', `${r} invalid zero-sized read: u64=[0,0]`);
        }
        if (arg === 'const_alloc_size_or_zero') { this.lastAllocSize = size; return undefined; }
        if (lastMem !== undefined && size > 0) this.memArg(state, lastMem.regno, lastMem.reg, size, lastMem.write);
        return undefined;
      }
    }
  }

  /** `check_helper_mem_access` for a constant size. */
  private memArg(state: VState, regno: number, reg: RegState, size: number, write: boolean): void {
    if (reg.type === 'fp') { this.stackRange(state, regno, reg, size, write); return; }
    const vs = reg.valueSize ?? 0;
    if (reg.off < 0 || reg.off + size > vs) {
      fail(this.log, 'EACCES', 'map-value-access', `invalid access to map value, value_size=${String(vs)} off=${String(reg.off)} size=${String(size)}`);
    }
  }

  /** `check_stack_range_initialized`: a helper reads or writes `size` bytes at a stack pointer. */
  private stackRange(state: VState, regno: number, reg: RegState, size: number, write: boolean): void {
    const at = reg.off;
    this.stackBounds(regno, at, size, write);
    const f = state.frames[reg.frame ?? state.frames.length - 1] ?? this.frame(state);
    this.maxStack = Math.max(this.maxStack, -at);
    for (let i = 0; i < size; i++) {
      const byteAt = at + i;
      const idx = Math.floor((-byteAt - 1) / 8);
      const slot = this.slotOf(f, idx);
      const b = byteAt + (idx + 1) * 8;
      if (write) {
        if (slot.spilled !== undefined) { slot.bytes = slot.bytes.map((x) => (x === 'spill' ? 'misc' : x)); delete slot.spilled; }
        slot.bytes[b] = 'misc';
        this.scratchedStack.add(idx);
      } else if (slot.bytes[b] === 'invalid' && !this.req.privileges.allowUninitStack) {
        fail(this.log, 'EACCES', 'uninit-stack-read', `invalid read from stack R${String(regno)} off ${String(at)}+${String(i)} size ${String(size)}`);
      }
    }
  }
}

/** `is_branch_taken` for constants: true/false when decided, undefined when both ways are possible. */
function branchTaken(o: number, dst: RegState, src: RegState, is32: boolean): boolean | undefined {
  if (dst.value === undefined || src.value === undefined || isPointer(dst) || isPointer(src)) return undefined;
  const bits = is32 ? 32 : 64;
  const a = BigInt.asUintN(bits, dst.value), b = BigInt.asUintN(bits, src.value);
  const sa = BigInt.asIntN(bits, a), sb = BigInt.asIntN(bits, b);
  switch (o) {
    case 0x10: return a === b;
    case 0x50: return a !== b;
    case 0x20: return a > b;
    case 0x30: return a >= b;
    case 0xa0: return a < b;
    case 0xb0: return a <= b;
    case 0x40: return (a & b) !== 0n;
    case 0x60: return sa > sb;
    case 0x70: return sa >= sb;
    case 0xc0: return sa < sb;
    case 0xd0: return sa <= sb;
    default: return undefined;
  }
}

export { AND, MOV };
