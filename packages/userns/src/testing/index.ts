import type { UserNamespaces } from '@bpfkit/kernel-api';
import { createUserNamespaces } from '../create.js';

/**
 * A user-namespace tree for tests: a real one (pure, cheap) with the given
 * methods replaced.
 *
 * @example
 * const userns = makeNoopUserNamespaces({ writeIdMap: () => undefined });
 */
export function makeNoopUserNamespaces(partial: Partial<UserNamespaces> = {}): UserNamespaces {
  return { ...createUserNamespaces(), ...partial };
}
