import {
  CLONE_NEWNS,
  CLONE_NEWUSER,
  FsconfigCmd,
  MS_PRIVATE,
  MS_REC,
  O_RDONLY,
  type Kernel,
  type Task,
} from '@bpfkit/kernel-api';

/** How to make an actor (the `spawn` spec of the token corpus, camel-cased). */
export interface SpawnOptions {
  /** Fork from this task instead of `kernel.init`. */
  readonly parent?: Task;
  /** setresgid/setresuid to this id first (loses every capability); it owns a userns made next. */
  readonly preUid?: number;
  /** unshare(CLONE_NEWUSER). */
  readonly userns?: boolean;
  /** Who writes the maps: `kernel.init` (default) or the task itself (setgroups deny + one line). */
  readonly map?: 'orchestrator' | 'self';
  /** Default `0 100000 65536`. */
  readonly uidMap?: string;
  /** Default: `uidMap`. */
  readonly gidMap?: string;
  /** For `map: 'self'`: the outer ids the single line maps 0 to (default 0). */
  readonly selfOuterUid?: number;
  readonly selfOuterGid?: number;
  /** unshare(CLONE_NEWNS), then make `/` recursively private. */
  readonly mntns?: boolean;
  /** setresgid/setresuid to this id at the end. */
  readonly uid?: number;
}

const KNOWN = new Set(['parent', 'preUid', 'userns', 'map', 'uidMap', 'gidMap', 'selfOuterUid', 'selfOuterGid', 'mntns', 'uid']);

function setIds(t: Task, id: number): void {
  t.setresgid(id, id, id);
  t.setresuid(id, id, id);
}

/**
 * Forks a task from `kernel.init` (or `parent`) with an empty fd table and
 * applies the spec in the corpus's order: preUid, userns (+ maps, then uid 0
 * inside), mntns, uid. Throws `BpfError` when a step is refused.
 *
 * @example
 * const outsider = spawnTask(kernel, { uid: 1000 });
 */
export function spawnTask(kernel: Kernel, options: SpawnOptions = {}): Task {
  for (const k of Object.keys(options)) if (!KNOWN.has(k)) throw new TypeError(`spawnTask: unknown option ${k}`);
  const t = (options.parent ?? kernel.init).fork({ fds: 'empty' });
  try {
    if (options.preUid !== undefined) setIds(t, options.preUid);
    if (options.userns === true) {
      t.unshare(CLONE_NEWUSER);
      if (options.map === 'self') {
        t.writeFile('/proc/self/setgroups', 'deny');
        t.writeFile('/proc/self/uid_map', `0 ${options.selfOuterUid ?? 0} 1`);
        t.writeFile('/proc/self/gid_map', `0 ${options.selfOuterGid ?? 0} 1`);
      } else {
        const uidMap = options.uidMap ?? '0 100000 65536';
        kernel.init.writeFile(`/proc/${t.pid}/uid_map`, uidMap);
        kernel.init.writeFile(`/proc/${t.pid}/gid_map`, options.gidMap ?? uidMap);
      }
      setIds(t, 0);
    }
    if (options.mntns === true) {
      t.unshare(CLONE_NEWNS);
      t.mount(null, '/', null, MS_REC | MS_PRIVATE, null);
    }
    if (options.uid !== undefined) setIds(t, options.uid);
    return t;
  } catch (e) {
    t.exit();
    throw e;
  }
}

/**
 * A container: a task in a new user namespace (maps written by init, root
 * inside, full capabilities there) with its own private mount namespace.
 *
 * @example
 * const c = childInUserns(kernel, { uidMap: '0 200000 65536' });
 */
export function childInUserns(kernel: Kernel, options: SpawnOptions = {}): Task {
  return spawnTask(kernel, { userns: true, mntns: true, ...options });
}

/** The `delegate_*` values a manager sets (absent: not set). */
export interface DelegateOptions {
  readonly cmds?: string;
  readonly maps?: string;
  readonly progs?: string;
  readonly attachs?: string;
}

/** What {@link delegatedBpffs} sets up. */
export interface DelegatedBpffs {
  /** The init-userns manager (private mount namespace). */
  readonly manager: Task;
  /** The container. */
  readonly child: Task;
  /** In `child`: the O_PATH fd of the detached bpffs mount. */
  readonly mountFd: number;
  /** In `child`: `openat(mountFd, ".")`, the fd BPF_TOKEN_CREATE takes. */
  readonly bpffsFd: number;
}

/**
 * The delegation dance: the child (new userns + mount ns) calls fsopen("bpf")
 * and passes the fd to the manager, which sets `delegate_*`, creates the
 * superblock and mounts it; the child receives the mount and opens its root.
 *
 * @example
 * const { child, bpffsFd } = delegatedBpffs(kernel, { delegate: { cmds: 'any', maps: 'any' } });
 * child.bpf(BpfCmd.BPF_TOKEN_CREATE, encodeAttr(BpfCmd.BPF_TOKEN_CREATE, { bpffs_fd: bpffsFd }));
 */
export function delegatedBpffs(
  kernel: Kernel,
  options: { readonly delegate: DelegateOptions; readonly uidMap?: string; readonly child?: Task; readonly manager?: Task },
): DelegatedBpffs {
  const manager = options.manager ?? spawnTask(kernel, { mntns: true });
  const child = options.child ?? childInUserns(kernel, options.uidMap === undefined ? {} : { uidMap: options.uidMap });
  const fs = child.fsopen('bpf');
  const managerFs = child.passFd(fs, manager);
  child.close(fs);
  for (const kind of ['cmds', 'maps', 'progs', 'attachs'] as const) {
    const value = options.delegate[kind];
    if (value !== undefined) manager.fsconfig(managerFs, FsconfigCmd.FSCONFIG_SET_STRING, `delegate_${kind}`, value);
  }
  manager.fsconfig(managerFs, FsconfigCmd.FSCONFIG_CMD_CREATE);
  const mnt = manager.fsmount(managerFs);
  const mountFd = manager.passFd(mnt, child);
  manager.close(mnt);
  manager.close(managerFs);
  const bpffsFd = child.open('.', O_RDONLY, mountFd);
  return { manager, child, mountFd, bpffsFd };
}
