import { BpfError, NO_TRACE, type Capabilities, type Credentials, type SecurityStack, type Tracer, type UserNamespace } from '@bpfkit/kernel-api';
import { capLabel, describeUserNs } from './describe.js';
import { capCapable } from './cap-capable.js';
import { capset, credsForNewUserNs, dropEffective, initCredentials, setresgid, setresuid } from './transitions.js';

/** Options of {@link createCapabilityChecker}. */
export interface CapabilityCheckerDeps {
  /** Where `capCapable` records its steps when the caller passes no tracer. */
  readonly tracer?: Tracer;
  /** The security stack whose `capable` hook `nsCapable` consults after commoncap (default: none). */
  readonly lsm?: Pick<SecurityStack, 'capable'>;
}

const KNOWN_DEPS = new Set(['tracer', 'lsm']);

/**
 * The capability subsystem: `cap_capable` across the user-namespace tree plus
 * the credential transitions of the task code.
 *
 * @example
 * const caps = createCapabilityChecker();
 * caps.capCapable(cred, ns, Capability.CAP_BPF); // boolean
 * const outsider = caps.setresuid(caps.initCredentials(initNs), 1000, 1000, 1000);
 */
export function createCapabilityChecker(deps: CapabilityCheckerDeps = {}): Capabilities {
  for (const key of Object.keys(deps)) {
    if (!KNOWN_DEPS.has(key)) throw new BpfError('EINVAL', 'caps:unknown-option', `createCapabilityChecker: unknown option '${key}'`);
  }
  const defaultTracer = deps.tracer;
  const lsm = deps.lsm;
  function nsCapable(cred: Credentials, ns: UserNamespace, cap: number, given?: Tracer): boolean {
    const tracer = given ?? defaultTracer ?? NO_TRACE;
    if (!capCapable(cred, ns, cap, tracer)) return false;
    const denial = lsm?.capable(cred, ns, cap);
    if (denial === undefined) return true;
    tracer.step({
      check: 'security_capable', outcome: 'fail', errno: denial.errno,
      detail: `security module ${denial.module ?? '?'} withheld ${capLabel(cap)} in ${describeUserNs(ns)}${denial.message === undefined ? '' : `: ${denial.message}`}`,
      hint: `change the policy of security module ${denial.module ?? '?'}`,
    });
    return false;
  }
  return {
    capCapable: (cred, targetNs, cap, tracer) => capCapable(cred, targetNs, cap, tracer ?? defaultTracer),
    nsCapable,
    initCredentials,
    credsForNewUserNs,
    setresuid,
    setresgid,
    capset,
    dropEffective,
  };
}
