import type { Credentials, UserNamespace } from './creds.js';
import type { Tracer } from './trace.js';

/**
 * `cap_capable()` of security/commoncap.c: does `cred` hold `cap` over
 * `targetNs`? Walks from `targetNs` up: the cred's own namespace answers from
 * the effective set; the creator's euid in a child's parent has every
 * capability there (the owner rule); descendants and strangers never count.
 * `capCapable` consults no LSM; `nsCapable` is the kernel's `ns_capable`:
 * `capCapable`, then the security stack's `capable` hook.
 */
export interface CapabilityChecker {
  capCapable(cred: Credentials, targetNs: UserNamespace, cap: number, tracer?: Tracer): boolean;
  /** `ns_capable()`: {@link capCapable}, then `security_capable` (a denial is traced with the module's reason). */
  nsCapable(cred: Credentials, targetNs: UserNamespace, cap: number, tracer?: Tracer): boolean;
}

/**
 * Credential changes the kernel's task code makes. Each returns new
 * credentials (a `struct cred` is never changed in place) or throws `BpfError`.
 * Ids are global kuids/kgids; `-1` leaves one unchanged. The caller maps the
 * syscall's ids with `make_kuid` first (EINVAL when unmapped).
 */
export interface CredentialTransitions {
  /** The credentials of init: ids 0, full permitted/effective/bounding sets, in `initNs`. */
  initCredentials(initNs: UserNamespace): Credentials;
  /**
   * What `unshare(CLONE_NEWUSER)` leaves the task with (`set_cred_user_ns`):
   * same ids, full permitted/effective/bounding sets in `ns`, empty inheritable and ambient.
   */
  credsForNewUserNs(cred: Credentials, ns: UserNamespace): Credentials;
  /** `setresuid(2)` with `cap_task_fix_setuid`; EPERM without CAP_SETUID for a new id. */
  setresuid(cred: Credentials, ruid: number, euid: number, suid: number): Credentials;
  /** `setresgid(2)`; EPERM without CAP_SETGID for a new id. */
  setresgid(cred: Credentials, rgid: number, egid: number, sgid: number): Credentials;
  /** `capset(2)` on oneself (`cap_capset`): EPERM when a set would grow. */
  capset(cred: Credentials, effective: bigint, permitted: bigint, inheritable: bigint): Credentials;
  /** Clears `caps` (a mask) from the effective set; the permitted set is kept. */
  dropEffective(cred: Credentials, caps: bigint): Credentials;
}

/** What `createCapabilityChecker` returns: the check and the credential transitions. */
export interface Capabilities extends CapabilityChecker, CredentialTransitions {}
