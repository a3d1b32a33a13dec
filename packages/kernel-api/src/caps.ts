import type { Credentials, UserNamespace } from './creds.js';
import type { Tracer } from './trace.js';

/**
 * `cap_capable()` of security/commoncap.c: does `cred` hold `cap` over
 * `targetNs`? Walks from `targetNs` up: the cred's own namespace answers from
 * the effective set; the creator's euid in a child's parent has every
 * capability there (the owner rule); descendants and strangers never count.
 */
export interface CapabilityChecker {
  capCapable(cred: Credentials, targetNs: UserNamespace, cap: number, tracer?: Tracer): boolean;
}
