// A small user-namespace tree and cap_capable for the tests: bpffs may not
// import @bpfkit/userns or @bpfkit/caps, so the tests carry their own model.
import {
  INVALID_ID,
  OVERFLOW_ID,
  type CapabilityChecker,
  type Credentials,
  type IdMapExtent,
  type UserNamespace,
  type UserNamespaces,
} from '@bpfkit/kernel-api';
import { CAP_FULL_SET } from '@bpfkit/uapi';

const U32_LAST = 0xfffffffe;

export interface TestNs extends UserNamespace {
  readonly uidMap: IdMapExtent[];
  readonly gidMap: IdMapExtent[];
}

let nextNsId = 1;

export const initNs: TestNs = {
  id: 0,
  parent: undefined,
  level: 0,
  owner: 0,
  group: 0,
  uidMap: [{ first: 0, lowerFirst: 0, count: U32_LAST + 1 }],
  gidMap: [{ first: 0, lowerFirst: 0, count: U32_LAST + 1 }],
  setgroups: 'allow',
};

/** A child of `parent` owned by `owner` (a kuid), with `map` ("first lower count") for uids and gids. */
export function childNs(parent: UserNamespace, owner: number, map = '0 100000 65536'): TestNs {
  const [first = 0, lowerFirst = 0, count = 0] = map.split(/\s+/).map(Number);
  const extent = { first, lowerFirst, count };
  return { id: nextNsId++, parent, level: parent.level + 1, owner, group: owner, uidMap: [extent], gidMap: [extent], setgroups: 'allow' };
}

function mapDown(ns: UserNamespace, kind: 'uid' | 'gid', id: number): number {
  if (id < 0 || id > 0xffffffff) return INVALID_ID;
  const ext = (kind === 'uid' ? ns.uidMap : ns.gidMap).find((e) => id >= e.first && id < e.first + e.count);
  if (ext === undefined) return INVALID_ID;
  const lower = ext.lowerFirst + (id - ext.first);
  return ns.parent === undefined ? lower : mapDown(ns.parent, kind, lower);
}

function mapUp(ns: UserNamespace, kind: 'uid' | 'gid', kid: number): number {
  const inParent = ns.parent === undefined ? kid : mapUp(ns.parent, kind, kid);
  if (inParent === INVALID_ID) return INVALID_ID;
  const ext = (kind === 'uid' ? ns.uidMap : ns.gidMap).find((e) => inParent >= e.lowerFirst && inParent < e.lowerFirst + e.count);
  return ext === undefined ? INVALID_ID : ext.first + (inParent - ext.lowerFirst);
}

function unsupported(): never {
  throw new Error('not modelled in the bpffs tests');
}

export const userNamespaces: UserNamespaces = {
  init: initNs,
  create: unsupported,
  writeIdMap: unsupported,
  writeSetgroups: unsupported,
  mapDown,
  mapUp,
  mapUpMunged: (ns, kind, kid) => {
    const v = mapUp(ns, kind, kid);
    return v === INVALID_ID ? OVERFLOW_ID : v;
  },
  isAncestorOrSelf: (a, ns) => {
    for (let n: UserNamespace | undefined = ns; n !== undefined; n = n.parent) if (n === a) return true;
    return false;
  },
  formatIdMap: unsupported,
  parseIdMap: unsupported,
};

/** `cap_capable` as token.md §4 describes it (owner rule included). */
function capCapable(cred: Credentials, targetNs: UserNamespace, cap: number): boolean {
  for (let ns: UserNamespace | undefined = targetNs; ns !== undefined; ns = ns.parent) {
    if (ns === cred.userNs) return ((cred.effective >> BigInt(cap)) & 1n) === 1n;
    if (ns.level <= cred.userNs.level) return false;
    if (ns.parent === cred.userNs && ns.owner === cred.euid) return true;
  }
  return false;
}

/** The checker bpffs is given; no security module, so `ns_capable` is `cap_capable`. */
export const capabilities: CapabilityChecker = { capCapable, nsCapable: capCapable };

/** Credentials with every id = `kuid` and the given effective set. */
export function cred(userNs: UserNamespace, kuid: number, effective: bigint = CAP_FULL_SET): Credentials {
  return {
    uid: kuid, euid: kuid, suid: kuid, fsuid: kuid,
    gid: kuid, egid: kuid, sgid: kuid, fsgid: kuid,
    effective, permitted: effective, inheritable: 0n, bounding: CAP_FULL_SET, ambient: 0n,
    userNs,
  };
}

/** Init-ns root with every capability. */
export const hostRoot = cred(initNs, 0);
