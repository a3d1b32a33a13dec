import type { Credentials, IdMapExtent, UserNamespace } from './creds.js';
import type { Tracer } from './trace.js';

/** Which id map a write targets. */
export type IdMapKind = 'uid' | 'gid';

/**
 * The user-namespace tree (kernel/user_namespace.c): creation with the nesting
 * limit, uid/gid map writes with the kernel's rules on who may write what and
 * when, and id translation both ways.
 */
export interface UserNamespaces {
  /** The initial user namespace. */
  readonly init: UserNamespace;
  /**
   * `unshare(CLONE_NEWUSER)` / `clone(CLONE_NEWUSER)` by `creator`: a child of
   * `creator.userNs` owned by its euid/egid. Only the namespace: the caller
   * gives the task its new credentials (`credsForNewUserNs` of `@bpfkit/caps`).
   * Throws ENOSPC when `creator.userNs` is at level 33, EPERM when the
   * creator's euid or egid has no mapping in its own namespace.
   */
  create(creator: Credentials): UserNamespace;
  /**
   * A write of `text` to `/proc/<target>/uid_map` (or gid_map) by `writer`.
   * `opener` is who opened the file (`file->f_cred`): its credentials, or just
   * the namespace it was in, meaning the writer's own credentials opened it
   * there. Throws EPERM/EINVAL as the kernel does.
   */
  writeIdMap(
    target: UserNamespace,
    kind: IdMapKind,
    text: string,
    writer: Credentials,
    opener: UserNamespace | Credentials,
  ): void;
  /**
   * A write of `text` (`allow` / `deny`, trailing spaces allowed) to
   * `/proc/<target>/setgroups` by `writer`, who also opened it. EACCES without
   * CAP_SYS_ADMIN over `target`, EINVAL for other text, EPERM for `allow` after
   * `deny` or `deny` after gid_map was written.
   */
  writeSetgroups(target: UserNamespace, value: string, writer: Credentials): void;
  /** `make_kuid`: an id inside `ns` → global kuid, or `INVALID_ID` when unmapped. */
  mapDown(ns: UserNamespace, kind: IdMapKind, id: number): number;
  /** `from_kuid`: a global kuid → the id seen in `ns`, or `INVALID_ID` when unmapped. */
  mapUp(ns: UserNamespace, kind: IdMapKind, kid: number): number;
  /** `from_kuid_munged`: like {@link mapUp} but unmapped ids read as the overflow id 65534. */
  mapUpMunged(ns: UserNamespace, kind: IdMapKind, kid: number): number;
  /** `userns_may_setgroups`: gid_map written and setgroups not denied. */
  maySetgroups?(ns: UserNamespace): boolean;
  /** True when `ancestor` is `ns` or one of its parents. */
  isAncestorOrSelf(ancestor: UserNamespace, ns: UserNamespace): boolean;
  /** The text of `/proc/<pid>/uid_map` as read by a task in `readerNs`. */
  formatIdMap(target: UserNamespace, kind: IdMapKind, readerNs: UserNamespace): string;
  /**
   * Parses `"0 100000 65536\n"` lines into extents as `map_write` does: at most
   * 340, no overlaps, no zero or wrapping counts (EINVAL on bad text). The
   * `lowerFirst` values are still ids of the parent namespace.
   */
  parseIdMap(text: string): IdMapExtent[];
  readonly tracer?: Tracer;
}
