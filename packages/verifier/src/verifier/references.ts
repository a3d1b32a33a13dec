import type { VerifierEnv } from './env.js';
import { notInit, unknownScalar, type VState } from './state.js';

/** `release_reference`: the reference is gone and every pointer derived from it becomes unusable. */
export function releaseReference(env: VerifierEnv, state: VState, refObjId: number): void {
  state.refs = state.refs.filter((r) => r.id !== refObjId);
  const dead = env.privileges.allowPtrLeaks ? unknownScalar : notInit;
  for (const fr of state.frames) {
    fr.regs = fr.regs.map((r) => (r.refObjId === refObjId ? dead : r));
    for (const slot of fr.stack) {
      // The slot stays a spill; what it holds is what a register holding the pointer becomes.
      if (slot.bytes[0] === 'spill' && slot.spilled?.refObjId === refObjId) slot.spilled = dead;
    }
  }
}
