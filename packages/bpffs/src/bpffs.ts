import {
  BpfError,
  NO_TRACE,
  S_ISVTX,
  type BpfFs,
  type BpfFsOptions,
  type BpfPinKind,
  type BpfPinnedObject,
  type CapabilityChecker,
  type Credentials,
  type DelegateMasks,
  type FsContext,
  type FsParameter,
  type Inode,
  type InodeOperations,
  type SuperBlock,
  type Tracer,
  type UserNamespaces,
} from '@bpfkit/kernel-api';
import { Capability } from '@bpfkit/uapi';
import { bpfLookup, bpfMkdir, bpfRemove, mayCreate, newInode } from './inodes.js';
import { contextOptions, defaultMountOptions, freezeOptions, isMountOptions, toDelegateMasks } from './mount-opts.js';
import { bpfParseParam } from './parse-param.js';
import { genericPermission } from './permission.js';
import { showBpfOptions } from './show-options.js';

/** What {@link createBpfFs} needs. Only these fields are accepted. */
export interface BpfFsDeps {
  /** Id mapping for uid=/gid= and the DAC checks. */
  readonly userNamespaces: UserNamespaces;
  /** `capable()` / `ns_capable()` (the checker applies the LSM `capable` hook if it wants). */
  readonly capabilities: CapabilityChecker;
  /** Where permission decisions are traced; nothing by default. */
  readonly tracer?: Tracer;
  /** Superblock ids (the VFS may want them global); 1, 2, 3… by default. */
  readonly allocSuperblockId?: () => number;
  /** Inode numbers for everything but a root (`get_next_ino`); 2, 3, 4… by default. */
  readonly allocIno?: () => number;
}

const DEP_KEYS = new Set(['userNamespaces', 'capabilities', 'tracer', 'allocSuperblockId', 'allocIno']);

function counter(start: number): () => number {
  let next = start;
  return () => next++;
}

/**
 * Creates the BPF file system type (`bpf_fs_type` of kernel/bpf/inode.c) for
 * the kernel's VFS to register: fs_context setup and option parsing with the
 * kernel's quirks, superblock creation, show_options, inode operations with the
 * DAC rules, and the pin/get half of BPF_OBJ_PIN/BPF_OBJ_GET.
 *
 * @example
 * const bpffs = createBpfFs({ userNamespaces, capabilities });
 * const ctx = { fsType: bpffs, purpose: 'new', userNs: root.userNs, cred: root, superblock: undefined, fsPrivate: undefined, log: [] };
 * bpffs.initFsContext(ctx);
 * bpffs.parseParam(ctx, { type: 'string', key: 'delegate_cmds', value: 'map_create:prog_load' }, root);
 * const sb = bpffs.getTree(ctx, root);
 * bpffs.showOptions(sb); // ',delegate_cmds=map_create:prog_load'
 */
export function createBpfFs(deps: BpfFsDeps): BpfFs {
  for (const key of Object.keys(deps)) {
    if (!DEP_KEYS.has(key)) throw new TypeError(`createBpfFs: unknown dependency '${key}'`);
  }
  const { userNamespaces, capabilities } = deps;
  const tracer = deps.tracer ?? NO_TRACE;
  const allocSuperblockId = deps.allocSuperblockId ?? counter(1);
  const allocIno = deps.allocIno ?? counter(2);
  const permDeps = { userNamespaces, capabilities, tracer };

  const optionsOf = (sb: SuperBlock): Readonly<BpfFsOptions> | undefined =>
    sb.fsType.name === 'bpf' && isMountOptions(sb.fsInfo) ? sb.fsInfo : undefined;

  const isBpfDir = (inode: Inode): boolean => inode.kind === 'dir' && optionsOf(inode.superblock) !== undefined;

  const inodeOps: InodeOperations = {
    lookup: (dir, name) => bpfLookup(dir, name),
    mkdir: (dir, name, mode, cred) => bpfMkdir(permDeps, allocIno, dir, name, mode, cred),
    unlink: (dir, name, cred) => {
      bpfRemove(permDeps, dir, name, cred, false);
    },
    rmdir: (dir, name, cred) => {
      bpfRemove(permDeps, dir, name, cred, true);
    },
    permission: (inode, cred, mask) => {
      genericPermission(permDeps, inode, cred, mask);
    },
  };

  const fs: BpfFs = {
    name: 'bpf',
    userNsMount: true,
    reconfigure: undefined,
    inodeOps,

    initFsContext(ctx: FsContext): void {
      ctx.fsPrivate = defaultMountOptions(ctx.cred);
    },

    parseParam(ctx: FsContext, param: FsParameter, caller: Credentials): void {
      bpfParseParam(permDeps, ctx, param, caller);
    },

    getTree(ctx: FsContext, caller: Credentials): SuperBlock {
      const opts = contextOptions(ctx);
      if (ctx.purpose !== 'new') {
        throw new BpfError('EINVAL', 'bpffs:get-tree-on-reconfigure', 'get_tree needs an fs_context opened for a new superblock');
      }
      // A bpffs owned by a user namespace other than init may only be
      // instantiated by a process privileged in init: the container cannot
      // create its own delegation.
      if (ctx.userNs.parent !== undefined) {
        const ok = capabilities.nsCapable(caller, userNamespaces.init, Capability.CAP_SYS_ADMIN, tracer);
        tracer.step({
          check: 'bpffs:fill-super-needs-capable',
          outcome: ok ? 'pass' : 'fail',
          detail: `a bpffs for userns#${ctx.userNs.id} needs CAP_SYS_ADMIN in the initial user namespace in the creating process: ${ok ? 'held' : 'missing'}`,
          ...(ok ? {} : { errno: 'EPERM' as const, hint: 'let an init-namespace CAP_SYS_ADMIN process run FSCONFIG_CMD_CREATE' }),
        });
        if (!ok) {
          throw new BpfError(
            'EPERM',
            'bpffs:create-needs-init-cap-sys-admin',
            'creating a bpffs outside the initial user namespace needs CAP_SYS_ADMIN in the initial user namespace',
          );
        }
      }
      const frozen = freezeOptions(opts);
      const sb: { -readonly [K in keyof SuperBlock]: SuperBlock[K] } = {
        id: allocSuperblockId(),
        fsType: fs,
        userNs: ctx.userNs,
        root: undefined as unknown as Inode,
        fsInfo: frozen,
      };
      const root = newInode(sb, 1, undefined, 'dir', S_ISVTX | opts.mode, ctx.cred);
      root.uid = opts.uid;
      root.gid = opts.gid;
      sb.root = root;
      // New instances would be populated by bpf_preload (maps.debug, progs.debug); not modelled.
      return sb;
    },

    showOptions(sb: SuperBlock): string {
      const opts = optionsOf(sb);
      return opts === undefined ? '' : showBpfOptions(sb, opts);
    },

    pin(dir: Inode, name: string, kind: BpfPinKind, object: unknown, cred: Credentials, umask: number): Inode {
      if (!isBpfDir(dir)) {
        throw new BpfError('EPERM', 'bpffs:pin-outside-bpffs', 'objects can only be pinned in a bpffs directory');
      }
      const children = mayCreate(permDeps, dir, name, cred);
      const inode = newInode(dir.superblock, allocIno(), dir, kind, 0o600 & ~umask, cred, object);
      children.set(name, inode);
      return inode;
    },

    objGet(inode: Inode, cred: Credentials, mask: number): BpfPinnedObject {
      genericPermission(permDeps, inode, cred, mask);
      if (inode.kind !== 'map' && inode.kind !== 'prog' && inode.kind !== 'link') {
        throw new BpfError('EACCES', 'bpffs:not-a-pinned-object', `inode ${inode.ino} holds no BPF object`);
      }
      return { kind: inode.kind, object: inode.object };
    },

    isBpfFs: (sb) => optionsOf(sb) !== undefined,

    delegateMasks(sb: SuperBlock): DelegateMasks | undefined {
      const opts = optionsOf(sb);
      return opts === undefined ? undefined : toDelegateMasks(opts);
    },

    mountOptions: (sb) => optionsOf(sb),
  };
  return fs;
}
