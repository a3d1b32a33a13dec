import type { Capabilities } from '@bpfkit/kernel-api';
import { createCapabilityChecker } from '../create.js';

/**
 * A capability subsystem for tests: `capCapable` and `nsCapable` say no unless
 * given; the credential transitions are the real (pure) ones unless given.
 *
 * @example
 * const caps = makeNoopCapabilityChecker({ capCapable: () => true });
 */
export function makeNoopCapabilityChecker(partial: Partial<Capabilities> = {}): Capabilities {
  return { ...createCapabilityChecker(), capCapable: () => false, nsCapable: () => false, ...partial };
}
