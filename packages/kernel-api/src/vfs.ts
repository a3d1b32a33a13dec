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

/**
 * One `fsconfig()` parameter (`struct fs_parameter`). `flag` is FSCONFIG_SET_FLAG,
 * `string` FSCONFIG_SET_STRING (and every mount(2) `key=value`). The other value
 * types (`fs_value_is_blob` from SET_BINARY, `fs_value_is_filename` from
 * SET_PATH/SET_PATH_EMPTY, `fs_value_is_file` from SET_FD) carry a payload the
 * VFS resolved; a file system that only wants strings looks at the type alone.
 */
export type FsParameter =
  | { readonly type: 'flag'; readonly key: string }
  | { readonly type: 'string'; readonly key: string; readonly value: string }
  | { readonly type: 'blob' | 'filename' | 'file'; readonly key: string };

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
  /** `fc->source`, set by a `source=` parameter; `undefined` until then (mountinfo then shows `none`). */
  source?: string;
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
  /**
   * The inode operations of this file system's inodes. `undefined`: the file
   * system has no writable namespace (mkdir/unlink give EPERM, lookups only
   * find what it created itself).
   */
  readonly inodeOps?: InodeOperations;
}

/** `MAY_EXEC`: search a directory / execute a file (`permission()` masks). */
export const MAY_EXEC = 0x1;
/** `MAY_WRITE`. */
export const MAY_WRITE = 0x2;
/** `MAY_READ`. */
export const MAY_READ = 0x4;
/** `MAY_APPEND`. */
export const MAY_APPEND = 0x8;
/** `MAY_ACCESS`: no r/w/x bit, so DAC always passes (token creation uses it). */
export const MAY_ACCESS = 0x10;
/** `MAY_OPEN`. */
export const MAY_OPEN = 0x20;

/** `S_ISUID`. */
export const S_ISUID = 0o4000;
/** `S_ISGID`. */
export const S_ISGID = 0o2000;
/** `S_ISVTX`: the sticky bit. */
export const S_ISVTX = 0o1000;
/** `S_IRWXUGO`. */
export const S_IRWXUGO = 0o777;
/** `S_IALLUGO`: every bit an `Inode.mode` may hold. */
export const S_IALLUGO = 0o7777;

/**
 * Directory and permission operations of a file system (`inode_operations`),
 * with the VFS checks around them (`may_create`, `may_delete`, the sticky bit)
 * folded in, so the kernel only walks paths and calls these. Every method
 * throws `BpfError` with the kernel's errno.
 */
export interface InodeOperations {
  /**
   * The child `name` of `dir` (the dcache, then `->lookup`): `undefined` for a
   * negative entry. `name` is one path component, never `.` or `..`.
   */
  lookup(dir: Inode, name: string): Inode | undefined;
  /**
   * mkdir(2) after the path walk: `mode` is the caller's mode with the umask
   * already removed (`do_mkdirat`), `cred` the caller's credentials.
   */
  mkdir(dir: Inode, name: string, mode: number, cred: Credentials): Inode;
  /** unlink(2) of a non-directory. */
  unlink(dir: Inode, name: string, cred: Credentials): void;
  /** rmdir(2). */
  rmdir(dir: Inode, name: string, cred: Credentials): void;
  /**
   * `inode_permission()` for `mask` (`MAY_*` bits) without the mount's
   * read-only check: `generic_permission` unless the file system has its own.
   * Throws EACCES.
   */
  permission(inode: Inode, cred: Credentials, mask: number): void;
}
