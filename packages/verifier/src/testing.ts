import type { ProgTypeRegistry, Verifier, VerifierResult } from '@bpfkit/kernel-api';

/**
 * A verifier that accepts every program (a test overrides `verify` to reject).
 *
 * @example
 * const v = makeNoopVerifier(); v.verify(req).stats.insnProcessed; // 0
 */
export function makeNoopVerifier(partial: Partial<Verifier> = {}): Verifier {
  const accepted: VerifierResult = {
    log: '', logTrueSize: 0, stackDepth: 0,
    stats: { insnProcessed: 0, maxStatesPerInsn: 0, totalStates: 0, peakStates: 0, markRead: 0 },
  };
  return { verify: () => accepted, ...partial };
}

/** A registry with no program types (every type unknown), unless overridden. */
export function makeNoopProgTypes(partial: Partial<ProgTypeRegistry> = {}): ProgTypeRegistry {
  return { get: () => undefined, all: () => [], ...partial };
}
