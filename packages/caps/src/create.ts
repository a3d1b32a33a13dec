import { BpfError, type Capabilities, type Tracer } from '@bpfkit/kernel-api';
import { capCapable } from './cap-capable.js';
import { capset, credsForNewUserNs, dropEffective, initCredentials, setresgid, setresuid } from './transitions.js';

/** Options of {@link createCapabilityChecker}. */
export interface CapabilityCheckerDeps {
  /** Where `capCapable` records its steps when the caller passes no tracer. */
  readonly tracer?: Tracer;
}

const KNOWN_DEPS = new Set(['tracer']);

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
  return {
    capCapable: (cred, targetNs, cap, tracer) => capCapable(cred, targetNs, cap, tracer ?? defaultTracer),
    initCredentials,
    credsForNewUserNs,
    setresuid,
    setresgid,
    capset,
    dropEffective,
  };
}
