import type { CapabilityChecker, Credentials, SecurityStack, UserNamespace } from '@bpfkit/kernel-api';
import { capInMask } from '@bpfkit/uapi';

/**
 * The `cap_capable` walk, for when no checker is injected. `@bpfkit/caps` is
 * the real one (with tracing); a subsystem may not import it, so this copy
 * keeps `createUserNamespaces()` usable on its own.
 */
export const builtinCapabilityChecker: CapabilityChecker = {
  capCapable(cred, targetNs, cap) {
    for (let ns: UserNamespace | undefined = targetNs; ns !== undefined; ns = ns.parent) {
      if (ns === cred.userNs) return capInMask(cred.effective, cap);
      if (ns.level <= cred.userNs.level) return false;
      if (ns.parent === cred.userNs && ns.owner === cred.euid) return true;
    }
    return false;
  },
};

/** `ns_capable` / `file_ns_capable`: commoncap, then the LSM `capable` hook. */
export function nsCapable(
  caps: CapabilityChecker,
  lsm: Pick<SecurityStack, 'capable'> | undefined,
  cred: Credentials,
  ns: UserNamespace,
  cap: number,
): boolean {
  return caps.capCapable(cred, ns, cap) && lsm?.capable(cred, ns, cap) === undefined;
}
