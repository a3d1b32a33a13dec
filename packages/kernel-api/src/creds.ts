/**
 * A contiguous id mapping: ids `first..first+count-1` inside a namespace are
 * `lowerFirst..` below it (one line of `/proc/PID/uid_map`). As parsed from a
 * write, `lowerFirst` is an id of the parent namespace; once installed in a
 * {@link UserNamespace} it is the global kuid/kgid, as the kernel stores it.
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
  /**
   * 0 for the initial namespace. Creating a child of a level-33 namespace fails
   * with ENOSPC (measured on 6.18: levels 1–33 can be created).
   */
  readonly level: number;
  /** The creator's euid (a kuid): the owner rule of `cap_capable` uses it. */
  readonly owner: number;
  /** The creator's egid (a kgid). */
  readonly group: number;
  /**
   * uid_map extents, `lowerFirst` as global kuids; empty until written (until
   * then every id is unmapped). The initial namespace maps 0–4294967294 onto itself.
   */
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

/** `overflowuid` / `overflowgid`: the id an unmapped kuid reads as in `stat`, `getuid`. */
export const OVERFLOW_ID = 65534;
/** `INVALID_UID`: what mapping an id without an extent yields. */
export const INVALID_ID = -1;

/** Nesting limit: a namespace at this level cannot get a child (`create_user_ns`, ENOSPC). */
export const MAX_USERNS_LEVEL = 33;
