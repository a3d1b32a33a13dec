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
   * `creator.userNs` owned by its euid. Throws EUSERS past 32 levels.
   */
  create(creator: Credentials): UserNamespace;
  /**
   * A write of `text` to `/proc/<target>/uid_map` (or gid_map) by `writer`, who
   * opened the file while in `openerNs`. Throws EPERM/EINVAL as the kernel does.
   */
  writeIdMap(target: UserNamespace, kind: IdMapKind, text: string, writer: Credentials, openerNs: UserNamespace): void;
  /** A write of `allow` / `deny` to `/proc/<target>/setgroups`. */
  writeSetgroups(target: UserNamespace, value: 'allow' | 'deny', writer: Credentials): void;
  /** `make_kuid`: an id inside `ns` → global kuid, or `INVALID_ID` when unmapped. */
  mapDown(ns: UserNamespace, kind: IdMapKind, id: number): number;
  /** `from_kuid`: a global kuid → the id seen in `ns`, or `INVALID_ID` when unmapped. */
  mapUp(ns: UserNamespace, kind: IdMapKind, kid: number): number;
  /** `from_kuid_munged`: like {@link mapUp} but unmapped ids read as the overflow id 65534. */
  mapUpMunged(ns: UserNamespace, kind: IdMapKind, kid: number): number;
  /** True when `ancestor` is `ns` or one of its parents. */
  isAncestorOrSelf(ancestor: UserNamespace, ns: UserNamespace): boolean;
  /** The text of `/proc/<pid>/uid_map` as read by a task in `readerNs`. */
  formatIdMap(target: UserNamespace, kind: IdMapKind, readerNs: UserNamespace): string;
  /** Parses `"0 100000 65536\n"` lines into extents (EINVAL on bad text). */
  parseIdMap(text: string): IdMapExtent[];
  readonly tracer?: Tracer;
}
