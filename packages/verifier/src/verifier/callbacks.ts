import type { VerifierMap } from '@bpfkit/kernel-api';
import type { CheckedRequest, FuncInfo } from './checked-request.js';
import type { VerifierEnv } from './env.js';
import { fail } from './log.js';
import { cloneState, notInit, pointer, unknownScalar, type FrameState, type RegState, type VState } from './state.js';

/** The func_info of the request, if it has one. */
export function funcInfoOf(req: CheckedRequest): readonly FuncInfo[] | undefined {
  const fi = req.funcInfo;
  return fi === undefined || fi.length === 0 ? undefined : fi;
}

const MAX_CALL_FRAMES = 8;
/** Map types with `map_for_each_callback` (array, hash, their percpu and lru variants). */
const FOR_EACH_MAPS = new Set([1, 2, 5, 6, 9, 10]);

/** The callback's R1-R5 for each callback-calling helper (`set_*_callback_state`). */
function calleeArgs(env: VerifierEnv, helper: number, caller: FrameState, map: VerifierMap | undefined): RegState[] {
  const a = (r: number): RegState => caller.regs[r] ?? notInit;
  switch (helper) {
    case 164: {
      // bpf_for_each_map_elem: callback(map, key, value, ctx).
      if (map === undefined || !FOR_EACH_MAPS.has(map.mapType)) fail(env.log, 'ENOTSUPP', 'callback-map', 'callback function not allowed for map');
      const m = { mapFd: map.fd, valueSize: map.valueSize };
      // The value pointer takes a fresh id, as a timer callback's does (Linux 6.18's logs).
      return [a(1), pointer('map_key', 0, { ...m, keySize: map.keySize }), pointer('map_value', 0, { ...m, id: env.nextId++ }), a(3), notInit];
    }
    case 209:
      // bpf_user_ringbuf_drain: callback(const struct bpf_dynptr *, ctx), a local dynptr (`mark_dynptr_cb_reg`).
      return [pointer('dynptr_ptr', 0, { id: env.nextId++, dynptr: { type: 'local', first: true } }), a(3), notInit, notInit, notInit];
    case 180: {
      // bpf_find_vma: callback(task, vma, ctx); the vma is a plain BTF pointer to the kernel's vm_area_struct.
      const btf = env.req.kfuncs?.btf ?? env.req.vmlinuxBtf?.();
      const btfId = btf?.findAll('vm_area_struct', 'STRUCT')[0];
      return [a(1), btfId === undefined ? unknownScalar : pointer('ptr_', 0, { btf, btfId }), a(4), notInit, notInit];
    }
    default:
      // bpf_loop: callback(u64 index, ctx).
      return [unknownScalar, a(3), notInit, notInit, notInit];
  }
}

/**
 * `push_callback_call`: the callback's first visit is queued as a state of its own, a new frame on
 * top of the caller's at the call; the current path goes on past the call. When the callback exits it
 * returns to the call itself, which queues the next visit until the states converge.
 */
export function pushCallback(env: VerifierEnv, state: VState, pc: number, helper: number, subprog: number, map: VerifierMap | undefined,
  calleeRegs?: readonly RegState[]): void {
  const caller = env.frame(state);
  // The helper's prototype checked that a func pointer was passed.
  if (subprog < 0 || subprog >= env.subprogs.length - 1) throw new Error('verifier: callback without a subprogram');
  const args = calleeRegs ?? calleeArgs(env, helper, caller, map);
  if (state.frames.length >= MAX_CALL_FRAMES) {
    fail(env.log, 'E2BIG', 'call-stack-too-deep', `the call stack of ${String(state.frames.length + 1)} frames is too deep`);
  }
  const cb = cloneState(state);
  const cbCaller = cb.frames[cb.frames.length - 1];
  if (cbCaller !== undefined) cbCaller.callbackDepth = (cbCaller.callbackDepth ?? 0) + 1;
  const regs: RegState[] = Array.from({ length: 11 }, (_, i) => (i >= 1 && i <= 5 ? args[i - 1] ?? notInit : notInit));
  regs[10] = pointer('fp', 0, { frame: state.frames.length });
  cb.frames.push({ regs, stack: [], returnTo: pc + 1, subprog, callback: { min: 0n, max: 1n }, callbackDepth: 0 });
  cb.callbackUnroll = (cb.callbackUnroll ?? 0) + 1;
  caller.callbackDepth = 0;
  // `init_func_state` of the callback's frame marks the whole state scratched: the caller's state after the call prints in full.
  env.scratchedAll = true;
  env.pushStack(cb, env.subprogs[subprog] ?? 0, pc);
}

/** `update_loop_inline_state`: a bpf_loop call is inlined when every visit passed the same callback and zero flags. */
export function updateLoopInline(env: VerifierEnv, pc: number, subprog: number, flagsZero: boolean): void {
  const st = env.loopInline.get(pc);
  if (st === undefined) env.loopInline.set(pc, { fit: flagsZero, subprog });
  else if (st.fit) env.loopInline.set(pc, { fit: flagsZero && st.subprog === subprog, subprog });
}

/**
 * `optimize_bpf_loop`, after the stack depth check: a subprogram with an inlined bpf_loop call gets three
 * more 8-byte slots below its (8-aligned) stack, which the stack depth statistics show.
 */
export function addLoopInlineStack(env: VerifierEnv): void {
  const grown = new Set<number>();
  for (const [pc, st] of env.loopInline) {
    if (!st.fit) continue;
    let idx = 0;
    while (idx + 1 < env.subprogs.length - 1 && (env.subprogs[idx + 1] ?? Infinity) <= pc) idx++;
    if (grown.has(idx)) continue;
    grown.add(idx);
    const depth = env.subprogStack[idx] ?? 0;
    env.subprogStack[idx] = Math.ceil(depth / 8) * 8 + 24;
  }
}
