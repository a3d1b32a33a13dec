import type { Credentials, UserNamespace } from './creds.js';

/** What an inode is. Pinned BPF objects are inodes of their own kind, as in bpffs. */
export type InodeKind = 'dir' | 'reg' | 'symlink' | 'map' | 'prog' | 'link' | 'btf';

/** An inode (`struct inode`): owner and mode as kuid/kgid. */
export interface Inode {
  readonly ino: number;
  readonly kind: InodeKind;
  /** Permission bits and the sticky/setgid bits (`S_ISVTX` = 0o1000), without the file type. */
  mode: number;
  uid: number;
  gid: number;
  readonly superblock: SuperBlock;
  /** Directory entries (directories only). */
  readonly children?: Map<string, Inode>;
  /** The pinned object (map/prog/link/btf inodes): an opaque handle the kernel owns. */
  readonly object?: unknown;
}

/** A superblock (`struct super_block`): one instance of a file system. */
export interface SuperBlock {
  readonly id: number;
  readonly fsType: FileSystemType;
  /** `s_user_ns`: the user namespace that owns this instance. */
  readonly userNs: UserNamespace;
  readonly root: Inode;
  /** File-system private data (bpffs: its mount options and delegation). */
  readonly fsInfo: unknown;
}

/** One `fsconfig()` parameter. */
export type FsParameter =
  | { readonly type: 'flag'; readonly key: string }
  | { readonly type: 'string'; readonly key: string; readonly value: string };

/**
 * An fs_context (`struct fs_context`) from `fsopen()` / `fspick()` / mount(2).
 * `log` holds the messages the context's fd reads back (`e bpf: Bad value for 'uid'`).
 */
export interface FsContext {
  readonly fsType: FileSystemType;
  readonly purpose: 'new' | 'reconfigure';
  /** `fc->user_ns`: the fsopen caller's userns (for a new superblock, its future `s_user_ns`). */
  readonly userNs: UserNamespace;
  /** `fc->cred`: the credentials of the `fsopen()` caller. */
  readonly cred: Credentials;
  /** For reconfigure: the superblock being changed. */
  readonly superblock: SuperBlock | undefined;
  /** fs-private parse state (bpffs: the options being built). */
  fsPrivate: unknown;
  /** Messages for the fd's read(); each starts with `e `, `w ` or `i ` and the fs name. */
  readonly log: string[];
}

/**
 * A file system type (`struct file_system_type` + `fs_context_operations`).
 * The VFS (in `@bpfkit/kernel`) owns fsopen/fsconfig/fsmount/mount and calls these.
 */
export interface FileSystemType {
  readonly name: string;
  /** `FS_USERNS_MOUNT`: may be mounted by CAP_SYS_ADMIN in a non-init userns. */
  readonly userNsMount: boolean;
  /** `init_fs_context`: sets up `fsPrivate` (defaults from `ctx.cred`). */
  initFsContext(ctx: FsContext): void;
  /**
   * `parse_param` for one fsconfig/mount-data option, run with the
   * credentials of the caller of fsconfig (`caller`). Throws `BpfError` and
   * appends to `ctx.log` the way the kernel does.
   */
  parseParam(ctx: FsContext, param: FsParameter, caller: Credentials): void;
  /**
   * `get_tree`: the fs-specific part of superblock creation, after the VFS's
   * own checks, run with `caller`'s credentials (FSCONFIG_CMD_CREATE / mount(2)).
   */
  getTree(ctx: FsContext, caller: Credentials): SuperBlock;
  /** `reconfigure`: `undefined` when the file system has no reconfigure op. */
  readonly reconfigure: ((ctx: FsContext, caller: Credentials) => void) | undefined;
  /** `show_options`: the superblock's part of `/proc/self/mountinfo`, e.g. `,uid=100000,delegate_cmds=any`. */
  showOptions(sb: SuperBlock): string;
}
