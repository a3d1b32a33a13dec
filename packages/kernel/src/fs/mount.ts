import type { Inode, SuperBlock, UserNamespace } from '@bpfkit/kernel-api';

/**
 * A mount (`struct mount`): a superblock seen from `root` (the superblock root,
 * or a subdirectory for a bind mount), attached at `mountpoint` of `parent`.
 */
export class Mount {
  parent: Mount | undefined;
  /** The inode of `parent` this mount covers. */
  mountpoint: Inode | undefined;
  /** Components from `parent`'s root to `mountpoint`. */
  mountpointRel: readonly string[] = [];
  /** The mount point as an absolute path in its namespace (`/` for a namespace root or a detached mount). */
  mountpointPath: string;
  /** Components from the superblock root to `root` (mountinfo's root field). */
  readonly rootRel: readonly string[];
  ns: MountNamespace;

  constructor(
    readonly id: number,
    readonly sb: SuperBlock,
    readonly root: Inode,
    rootRel: readonly string[],
    ns: MountNamespace,
    /** mountinfo's source field (`none` when the fs_context had none). */
    readonly source: string,
    readonly readonly: boolean,
  ) {
    this.rootRel = rootRel;
    this.ns = ns;
    this.parent = undefined;
    this.mountpoint = undefined;
    this.mountpointPath = '/';
  }
}

/**
 * A mount namespace (`struct mnt_namespace`), owned by the user namespace that
 * was current when it was created. Detached mounts from `fsmount()` live in an
 * anonymous namespace of their own.
 */
export class MountNamespace {
  readonly mounts: Mount[] = [];
  root: Mount | undefined;

  constructor(
    readonly id: number,
    readonly owner: UserNamespace,
    readonly anonymous: boolean,
  ) {}

  /** The topmost mount on `(parent, inode)`, if any: what a path walk crosses into. */
  mountedOn(parent: Mount, inode: Inode): Mount | undefined {
    for (let i = this.mounts.length - 1; i >= 0; i--) {
      const m = this.mounts[i];
      if (m !== undefined && m.parent === parent && m.mountpoint === inode) return m;
    }
    return undefined;
  }

  add(m: Mount): void {
    m.ns = this;
    this.mounts.push(m);
  }
}
