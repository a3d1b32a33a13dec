import type { VerifierMap } from '@bpfkit/kernel-api';
import type { VerifierEnv } from './env.js';
import { regMap } from './map-fields.js';
import { formatDynptrSlot } from './dynptr-slots.js';
import { formatReg, type RegState, type VState } from './state.js';

/**
 * `print_verifier_state` of one frame: all live registers and slots (`full`), or only those the
 * current instruction touched. Empty when nothing is printed (unless `always`: the frame, references
 * and callback marks are printed even then); otherwise starts with a space.
 */
export function formatFrameState(env: VerifierEnv, state: VState, frameIdx: number, full: boolean, always = false): string {
  const f = state.frames[frameIdx];
  if (f === undefined) return '';
  const parts: string[] = [];
  const mapOf = (r: RegState): VerifierMap | undefined => regMap(env, r);
  f.regs.forEach((r, i) => {
    if (r.type === 'not_init') return;
    if (full || env.scratched.has(i)) parts.push(`R${String(i)}=${formatReg(r, frameIdx, mapOf)}`);
  });
  for (let i = 0; i < f.stack.length; i++) {
    const slot = f.stack[i];
    if (slot === undefined || !(full || env.scratchedStack.has(i))) continue;
    if (slot.bytes.every((b) => b === 'invalid')) continue;
    // An iterator prints once, at its first slot (the one holding its reference).
    if (slot.spilled?.type === 'iter' && (slot.spilled.refObjId ?? 0) === 0) continue;
    if (slot.bytes[7] === 'dynptr') {
      // A dynptr prints once, at the slot above (its first slot).
      i++;
      parts.push(`fp-${String((i + 1) * 8)}=${formatDynptrSlot(f.stack[i]?.spilled)}`);
      continue;
    }
    const name = `fp-${String((i + 1) * 8)}`;
    const chars = slot.bytes.map((b) => ({ invalid: '?', misc: 'm', zero: '0', spill: 'r', dynptr: 'd' })[b]).reverse().join('');
    if (slot.spilled !== undefined && slot.bytes[0] === 'spill') {
      // A narrow spill prints the bytes above it, then the register.
      const cut = chars.indexOf('r');
      parts.push(`${name}=${cut < 0 ? chars : chars.slice(0, cut)}${formatReg(slot.spilled, frameIdx, mapOf)}`);
    } else parts.push(`${name}=${chars}`);
  }
  if (parts.length > 0 || always) {
    const refs = refIdsInOrder(state);
    // The kernel lists the ids after a first one that is not 0 (a lock on a value without an id).
    if (refs.length > 0 && refs[0] !== 0) parts.push(`refs=${refs.filter((id) => id !== 0).join(',')}`);
  }
  if (parts.length === 0 && !always) return '';
  // A callback's frame ends with ` cb` (`in_callback_fn`), an async callback's with ` async_cb`.
  const cb = f.callback === undefined ? '' : f.callback.async === true ? ' async_cb' : ' cb';
  return `${frameIdx > 0 ? ` frame${String(frameIdx)}:` : ''}${parts.map((p) => ` ${p}`).join('')}${cb}`;
}

/** The ids of the references held and of the lock, in the order they were taken (the kernel's `refs` array). */
function refIdsInOrder(state: VState): number[] {
  const lock = state.lock;
  const ids = state.refs.map((r) => r.id);
  if (lock === undefined) return ids;
  const at = ids.findIndex((id) => id >= lock.nextRefId);
  ids.splice(at < 0 ? ids.length : at, 0, lock.id);
  return ids;
}
