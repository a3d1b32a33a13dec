import type { Credentials } from './creds.js';
import type { DelegateMasks } from './token.js';
import type { FileSystemType, Inode, InodeOperations, SuperBlock } from './vfs.js';

/** The four `delegate_*` mount options, by the suffix of their key. */
export type DelegateKind = 'cmds' | 'maps' | 'progs' | 'attachs';

/**
 * The mount options of one bpffs instance (`struct bpf_mount_opts`): the state an
 * fs_context builds with fsconfig() and a superblock keeps. Ids are kuid/kgid.
 */
export interface BpfFsOptions {
  /** Root directory permission bits (`S_IALLUGO`); `0o777` unless `mode=` was given. The sticky bit is added at creation. */
  mode: number;
  /** Owner of the root directory (kuid); the fsopen() caller's fsuid unless `uid=` was given. */
  uid: number;
  /** Group of the root directory (kgid); the fsopen() caller's fsgid unless `gid=` was given. */
  gid: number;
  /** `delegate_cmds`, `delegate_maps`, `delegate_progs`, `delegate_attachs`: every fsconfig ORs in; unknown bits kept. */
  delegate: { cmds: bigint; maps: bigint; progs: bigint; attachs: bigint };
}

/** What a bpffs pin holds: `BPF_OBJ_PIN` accepts maps, programs and links only. */
export type BpfPinKind = 'map' | 'prog' | 'link';

/** A pinned object as BPF_OBJ_GET finds it. */
export interface BpfPinnedObject {
  readonly kind: BpfPinKind;
  /** The kernel's handle, as given to {@link BpfFs.pin}. */
  readonly object: unknown;
}

/**
 * The BPF file system (`kernel/bpf/inode.c`): the `bpf` file system type with its
 * mount options, delegation and superblocks, plus the pin/get half of
 * BPF_OBJ_PIN / BPF_OBJ_GET. The kernel walks paths; bpffs does the rest.
 */
export interface BpfFs extends FileSystemType {
  readonly name: 'bpf';
  readonly inodeOps: InodeOperations;
  /**
   * The bpffs part of BPF_OBJ_PIN (`bpf_obj_do_pin`) once the kernel has resolved
   * the fd to `kind`/`object` and walked to the parent `dir`: EPERM when `dir` is
   * not a bpffs directory, then the create checks; the new inode gets mode
   * `0600 & ~umask`, owned by the caller's fsuid/fsgid. The caller (the kernel)
   * holds one reference on `object` for the pin and drops it when the pin is
   * unlinked (`bpf_free_inode` puts it in the kernel).
   */
  pin(dir: Inode, name: string, kind: BpfPinKind, object: unknown, cred: Credentials, umask: number): Inode;
  /**
   * The bpffs part of BPF_OBJ_GET (`bpf_obj_do_get`) on the inode the path
   * resolved to: `permission(mask)` (EACCES), then EACCES when it holds no object.
   */
  objGet(inode: Inode, cred: Credentials, mask: number): BpfPinnedObject;
  /** True when `sb` is a bpffs superblock (of this or any bpffs instance). */
  isBpfFs(sb: SuperBlock): boolean;
  /** The superblock's delegation, for BPF_TOKEN_CREATE; `undefined` when `sb` is not bpffs. */
  delegateMasks(sb: SuperBlock): DelegateMasks | undefined;
  /** The superblock's mount options; `undefined` when `sb` is not bpffs. */
  mountOptions(sb: SuperBlock): Readonly<BpfFsOptions> | undefined;
}
