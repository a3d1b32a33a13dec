import { bpfFuncName, BpfProgType as P } from '@bpfkit/uapi';
import { checkBtfAccess } from './btf-access.js';
import { checkMapAccessType, checkMemAccess, checkMemRegionAccess, checkPacketAccess, checkStackBounds } from './check-mem.js';
import type { VerifierEnv } from './env.js';
import { fail, refuse } from './log.js';
import { checkMapValueFields } from './map-fields.js';
import { isPktSlice } from './dynptr-slots.js';
import { checkStackRangeInit } from './stack.js';
import { notInit, regConst, regTypeStr, unknownScalar, type RegState, type VState } from './state.js';
import { tnumIsConst, tnumStr } from './tnum.js';

/** The register types a memory argument may be (`mem_types`), and how a refusal lists them. */
export const MEM_TYPES: ReadonlySet<string> = new Set(['fp', 'pkt', 'pkt_meta', 'map_key', 'map_value', 'mem', 'ringbuf_mem']);
export const MEM_EXPECTED = 'fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_';

/**
 * `check_reg_type` for a memory argument: one of `mem_types`. A trusted BTF pointer is among them, but
 * only for arguments the helper reads (`MEM_RDONLY`): the kernel says the helper may write through it.
 */
export function checkMemArgType(env: VerifierEnv, regno: number, reg: RegState, rdonly: boolean, helper: string): void {
  const trustedBtf = reg.type === 'ptr_' && reg.btfMod === 'trusted';
  if (!MEM_TYPES.has(reg.type) && !trustedBtf) {
    fail(env.log, 'EACCES', 'bad-arg-type', `R${String(regno)} type=${regTypeStr(reg)} expected=${MEM_EXPECTED}`);
  }
  if (trustedBtf && !rdonly) {
    fail(env.log, 'EACCES', 'helper-writes-btf', `bpf_${helper}() may write into memory pointed by R${String(regno)} type=${regTypeStr(reg)}`);
  }
}

/** `bpf_helper_changes_pkt_data`: after these the packet may have moved. */
export const CHANGES_PKT_DATA = new Set([
  'skb_store_bytes', 'skb_change_head', 'skb_change_tail', 'skb_pull_data', 'skb_change_proto', 'skb_change_type', 'skb_adjust_room',
  'skb_vlan_push', 'skb_vlan_pop', 'l3_csum_replace', 'l4_csum_replace', 'xdp_adjust_head', 'xdp_adjust_meta', 'xdp_adjust_tail',
  'clone_redirect', 'msg_pull_data', 'msg_push_data', 'msg_pop_data', 'lwt_push_encap', 'lwt_seg6_store_bytes', 'lwt_seg6_adjust_srh',
  'lwt_seg6_action', 'tail_call', 'sk_assign',
]);

/** `bpf_helper_changes_pkt_data` by helper id. */
export function helperChangesPktData(id: number): boolean {
  return CHANGES_PKT_DATA.has(bpfFuncName(id) ?? '');
}

/** `clear_all_pkt_pointers`: every packet pointer in every frame becomes unusable. */
export function clearAllPktPointers(env: VerifierEnv, state: VState): void {
  const dead = env.privileges.allowPtrLeaks ? unknownScalar : notInit;
  const isPkt = (r: RegState): boolean => r.type === 'pkt' || r.type === 'pkt_meta' || r.type === 'pkt_end' || isPktSlice(r);
  for (const f of state.frames) {
    f.regs = f.regs.map((r) => (isPkt(r) ? dead : r));
    for (const slot of f.stack) {
      if (slot.spilled !== undefined && isPkt(slot.spilled)) slot.spilled = unknownScalar;
    }
  }
}

/** Program types whose verifier ops have no `convert_ctx_access`: their context is not rewritten at load. */
const NO_CTX_REWRITE: ReadonlySet<number> = new Set([
  P.BPF_PROG_TYPE_KPROBE, P.BPF_PROG_TYPE_TRACEPOINT, P.BPF_PROG_TYPE_RAW_TRACEPOINT, P.BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE,
  P.BPF_PROG_TYPE_TRACING, P.BPF_PROG_TYPE_LSM, P.BPF_PROG_TYPE_STRUCT_OPS, P.BPF_PROG_TYPE_SYSCALL, P.BPF_PROG_TYPE_NETFILTER,
  P.BPF_PROG_TYPE_LIRC_MODE2, P.BPF_PROG_TYPE_CGROUP_DEVICE,
]);

/** `check_helper_mem_access`: the helper reads or writes `size` bytes at the pointer. */

export function checkHelperMemAccess(env: VerifierEnv, state: VState, regno: number, reg: RegState, size: number, write: boolean, zeroOk: boolean,
  uninitOk = write, sizeKnown = true): void {
  switch (reg.type) {
    case 'scalar':
      // A NULL for a `_or_null` memory argument: only with nothing to access.
      if (zeroOk && size === 0 && regConst(reg) === 0n) return;
      fail(env.log, 'EACCES', 'bad-arg-type', `R${String(regno)} type=${regTypeStr(reg)} expected=fp`);
      return;
    case 'fp': checkStackRangeInitialized(env, state, regno, reg, size, write, uninitOk, zeroOk, sizeKnown); return;
    case 'ctx':
      // A context the program type does not rewrite (no `convert_ctx_access`) is checked at run time's last byte.
      if (NO_CTX_REWRITE.has(env.req.progType)) {
        if (size === 0) {
          if (zeroOk) return;
          refuse('EACCES', 'zero-size', 'a zero-sized context access');
        }
        checkMemAccess(env, state, regno, reg, size - 1, 1, write, undefined, undefined, env.insnIdx, false);
        return;
      }
      fail(env.log, 'EACCES', 'bad-arg-type', `R${String(regno)} type=${regTypeStr(reg)} expected=fp`);
      return;
    case 'pkt': case 'pkt_meta': checkPacketAccess(env, regno, reg, reg.off, size, zeroOk); return;
    // A trusted kernel object the helper reads: the bytes must lie in the struct's members (`check_ptr_to_btf_access`).
    case 'ptr_': checkBtfAccess(env, regno, reg, reg.off, size, false); return;
    case 'map_key': {
      if (write) fail(env.log, 'EACCES', 'map-key-write', `write to change key R${String(regno)} not allowed`);
      const ks = reg.keySize ?? 0;
      checkMemRegionAccess(env, regno, reg, reg.off, size, ks, zeroOk,
        (at) => `invalid access to map key, key_size=${String(ks)} off=${at.toString()} size=${String(size)}`);
      return;
    }
    default: {
      const vs = reg.valueSize ?? 0;
      // Read-only memory (`MEM_RDONLY`) is no argument the callee may write.
      if (write && reg.rdonly === true) fail(env.log, 'EACCES', 'bad-arg-type', `R${String(regno)} type=${regTypeStr(reg)} expected=${MEM_EXPECTED}`);
      if (reg.type === 'map_value') checkMapAccessType(env, reg, reg.off, size, write);
      checkMemRegionAccess(env, regno, reg, reg.off, size, vs, zeroOk,
        (at) => reg.type === 'map_value'
          ? `invalid access to map value, value_size=${String(vs)} off=${at.toString()} size=${String(size)}`
          : `invalid access to memory, mem_size=${String(vs)} off=${at.toString()} size=${String(size)}`);
      if (reg.type === 'map_value') checkMapValueFields(env, reg, reg.off, size, false);
    }
  }
}

/**
 * `check_stack_range_initialized`: a helper reads or writes (`write`, which the bounds message names) `size`
 * bytes at a stack pointer; `uninitOk` (`MEM_UNINIT`) lets it write bytes never initialized.
 */
function checkStackRangeInitialized(env: VerifierEnv, state: VState, regno: number, reg: RegState, size: number, write: boolean,
  uninitOk: boolean, zeroOk: boolean, sizeKnown: boolean): void {
  const f = state.frames[reg.frame ?? state.frames.length - 1] ?? env.frame(state);
  // `check_stack_slot_within_bounds`: without allow_uninit_stack a read starts within the stack the frame has already allocated.
  if (!write && !env.privileges.allowUninitStack && tnumIsConst(reg.varOff) && reg.off + Number(BigInt.asIntN(64, reg.varOff.value)) < -8 * f.stack.length) {
    fail(env.log, 'EACCES', 'stack-bounds', `invalid read from stack R${String(regno)} off=${String(reg.off)} size=${String(size)}`);
  }
  const { min } = checkStackBounds(env, regno, reg, reg.off, size, write);
  if (size === 0 && zeroOk && !tnumIsConst(reg.varOff)) return;
  let minOff = min, maxOff = min + size;
  const known = tnumIsConst(reg.varOff);
  if (!known) {
    if (!env.privileges.bypassSpecV1) {
      fail(env.log, 'EACCES', 'var-stack', `R${String(regno)} variable offset stack access prohibited for !root, var_off=${tnumStr(reg.varOff)}`);
    }
    minOff = Number(reg.smin) + reg.off;
    maxOff = Number(reg.smax) + reg.off + size;
  }
  env.growStack(f, -minOff);
  env.fastcall?.checkAccess(Math.max(f.subprog, 0), env.insnIdx, minOff);
  // A size that is not a constant turns the raw write off (`check_mem_size_reg` drops the call's meta): the
  // bytes must be initialized, and a helper that writes them leaves anything there, scratching nothing.
  const raw = uninitOk && known && sizeKnown;
  checkStackRangeInit(env, f, reg.frame ?? state.frames.length - 1, regno, minOff, maxOff, raw, known ? undefined : tnumStr(reg.varOff), reg.off, size, write && !raw);
}

