import { BpfError, type Credentials, type UserNamespace } from '@bpfkit/kernel-api';
import { CAP_FULL_SET, Capability, capInMask } from '@bpfkit/uapi';
import { capCapable } from './cap-capable.js';

const UNCHANGED = -1;
const MAX_ID = 0xfffffffe;

/**
 * The credentials of init (`init_cred`): every id 0, full permitted, effective
 * and bounding sets, empty inheritable and ambient sets.
 *
 * @example
 * const root = initCredentials(userNamespaces.init);
 */
export function initCredentials(initNs: UserNamespace): Credentials {
  return {
    uid: 0, euid: 0, suid: 0, fsuid: 0,
    gid: 0, egid: 0, sgid: 0, fsgid: 0,
    effective: CAP_FULL_SET, permitted: CAP_FULL_SET, bounding: CAP_FULL_SET,
    inheritable: 0n, ambient: 0n,
    userNs: initNs,
  };
}

/**
 * The credentials after `unshare(CLONE_NEWUSER)` or `setns` into `ns`
 * (`set_cred_user_ns`): the kuids stay, the sets become full in `ns` (and so
 * useless anywhere above it), inheritable and ambient are emptied.
 *
 * @example
 * const inside = credsForNewUserNs(cred, userNamespaces.create(cred));
 */
export function credsForNewUserNs(cred: Credentials, ns: UserNamespace): Credentials {
  return {
    ...cred,
    effective: CAP_FULL_SET, permitted: CAP_FULL_SET, bounding: CAP_FULL_SET,
    inheritable: 0n, ambient: 0n,
    userNs: ns,
  };
}

function checkId(id: number, what: string): void {
  if (id !== UNCHANGED && !(Number.isInteger(id) && id >= 0 && id <= MAX_ID)) {
    throw new BpfError('EINVAL', 'caps:invalid-id', `${what} ${id} is not a valid id (0–4294967294, or -1 to keep it)`);
  }
}

/** `make_kuid(ns, 0)`: the kuid root of `ns` maps to, or -1 when unmapped. */
function rootKuid(ns: UserNamespace): number {
  if (ns.parent === undefined) return 0;
  const extent = ns.uidMap.find((e) => e.first === 0);
  return extent === undefined ? UNCHANGED : extent.lowerFirst;
}

interface IdTriple { readonly r: number; readonly e: number; readonly s: number }

function setres(cred: Credentials, old: IdTriple, next: IdTriple, cap: number, name: string): IdTriple | undefined {
  checkId(next.r, `r${name}`);
  checkId(next.e, `e${name}`);
  checkId(next.s, `s${name}`);
  const same = (id: number, cur: number): boolean => id === UNCHANGED || id === cur;
  if (same(next.r, old.r) && same(next.e, old.e) && same(next.s, old.s)) return undefined;
  // Any of the three current ids may be taken without privilege.
  const isNew = (id: number): boolean => id !== UNCHANGED && id !== old.r && id !== old.e && id !== old.s;
  if ((isNew(next.r) || isNew(next.e) || isNew(next.s)) && !capCapable(cred, cred.userNs, cap)) {
    const capName = cap === Capability.CAP_SETUID ? 'CAP_SETUID' : 'CAP_SETGID';
    throw new BpfError('EPERM', `caps:missing-${capName}`, `setres${name}: a new ${name} needs ${capName} in the caller's user namespace`);
  }
  const pick = (id: number, cur: number): number => (id === UNCHANGED ? cur : id);
  return { r: pick(next.r, old.r), e: pick(next.e, old.e), s: pick(next.s, old.s) };
}

/**
 * `setresuid(2)` with the capability fix-ups of `cap_emulate_setxuid`: going
 * from any root id to no root id at all clears the permitted, effective and
 * ambient sets; euid root → non-root clears the effective set; euid non-root →
 * root restores effective from permitted. fsuid follows euid. Ids are kuids.
 * (`SECURE_KEEP_CAPS` and `SECURE_NO_SETUID_FIXUP` are not modelled.)
 *
 * @example
 * const outsider = setresuid(root, 1000, 1000, 1000); // every set empty
 */
export function setresuid(cred: Credentials, ruid: number, euid: number, suid: number): Credentials {
  const ids = setres(cred, { r: cred.uid, e: cred.euid, s: cred.suid }, { r: ruid, e: euid, s: suid }, Capability.CAP_SETUID, 'uid');
  if (ids === undefined) return cred;
  const root = rootKuid(cred.userNs);
  let { permitted, effective, ambient } = cred;
  const wasRoot = cred.uid === root || cred.euid === root || cred.suid === root;
  const isRoot = ids.r === root || ids.e === root || ids.s === root;
  if (wasRoot && !isRoot) {
    permitted = 0n;
    effective = 0n;
    ambient = 0n;
  }
  if (cred.euid === root && ids.e !== root) effective = 0n;
  if (cred.euid !== root && ids.e === root) effective = permitted;
  return { ...cred, uid: ids.r, euid: ids.e, suid: ids.s, fsuid: ids.e, permitted, effective, ambient };
}

/**
 * `setresgid(2)`: like {@link setresuid} with CAP_SETGID, without capability
 * fix-ups. fsgid follows egid. Ids are kgids.
 *
 * @example
 * const cred2 = setresgid(root, 1000, 1000, 1000);
 */
export function setresgid(cred: Credentials, rgid: number, egid: number, sgid: number): Credentials {
  const ids = setres(cred, { r: cred.gid, e: cred.egid, s: cred.sgid }, { r: rgid, e: egid, s: sgid }, Capability.CAP_SETGID, 'gid');
  if (ids === undefined) return cred;
  return { ...cred, gid: ids.r, egid: ids.e, sgid: ids.s, fsgid: ids.e };
}

/**
 * `capset(2)` on the calling task (`cap_capset`). Bits above CAP_LAST_CAP are
 * dropped first, as the syscall does. EPERM when inheritable gains a bit that
 * is neither inheritable nor permitted (unless CAP_SETPCAP is effective) or is
 * outside the bounding set, when permitted grows, or when effective is not a
 * subset of the new permitted set. Ambient keeps only bits still permitted and
 * inheritable.
 *
 * @example
 * const noBpf = capset(cred, cred.effective & ~capMask(Capability.CAP_BPF), cred.permitted, cred.inheritable);
 */
export function capset(cred: Credentials, effective: bigint, permitted: bigint, inheritable: bigint): Credentials {
  const eff = effective & CAP_FULL_SET;
  const prm = permitted & CAP_FULL_SET;
  const inh = inheritable & CAP_FULL_SET;
  const subset = (a: bigint, b: bigint): boolean => (a & ~b) === 0n;
  const capped = !capInMask(cred.effective, Capability.CAP_SETPCAP);
  if (capped && !subset(inh, cred.inheritable | cred.permitted)) {
    throw new BpfError('EPERM', 'caps:inheritable-not-permitted', 'capset: a new inheritable bit must be permitted (or CAP_SETPCAP effective)');
  }
  if (!subset(inh, cred.inheritable | cred.bounding)) {
    throw new BpfError('EPERM', 'caps:inheritable-outside-bounding', 'capset: a new inheritable bit must be in the bounding set');
  }
  if (!subset(prm, cred.permitted)) {
    throw new BpfError('EPERM', 'caps:permitted-grows', 'capset: the permitted set can only shrink');
  }
  if (!subset(eff, prm)) {
    throw new BpfError('EPERM', 'caps:effective-not-permitted', 'capset: the effective set must be a subset of the permitted set');
  }
  return { ...cred, effective: eff, permitted: prm, inheritable: inh, ambient: cred.ambient & prm & inh };
}

/**
 * Clears the bits of `caps` from the effective set and keeps the permitted set,
 * so they can be raised again (the corpus's `drop_caps`).
 *
 * @example
 * const withoutBpf = dropEffective(cred, capMask(Capability.CAP_BPF));
 */
export function dropEffective(cred: Credentials, caps: bigint): Credentials {
  return { ...cred, effective: cred.effective & ~BigInt.asUintN(64, caps) };
}
