/**
 * A contiguous id mapping: ids `first..first+count-1` inside a namespace are
 * `lowerFirst..` in its parent (one line of `/proc/PID/uid_map`).
 */
export interface IdMapExtent {
  readonly first: number;
  readonly lowerFirst: number;
  readonly count: number;
}

/** A user namespace (`struct user_namespace`). Ids in it are global kuids/kgids. */
export interface UserNamespace {
  /** A stable id for printing (`userns#0` is the initial namespace). */
  readonly id: number;
  /** `undefined` only for the initial user namespace. */
  readonly parent: UserNamespace | undefined;
  /** 0 for the initial namespace; the kernel allows at most 32 levels. */
  readonly level: number;
  /** The creator's euid (a kuid): the owner rule of `cap_capable` uses it. */
  readonly owner: number;
  /** The creator's egid (a kgid). */
  readonly group: number;
  /** uid_map extents; empty until written (then every id is unmapped). */
  readonly uidMap: readonly IdMapExtent[];
  readonly gidMap: readonly IdMapExtent[];
  /** `/proc/PID/setgroups`: `deny` once written so. */
  readonly setgroups: 'allow' | 'deny';
}

/** The five capability sets of a task, as 64-bit masks (bit N = capability N). */
export interface CapabilitySets {
  readonly effective: bigint;
  readonly permitted: bigint;
  readonly inheritable: bigint;
  readonly bounding: bigint;
  readonly ambient: bigint;
}

/**
 * A task's credentials (`struct cred`). Every id is a kernel-global kuid/kgid,
 * i.e. as seen from the initial user namespace.
 */
export interface Credentials extends CapabilitySets {
  readonly uid: number;
  readonly euid: number;
  readonly suid: number;
  readonly fsuid: number;
  readonly gid: number;
  readonly egid: number;
  readonly sgid: number;
  readonly fsgid: number;
  /** The user namespace the capability sets are relative to. */
  readonly userNs: UserNamespace;
}

/** `(uid_t)-1` / `(gid_t)-1`: the id an unmapped kuid reads as. */
export const OVERFLOW_ID = 65534;
/** `INVALID_UID`: what mapping an id without an extent yields. */
export const INVALID_ID = -1;
