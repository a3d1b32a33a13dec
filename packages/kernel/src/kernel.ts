import { type Kernel, type ObjectCounts } from '@bpfkit/kernel-api';
import { CAP_FULL_SET } from '@bpfkit/uapi';
import { KernelCore } from './core.js';
import type { KernelDeps } from './deps.js';
import { KFdTable } from './fs/fdtable.js';
import { Mount, MountNamespace } from './fs/mount.js';
import { simpleFsType, simpleSuperBlock } from './fs/simplefs.js';
import { TaskImpl } from './task/task.js';
import { vmlinuxKernelBtf } from './btf/vmlinux.js';


/**
 * The composition root: boots a kernel from its subsystems. The initial
 * task is root in the initial user and mount namespaces; `/` is an
 * in-memory file system and `/proc` is mounted.
 *
 * @example
 * const kernel = createKernel({ userNamespaces, capabilities, security, token, bpffs, maps, progs, verifier, btf });
 * const fd = kernel.init.open('/proc');
 */
export function createKernel(deps: KernelDeps): Kernel {
  const core = new KernelCore(deps);
  const initNs = deps.userNamespaces.init;
  const rootfsType = simpleFsType(core, 'rootfs', true);
  const procType = simpleFsType(core, 'proc', false);
  const mntNs = new MountNamespace(core.mntNsIds.alloc(), initNs, false);
  const rootSb = simpleSuperBlock(core, rootfsType, initNs, 0o755);
  const rootMnt = new Mount(core.mountIds.alloc(), rootSb, rootSb.root, [], mntNs, 'rootfs', false);
  mntNs.add(rootMnt);
  mntNs.root = rootMnt;
  const procDir = rootfsType.inodeOps?.mkdir(rootSb.root, 'proc', 0o555, deps.capabilities.initCredentials(initNs));
  const procSb = simpleSuperBlock(core, procType, initNs, 0o555);
  const procMnt = new Mount(core.mountIds.alloc(), procSb, procSb.root, [], mntNs, 'proc', false);
  procMnt.parent = rootMnt;
  procMnt.mountpoint = procDir;
  procMnt.mountpointRel = ['proc'];
  procMnt.mountpointPath = '/proc';
  mntNs.add(procMnt);

  let cred = deps.capabilities.initCredentials(initNs);
  const caps = deps.initCaps ?? CAP_FULL_SET;
  cred = { ...cred, effective: caps & cred.effective, permitted: caps & cred.permitted };
  const rootPath = { mnt: rootMnt, inode: rootSb.root, rel: [] };
  const init = new TaskImpl(core, core.pids.alloc(), cred, mntNs, rootPath, rootPath, new KFdTable());

  const vmlinux = core.objects.create('btf', core.objects.nextId('btf'), 'vmlinux', vmlinuxKernelBtf(deps.vmlinuxBtf, deps.vmlinuxBtfBytes));
  core.objects.ownByKernel(vmlinux);

  return {
    init,
    task: (pid) => core.tasks.get(pid),
    sysctl: () => core.unprivilegedBpfDisabled,
    setSysctl: (_name, value, writer) => {
      core.setUnprivBpfDisabled(value, (writer ?? init).cred);
    },
    counts(): ObjectCounts {
      let fds = 0;
      for (const t of core.tasks.values()) fds += t.fdTable.size;
      const o = core.objects.counts();
      return {
        objects: o.total,
        fds,
        files: core.liveFiles.size,
        byKind: o.byKind,
        ...(deps.arena === undefined ? {} : { arenaBytes: deps.arena.allocatedBytes }),
        mappings: core.mappings,
      };
    },
  };
}
