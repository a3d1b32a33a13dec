import type { CapabilityChecker, Credentials, SecurityStack, UserNamespace } from '@bpfkit/kernel-api';

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
