import type { SecurityStack } from '@bpfkit/kernel-api';
import { createSecurityStack } from '../stack.js';

/**
 * An LSM stack for tests: everything allowed (an empty stack) except the
 * hooks given.
 *
 * @example
 * const lsm = makeNoopSecurityStack({ bpfTokenCreate: () => ({ errno: 'EACCES' }) });
 */
export function makeNoopSecurityStack(partial: Partial<SecurityStack> = {}): SecurityStack {
  return { ...createSecurityStack([]), ...partial };
}
