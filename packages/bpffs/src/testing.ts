import type { BpfFs, DelegateMasks, Inode, InodeKind, SuperBlock } from '@bpfkit/kernel-api';

const NO_DELEGATION: DelegateMasks = Object.freeze({ cmds: 0n, maps: 0n, progs: 0n, attachs: 0n });

/**
 * A bpffs that checks nothing: options are ignored, every superblock is an empty
 * root owned by global root with mode 01777 and no delegation, every create
 * succeeds and every permission passes. Pass the methods a test cares about.
 *
 * @example
 * const fs = makeNoopBpfFs({ delegateMasks: () => ({ cmds: 1n, maps: 0n, progs: 0n, attachs: 0n }) });
 */
export function makeNoopBpfFs(partial: Partial<BpfFs> = {}): BpfFs {
  let nextId = 1;
  let nextIno = 2;
  const mk = (sb: SuperBlock, kind: InodeKind, mode: number, object?: unknown): Inode => ({
    ino: nextIno++,
    kind,
    mode,
    uid: 0,
    gid: 0,
    superblock: sb,
    ...(kind === 'dir' ? { children: new Map<string, Inode>() } : {}),
    ...(object === undefined ? {} : { object }),
  });
  const add = (dir: Inode, name: string, inode: Inode): Inode => {
    dir.children?.set(name, inode);
    return inode;
  };
  const fs: BpfFs = {
    name: 'bpf',
    userNsMount: true,
    reconfigure: undefined,
    initFsContext: () => undefined,
    parseParam: () => undefined,
    getTree(ctx) {
      const sb: { -readonly [K in keyof SuperBlock]: SuperBlock[K] } = {
        id: nextId++,
        fsType: fs,
        userNs: ctx.userNs,
        root: undefined as unknown as Inode,
        fsInfo: undefined,
      };
      sb.root = { ino: 1, kind: 'dir', mode: 0o1777, uid: 0, gid: 0, superblock: sb, children: new Map() };
      return sb;
    },
    showOptions: () => '',
    inodeOps: {
      lookup: (dir, name) => dir.children?.get(name),
      mkdir: (dir, name, mode) => add(dir, name, mk(dir.superblock, 'dir', mode)),
      unlink: (dir, name) => {
        dir.children?.delete(name);
      },
      rmdir: (dir, name) => {
        dir.children?.delete(name);
      },
      permission: () => undefined,
    },
    pin: (dir, name, kind, object, _cred, umask) => add(dir, name, mk(dir.superblock, kind, 0o600 & ~umask, object)),
    objGet: (inode) => ({ kind: inode.kind === 'prog' || inode.kind === 'link' ? inode.kind : 'map', object: inode.object }),
    isBpfFs: (sb) => sb.fsType.name === 'bpf',
    delegateMasks: (sb) => (sb.fsType.name === 'bpf' ? NO_DELEGATION : undefined),
    mountOptions: () => undefined,
    ...partial,
  };
  return fs;
}
