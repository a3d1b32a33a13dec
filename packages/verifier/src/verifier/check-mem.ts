import type { Insn } from '@bpfkit/asm';
import { coerceToSizeSx, copyBounds, S64_MIN } from './bounds.js';
import { ctxAccess, mayAccessDirectPktData, sockAccess } from './ctx-access.js';
import { markChainPrecision } from './precision.js';
import { mapDirectRead } from './map-direct-read.js';
import { saveAuxPtrType } from './probe-mem.js';
import { assignScalarIdBeforeMov } from './check-alu.js';
import { destroyIfDynptrSlot } from './dynptr-slots.js';
import type { VerifierEnv } from './env.js';
import { mode, sizeBytes } from './insns.js';
import { fail, Reject } from './log.js';
import { checkMapKptrAccess, checkMapValueFields, kptrFieldAt, kptrLoadReg, regMap } from './map-fields.js';
import {
  byteAt, checkStackRangeInit, checkStackReadFixedOff, checkStackWriteFixedOff, checkStackWriteVarOff, MAX_BPF_STACK, narrowLoaded, slotOf,
} from './stack.js';
import { checkBtfAccess, checkMapPtrAccess } from './btf-access.js';
import { netfilterCtxPointer, tpBtfCtxPointer } from './tracing-ctx.js';
import { constScalar, isPointer, pointer, regConst, regTypeStr, scalarOf, unknownScalar, type FrameState, type RegState, type VState } from './state.js';
import { tnumAdd, tnumConst, tnumIsConst, tnumStr } from './tnum.js';

export { MAX_BPF_STACK, slotOf };

const MEM = 0x60, MEMSX = 0x80, ATOMIC = 0xc0;
const MAX_VAR_OFF = 1 << 29;
/** `sizeof(struct bpf_flow_keys)`. */
const FLOW_KEYS_SIZE = 56;

/** A context access the program type refuses; `check_mem_access` names its source line after the error. */
function failCtxAccess(env: VerifierEnv, off: number, size: number): never {
  const message = `invalid bpf_context access off=${String(off)} size=${String(size)}`;
  env.log.line(message);
  env.req.lineInfo?.print(env.log, env.insnIdx, '; ');
  throw new Reject('EACCES', 'verifier:ctx-access', message);
}

/** BPF_LDX: `check_mem_access` read into dst (MEMSX: sign-extended). */
export function checkLdx(env: VerifierEnv, state: VState, insn: Insn): void {
  const m = mode(insn.code);
  if (m !== MEM && m !== MEMSX) fail(env.log, 'EINVAL', 'bad-ldx', `unknown opcode ${insn.code.toString(16).padStart(2, '0')}`);
  const ptr = env.readReg(state, insn.src);
  const size = sizeBytes(insn.code);
  let value = checkMemAccess(env, state, insn.src, ptr, insn.off, size, false, undefined, undefined);
  // The context's pointer fields (data, data_end, data_meta, flow_keys, sk…) refuse a sign-extending load
  // in every program type's is_valid_access; the check lands after the table lookup here, with nothing logged between.
  if (m === MEMSX && ptr.type === 'ctx' && isPointer(value)) {
    failCtxAccess(env, insn.off + ptr.off, size);
  }
  // The pointer kind is remembered once the access itself passed (`check_load_mem`).
  saveAuxPtrType(env, ptr, true);
  if (value.type === 'scalar' && size < 8) {
    if (m === MEMSX) {
      const b = copyBounds(value);
      coerceToSizeSx(b, size, false);
      value = scalarOf(b);
    } else {
      value = narrowLoaded(value, size);
    }
  }
  env.writeReg(state, insn.dst, value);
}

/** BPF_STX / BPF_ST: `check_mem_access` write; BPF_ATOMIC goes to `check_atomic`. */
export function checkStore(env: VerifierEnv, state: VState, insn: Insn, isSt: boolean, pc: number): void {
  const m = mode(insn.code);
  if (m === ATOMIC && !isSt) { checkAtomic(env, state, insn, pc); return; }
  if (m !== MEM) fail(env.log, 'EINVAL', 'bad-st', isSt ? 'BPF_ST uses reserved fields' : 'BPF_STX uses reserved fields');
  let value = isSt ? undefined : env.readReg(state, insn.src);
  const ptr = env.readReg(state, insn.dst);
  // `assign_scalar_id_before_mov`: a scalar spilled whole keeps a link to the register it came from.
  const size = sizeBytes(insn.code);
  if (value?.type === 'scalar' && env.privileges.bpfCapable && ptr.type === 'fp' &&
    tnumIsConst(ptr.varOff) && (ptr.off + insn.off) % 8 === 0 && (value.umax === 0n ? 0 : value.umax.toString(2).length) <= size * 8) {
    value = assignScalarIdBeforeMov(env, state, insn.src, value);
  }
  // Since 6.3 a BPF_ST into the context is checked like a BPF_STX, by the program type's context table.
  checkMemAccess(env, state, insn.dst, ptr, insn.off, size, true, value, isSt ? BigInt(insn.imm) : undefined, pc);
  saveAuxPtrType(env, ptr, false);
}

const FETCH = 0x01, XCHG = 0xe0 | FETCH, CMPXCHG = 0xf0 | FETCH;
const ATOMIC_OPS = new Set([0x00, 0x40, 0x50, 0xa0]);

/** `check_atomic`: read-modify-write of stack or map memory; the FETCH forms load the old value. */
function checkAtomic(env: VerifierEnv, state: VState, insn: Insn, pc: number): void {
  const imm = insn.imm;
  const base = imm & ~FETCH;
  if (!(ATOMIC_OPS.has(base) || imm === XCHG || imm === CMPXCHG)) {
    fail(env.log, 'EINVAL', 'bad-atomic', `BPF_ATOMIC uses invalid atomic opcode ${(imm & 0xff).toString(16).padStart(2, '0')}`);
  }
  const size = sizeBytes(insn.code);
  if (size !== 4 && size !== 8) fail(env.log, 'EINVAL', 'bad-atomic', 'invalid atomic operand size');
  const src = env.readReg(state, insn.src);
  const ptr = env.readReg(state, insn.dst);
  if (imm === CMPXCHG) {
    const r0 = env.readReg(state, 0);
    if (isPointer(r0) && !env.privileges.allowPtrLeaks) fail(env.log, 'EACCES', 'ptr-leak', 'R0 leaks addr into mem');
  }
  if (isPointer(src) && !env.privileges.allowPtrLeaks) fail(env.log, 'EACCES', 'ptr-leak', `R${String(insn.src)} leaks addr into mem`);
  if (ptr.type === 'ctx' || ptr.type === 'pkt' || ptr.type === 'pkt_meta' || ptr.type === 'pkt_end') {
    fail(env.log, 'EACCES', 'atomic-ptr', `BPF_ATOMIC stores into R${String(insn.dst)} ${regTypeStr(ptr)} is not allowed`);
  }
  if (ptr.type === 'arena') saveAuxPtrType(env, ptr, false);
  const loadReg = (imm & FETCH) !== 0 ? (imm === CMPXCHG ? 0 : insn.src) : -1;
  const old = checkMemAccess(env, state, insn.dst, ptr, insn.off, size, false, undefined, undefined, pc, loadReg >= 0, true);
  checkMemAccess(env, state, insn.dst, ptr, insn.off, size, true, undefined, undefined, pc, true, true);
  if (loadReg >= 0) {
    const v = old.type === 'scalar' ? narrowLoaded(old, size) : old;
    env.writeReg(state, loadReg, v);
  }
}

/** `__check_mem_access`: [off, off+size) inside a region of `memSize` bytes. */
function checkMemRange(off: bigint, size: number, memSize: number, zeroOk: boolean): boolean {
  return off >= 0n && (size > 0 || (size === 0 && zeroOk)) && off + BigInt(size) <= BigInt(memSize);
}

/** `check_mem_region_access`: every offset the variable part allows stays inside the region. */
export function checkMemRegionAccess(env: VerifierEnv, regno: number, reg: RegState, off: number, size: number, memSize: number,
  zeroOk: boolean, what: (off: bigint) => string): void {
  const r = `R${String(regno)}`;
  const o = BigInt(off);
  if (reg.smin < 0n && (reg.smin === S64_MIN || BigInt.asIntN(32, o + reg.smin) !== o + reg.smin || reg.smin + o < 0n)) {
    fail(env.log, 'EACCES', 'mem-negative', `${r} min value is negative, either use unsigned index or do a if (index >=0) check.`);
  }
  if (!checkMemRange(reg.smin + o, size, memSize, zeroOk)) {
    env.log.line(what(reg.smin + o));
    fail(env.log, 'EACCES', 'mem-range', `${r} min value is outside of the allowed memory range`);
  }
  if (reg.umax >= BigInt(MAX_VAR_OFF)) {
    fail(env.log, 'EACCES', 'mem-unbounded', `${r} unbounded memory access, make sure to bounds check any such access`);
  }
  if (!checkMemRange(reg.umax + o, size, memSize, zeroOk)) {
    env.log.line(what(reg.umax + o));
    fail(env.log, 'EACCES', 'mem-range', `${r} max value is outside of the allowed memory range`);
  }
}

/** `check_ptr_off_reg`: ctx-like pointers must be used unmodified. */
export function checkPtrOffReg(env: VerifierEnv, regno: number, reg: RegState): void {
  const r = String(regno);
  if (reg.off < 0) fail(env.log, 'EACCES', 'modified-ctx', `negative offset ${regTypeStr(reg)} ptr R${r} off=${String(reg.off)} disallowed`);
  if (reg.off !== 0) fail(env.log, 'EACCES', 'modified-ctx', `dereference of modified ${regTypeStr(reg)} ptr R${r} off=${String(reg.off)} disallowed`);
  if (!tnumIsConst(reg.varOff) || reg.varOff.value !== 0n) {
    fail(env.log, 'EACCES', 'modified-ctx', `variable ${regTypeStr(reg)} access var_off=${tnumStr(reg.varOff)} disallowed`);
  }
}

/** `check_ptr_alignment` (x86: only the stack is strict unless BPF_F_STRICT_ALIGNMENT). */
export function checkPtrAlignment(env: VerifierEnv, reg: RegState, off: number, size: number, strictOnce: boolean): void {
  const strictFlag = ((env.req.progFlags & 1) !== 0 || strictOnce) && (env.req.progFlags & 2) === 0;
  if (size === 1 || reg.type === 'arena') return;
  const varStr = (): string => (tnumIsConst(reg.varOff) ? reg.varOff.value.toString() : tnumStr(reg.varOff));
  if (reg.type === 'pkt' || reg.type === 'pkt_meta') {
    if (!strictFlag) return;
    const t = tnumAdd(reg.varOff, tnumConst(BigInt(2 + reg.off + off)));
    if (!alignedTnum(t, size)) {
      fail(env.log, 'EACCES', 'misaligned', `misaligned packet access off 2+${varStr()}+${String(reg.off)}+${String(off)} size ${String(size)}`);
    }
    return;
  }
  const desc = reg.type === 'fp' ? 'stack ' : reg.type === 'ctx' ? 'context ' : reg.type === 'map_value' ? 'value ' : '';
  if (reg.type !== 'fp' && !strictFlag) return;
  const t = tnumAdd(reg.varOff, tnumConst(BigInt(reg.off + off)));
  if (!alignedTnum(t, size)) {
    fail(env.log, 'EACCES', 'misaligned', `misaligned ${desc}access off ${varStr()}+${String(reg.off)}+${String(off)} size ${String(size)}`);
  }
}

/** `tnum_is_aligned`. */
function alignedTnum(t: { value: bigint; mask: bigint }, size: number): boolean {
  return ((t.value | t.mask) & BigInt(size - 1)) === 0n;
}

/**
 * `check_mem_access`: by pointer kind. Returns the loaded value for reads. `stImm` is the
 * immediate of a BPF_ST; `atomicFetch` marks the read half of an atomic with FETCH.
 */
export function checkMemAccess(env: VerifierEnv, state: VState, regno: number, ptr: RegState, insnOff: number, size: number, write: boolean,
  value: RegState | undefined, stImm: bigint | undefined, pc = 0, toReg = true, strictOnce = false): RegState {
  const r = String(regno);
  checkPtrAlignment(env, ptr, insnOff, size, strictOnce);
  const off = insnOff + ptr.off;
  switch (ptr.type) {
    case 'fp':
      return checkStackAccess(env, state, regno, ptr, off, size, write, value, stImm, pc, toReg);
    case 'ctx': {
      if (write && value !== undefined && isPointer(value) && !env.privileges.allowPtrLeaks) {
        fail(env.log, 'EACCES', 'ptr-leak', `R${String(regno)} leaks addr into ctx`);
      }
      checkPtrOffReg(env, regno, ptr);
      const btfArg = tpBtfCtxPointer(env, off, size, write);
      if (btfArg !== undefined) return btfArg;
      const acc = ctxAccess(env.progType, env.req.expectedAttachType, off, size, write, env.privileges, env);
      if (!acc.ok) failCtxAccess(env, off, size);
      const nfPtr = netfilterCtxPointer(env, off);
      if (nfPtr !== undefined) return nfPtr;
      const type = acc.regType;
      if (type === 'scalar') return unknownScalar;
      if (type === 'sock_common_or_null' || type === 'sock_or_null') return pointer(type, 0, { id: env.nextId++ });
      if (type === 'sock' || type === 'flow_keys' || type === 'tp_buffer') return pointer(type, 0);
      return pointer(type, 0, type === 'pkt_end' ? {} : { range: 0 });
    }
    case 'tp_buffer': {
      // `check_tp_buffer_access`: a constant, non-negative offset (the size is checked against the tracepoint at attach).
      if (off < 0) fail(env.log, 'EACCES', 'tp-buffer-access', `R${String(regno)} invalid tracepoint buffer access: off=${String(off)}, size=${String(size)}`);
      if (!tnumIsConst(ptr.varOff) || ptr.varOff.value !== 0n) {
        fail(env.log, 'EACCES', 'tp-buffer-access', `R${String(regno)} invalid variable buffer offset: off=${String(off)}, var_off=${tnumStr(ptr.varOff)}`);
      }
      return unknownScalar;
    }
    case 'flow_keys': {
      // `check_flow_keys_access`: inside the 56 bytes of struct bpf_flow_keys, reads and writes.
      if (write && value !== undefined && isPointer(value) && !env.privileges.allowPtrLeaks) {
        fail(env.log, 'EACCES', 'ptr-leak', `R${String(regno)} leaks addr into flow keys`);
      }
      if (off < 0 || off + size > FLOW_KEYS_SIZE) fail(env.log, 'EACCES', 'flow-keys-access', `invalid access to flow keys off=${String(off)} size=${String(size)}`);
      return unknownScalar;
    }
    case 'map_value':
    case 'ringbuf_mem':
    case 'mem': {
      if (write && ptr.rdonly === true) fail(env.log, 'EACCES', 'rdonly-write', `R${r} cannot write into ${regTypeStr(ptr)}`);
      const vs = ptr.valueSize ?? 0;
      if (ptr.type === 'map_value') checkMapAccessType(env, ptr, off, size, write);
      checkMemRegionAccess(env, regno, ptr, off, size, vs, false,
        (at) => ptr.type === 'map_value'
          ? `invalid access to map value, value_size=${String(vs)} off=${at.toString()} size=${String(size)}`
          : `invalid access to memory, mem_size=${String(vs)} off=${at.toString()} size=${String(size)}`);
      if (write && value !== undefined && isPointer(value) && !env.privileges.allowPtrLeaks) {
        fail(env.log, 'EACCES', 'ptr-leak', `R${r} leaks addr into map`);
      }
      if (ptr.type !== 'map_value') return unknownScalar;
      checkMapValueFields(env, ptr, off, size, true);
      const kptr = kptrFieldAt(env, ptr, off);
      if (kptr !== undefined) {
        const insn = env.insns[env.insnIdx];
        if (insn !== undefined) checkMapKptrAccess(env, insn, kptr, value);
        // A kptr to a kernel struct loads as a BTF pointer; kptrs not modelled load as an unknown scalar, which nothing can dereference.
        return (write ? undefined : kptrLoadReg(env, state, kptr)) ?? unknownScalar;
      }
      if (!write && toReg && ptr.mapFd !== undefined && tnumIsConst(ptr.varOff)) {
        const map = regMap(env, ptr);
        if (map?.frozenValue !== undefined) return mapDirectRead(map, off + Number(ptr.varOff.value), size);
      }
      return unknownScalar;
    }
    case 'map_key': {
      // A for_each_map_elem callback's key: read-only, key_size bytes.
      if (write) fail(env.log, 'EACCES', 'map-key-write', `write to change key R${r} not allowed`);
      const ks = ptr.keySize ?? 0;
      checkMemRegionAccess(env, regno, ptr, off, size, ks, false,
        (at) => `invalid access to map key, key_size=${String(ks)} off=${at.toString()} size=${String(size)}`);
      return unknownScalar;
    }
    case 'pkt':
    case 'pkt_meta': {
      if (!mayAccessDirectPktData(env.req.progType, write)) {
        fail(env.log, 'EACCES', 'pkt-write', write ? 'cannot write into packet' : `R${r} invalid mem access '${regTypeStr(ptr)}'`);
      }
      if (write && value !== undefined && isPointer(value) && !env.privileges.allowPtrLeaks) {
        fail(env.log, 'EACCES', 'ptr-leak', `R${String(value === undefined ? 0 : regno)} leaks addr into packet`);
      }
      checkPacketAccess(env, regno, ptr, off, size, false);
      return unknownScalar;
    }
    case 'sock':
    case 'sock_common':
    case 'tcp_sock':
    case 'xdp_sock': {
      if (write) fail(env.log, 'EACCES', 'sock-write', `R${r} cannot write into ${regTypeStr(ptr)}`);
      if (ptr.smin < 0n) fail(env.log, 'EACCES', 'sock-negative', `R${r} min value is negative, either use unsigned index or do a if (index >=0) check.`);
      if (!sockAccess(ptr.type, off, size)) {
        fail(env.log, 'EACCES', 'sock-access', `R${r} invalid ${regTypeStr(ptr)} access off=${String(off)} size=${String(size)}`);
      }
      return unknownScalar;
    }
    case 'ptr_':
      return checkBtfAccess(env, regno, ptr, off, size, write);
    case 'arena':
      // Arena memory is reached through BPF_PROBE_MEM32: any offset; a fault reads 0.
      return unknownScalar;
    case 'map_ptr': {
      const map = regMap(env, ptr);
      if (map === undefined) return fail(env.log, 'EACCES', 'invalid-mem-access', `R${r} invalid mem access 'map_ptr'`);
      return checkMapPtrAccess(env, regno, off, size, write, map.mapType);
    }
    default:
      return fail(env.log, 'EACCES', 'invalid-mem-access', `R${r} invalid mem access '${regTypeStr(ptr)}'`);
  }
}

const RDONLY_PROG = 1 << 7, WRONLY_PROG = 1 << 8;

/** `check_map_access_type`: BPF_F_RDONLY_PROG / BPF_F_WRONLY_PROG maps. */
export function checkMapAccessType(env: VerifierEnv, ptr: RegState, off: number, size: number, write: boolean): void {
  const flags = regMap(env, ptr)?.mapFlags ?? 0;
  const what = `value_size=${String(ptr.valueSize ?? 0)} off=${String(off)} size=${String(size)}`;
  if (write && (flags & RDONLY_PROG) !== 0) fail(env.log, 'EACCES', 'map-rdonly', `write into map forbidden, ${what}`);
  if (!write && (flags & WRONLY_PROG) !== 0) fail(env.log, 'EACCES', 'map-wronly', `read from map forbidden, ${what}`);
}

/** `check_packet_access`: inside the range a pkt_end comparison proved. */
export function checkPacketAccess(env: VerifierEnv, regno: number, reg: RegState, off: number, size: number, zeroOk: boolean): void {
  if (reg.smin < 0n) {
    fail(env.log, 'EACCES', 'pkt-negative', `R${String(regno)} min value is negative, either use unsigned index or do a if (index >=0) check.`);
  }
  const range = reg.range ?? 0;
  if (range < 0 || !checkMemRange(BigInt(off), size, range, zeroOk)) {
    const r = `R${String(regno)}`;
    if (range >= 0) {
      // `__check_mem_access` prints the access's offset in both places (not the register's own).
      env.log.line(`invalid access to packet, off=${String(off)} size=${String(size)}, ${r}(id=${String(reg.id)},off=${String(off)},r=${String(range)})`);
    }
    // A pointer a comparison put at or past pkt_end (a negative range) is EINVAL; one past its proven range EACCES.
    fail(env.log, range < 0 ? 'EINVAL' : 'EACCES', 'pkt-range', `${r} offset is outside of the packet`);
  }
}

/** `check_stack_access_within_bounds`. */
export function checkStackBounds(env: VerifierEnv, regno: number, reg: RegState, off: number, size: number, write: boolean,
  extra = write ? ' write to' : ' read from'): { min: number; max: number } {
  let minOff: bigint, maxOff: bigint;
  const known = tnumIsConst(reg.varOff);
  if (known) {
    minOff = BigInt.asIntN(64, reg.varOff.value) + BigInt(off);
    maxOff = minOff + BigInt(size);
  } else {
    if (reg.smax >= BigInt(MAX_VAR_OFF) || reg.smin <= -BigInt(MAX_VAR_OFF)) {
      fail(env.log, 'EACCES', 'stack-bounds', `invalid unbounded variable-offset${extra} stack R${String(regno)}`);
    }
    minOff = reg.smin + BigInt(off);
    maxOff = reg.smax + BigInt(off) + BigInt(size);
  }
  let code: 'EACCES' | 'EINVAL' | undefined;
  if (minOff < -BigInt(MAX_BPF_STACK) || minOff > -1n) code = 'EACCES';
  else if (maxOff > 0n) code = 'EINVAL';
  if (code !== undefined) {
    const msg = known
      ? `invalid${extra} stack R${String(regno)} off=${String(off)} size=${String(size)}`
      : `invalid variable-offset${extra} stack R${String(regno)} var_off=${tnumStr(reg.varOff)} off=${String(off)} size=${String(size)}`;
    fail(env.log, code, 'stack-bounds', msg);
  }
  return { min: Number(minOff), max: Number(maxOff) };
}

function stackFrame(env: VerifierEnv, state: VState, ptr: RegState): FrameState {
  return state.frames[ptr.frame ?? state.frames.length - 1] ?? env.frame(state);
}

/** `check_stack_read` / `check_stack_write`: fixed offsets spill and fill, variable offsets are conservative. */
function checkStackAccess(env: VerifierEnv, state: VState, regno: number, ptr: RegState, off: number, size: number, write: boolean,
  value: RegState | undefined, stImm: bigint | undefined, pc: number, toReg: boolean): RegState {
  const { min, max } = checkStackBounds(env, regno, ptr, off, size, write);
  const f = stackFrame(env, state, ptr);
  env.growStack(f, -min);
  env.fastcall?.checkAccess(Math.max(f.subprog, 0), env.insnIdx, min);
  const known = tnumIsConst(ptr.varOff);
  const frame = ptr.frame ?? state.frames.length - 1;
  const valueRegno = value === undefined ? undefined : env.insns[env.insnIdx]?.src;
  if (write) {
    // A write into a dynptr's slots ends it (`destroy_if_dynptr_stack_slot`).
    for (let spi = Math.floor((-min - 1) / 8); spi >= Math.floor((-max) / 8); spi--) destroyIfDynptrSlot(env, state, f, spi);
    // Only a whole slot written is surely written (`bpf_mark_stack_write`).
    if (known && min % 8 === 0 && size === 8) env.markStackWrite(frame, Math.floor((-min - 1) / 8));
    if (known) {
      const kind = checkStackWriteFixedOff(env, f, env.frame(state), min, size, value, stImm);
      if (kind === 'spill') env.pushHist(state, { frame, spi: Math.floor((-min - 1) / 8) });
      // STACK_ZERO bytes are compared as such in pruning: the zero that made them must be exact.
      else if (kind === 'zero' && value !== undefined && valueRegno !== undefined) markChainPrecision(env, state, valueRegno);
    } else {
      const zero = value !== undefined ? regConst(value) === 0n : stImm === 0n;
      if (checkStackWriteVarOff(env, f, min, max, zero, pc) && value !== undefined && valueRegno !== undefined) markChainPrecision(env, state, valueRegno);
    }
    return unknownScalar;
  }
  if (known) {
    env.markStackRead(frame, Math.floor((-min - 1) / 8));
    const { reg, fill } = checkStackReadFixedOff(env, f, min, size, toReg);
    if (fill) env.pushHist(state, { frame, spi: Math.floor((-min - 1) / 8) });
    return reg;
  }
  if (!env.privileges.bypassSpecV1) {
    fail(env.log, 'EACCES', 'var-stack', `R${String(regno)} variable offset stack access prohibited for !root, var_off=${tnumStr(ptr.varOff)}`);
  }
  for (let at = min; at < max; at++) slotOf(f, Math.floor((-at - 1) / 8));
  const { allZero } = checkStackRangeInit(env, f, frame, regno, min, max, false, tnumStr(ptr.varOff), off, size);
  // `mark_reg_stack_read`: the slots from the lowest byte up to the first that is not zero are printed next.
  for (let at = min; at < max; at++) {
    const { spi, i } = byteAt(at);
    env.scratchedStack.add(spi);
    if (f.stack[spi]?.bytes[i] !== 'zero') break;
  }
  return allZero ? constScalar(0n) : unknownScalar;
}
