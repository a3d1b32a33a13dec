import type { CapabilityChecker, UserNamespaces } from '@bpfkit/kernel-api';
import { createUserNamespaces } from '../create.js';

/** A checker that refuses every capability, as `makeNoopCapabilityChecker()` of `@bpfkit/caps` does. */
const NO_CAPABILITIES: CapabilityChecker = { capCapable: () => false, nsCapable: () => false };

/**
 * A user-namespace tree for tests: a real one (pure, cheap) with the given
 * methods replaced. Capability checks say no unless a checker is given
 * (pass `createCapabilityChecker()` of `@bpfkit/caps` for the real rules).
 *
 * @example
 * const userns = makeNoopUserNamespaces({ writeIdMap: () => undefined });
 * const real = makeNoopUserNamespaces({}, createCapabilityChecker());
 */
export function makeNoopUserNamespaces(partial: Partial<UserNamespaces> = {}, capabilities: CapabilityChecker = NO_CAPABILITIES): UserNamespaces {
  return { ...createUserNamespaces({ capabilities }), ...partial };
}
