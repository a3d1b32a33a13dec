import { NO_TRACE, type Credentials, type TraceStep, type Tracer, type UserNamespace } from '@bpfkit/kernel-api';
import { capInMask, capValid } from '@bpfkit/uapi';
import { capLabel, describeUserNs } from './describe.js';

const CHECK = 'cap_capable';

/**
 * `cap_capable()` (security/commoncap.c): does `cred` hold `cap` over `targetNs`?
 *
 * The walk starts at `targetNs` and goes up the parents:
 * - in the cred's own namespace the effective set decides;
 * - reaching the cred's level (or above) without meeting its namespace means
 *   the target is an ancestor or unrelated: capabilities held only in a
 *   descendant or a stranger namespace never count;
 * - a namespace whose parent is the cred's and whose owner is the cred's euid
 *   grants everything (the owner rule).
 *
 * No LSM is consulted here; `ns_capable` adds the stack's `capable` hook.
 *
 * @example
 * capCapable(containerRoot, containerNs, Capability.CAP_BPF); // true: own ns, effective set
 * capCapable(containerRoot, initNs, Capability.CAP_BPF);      // false: an ancestor
 */
export function capCapable(cred: Credentials, targetNs: UserNamespace, cap: number, tracer: Tracer = NO_TRACE): boolean {
  // Without a tracer nobody reads the steps: decide without building their text (a hot path of every bpf() gate).
  const traced = tracer !== NO_TRACE;
  if (!capValid(cap)) {
    if (traced) tracer.step({ check: CHECK, outcome: 'fail', detail: `${capLabel(cap)} is not a capability (0–40)`, errno: 'EPERM' });
    return false;
  }
  const own = cred.userNs;
  for (let ns: UserNamespace | undefined = targetNs; ns !== undefined; ns = ns.parent) {
    if (ns === own) {
      const held = capInMask(cred.effective, cap);
      if (traced) tracer.step(ownNamespaceStep(cred, ns, cap, held));
      return held;
    }
    // Levels only grow downwards: once we are no deeper than the cred's
    // namespace without having met it, the target is not below it.
    if (ns.level <= own.level) break;
    if (ns.parent === own && ns.owner === cred.euid) {
      if (traced) {
        tracer.step({
          check: CHECK,
          outcome: 'pass',
          detail: `${capLabel(cap)} in ${describeUserNs(targetNs)}: owner rule, the caller's euid ${cred.euid} created ${describeUserNs(ns)} from its own namespace`,
        });
      }
      return true;
    }
  }
  if (traced) {
    tracer.step({
      check: CHECK,
      outcome: 'fail',
      detail: `${capLabel(cap)} in ${describeUserNs(targetNs)}: the caller is in ${describeUserNs(own)}, which is not that namespace or an ancestor of it`,
      errno: 'EPERM',
      hint: `act from ${describeUserNs(targetNs)} itself or an ancestor; capabilities in descendant or unrelated namespaces never count`,
    });
  }
  return false;
}

/** The step of a check decided in the caller's own namespace, by its effective set. */
function ownNamespaceStep(cred: Credentials, ns: UserNamespace, cap: number, held: boolean): TraceStep {
  const name = capLabel(cap);
  return held
    ? { check: CHECK, outcome: 'pass', detail: `${name} in ${describeUserNs(ns)}: the caller's own namespace, in the effective set` }
    : {
        check: CHECK,
        outcome: 'fail',
        detail: `${name} in ${describeUserNs(ns)}: the caller's own namespace, not in the effective set`,
        errno: 'EPERM',
        hint: capInMask(cred.permitted, cap)
          ? `raise ${name} in the effective set again (it is still permitted)`
          : `${name} is not even permitted: a process with it in userns#${ns.id} must do this`,
      };
}
