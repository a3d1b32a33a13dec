import { BpfError, MAY_EXEC, MAY_READ, MAY_WRITE, type Credentials, type Inode } from '@bpfkit/kernel-api';
import { Capability } from '@bpfkit/uapi';
import type { KernelCore } from '../core.js';

/** `privileged_wrt_inode_uidgid`: the inode's owner and group are mapped in `cred`'s userns. */
function privilegedWrtInode(core: KernelCore, cred: Credentials, inode: Inode): boolean {
  const u = core.deps.userNamespaces;
  return u.mapUp(cred.userNs, 'uid', inode.uid) !== -1 && u.mapUp(cred.userNs, 'gid', inode.gid) !== -1;
}

/** `capable_wrt_inode_uidgid`. */
export function capableWrtInode(core: KernelCore, cred: Credentials, inode: Inode, cap: number): boolean {
  return core.nsCapable(cred, cred.userNs, cap) && privilegedWrtInode(core, cred, inode);
}

/**
 * `generic_permission()`: owner/group/other bits, then CAP_DAC_READ_SEARCH and
 * CAP_DAC_OVERRIDE over the inode. Throws EACCES.
 */
export function genericPermission(core: KernelCore, inode: Inode, cred: Credentials, mask: number): void {
  const want = mask & (MAY_READ | MAY_WRITE | MAY_EXEC);
  let mode = inode.mode;
  if (inode.uid === cred.fsuid) mode >>= 6;
  else if (inode.gid === cred.fsgid) mode >>= 3;
  if ((want & ~mode & 7) === 0) return;
  if (inode.kind === 'dir') {
    if ((mask & MAY_WRITE) === 0 && capableWrtInode(core, cred, inode, Capability.CAP_DAC_READ_SEARCH)) return;
    if (capableWrtInode(core, cred, inode, Capability.CAP_DAC_OVERRIDE)) return;
  } else {
    if (want === MAY_READ && capableWrtInode(core, cred, inode, Capability.CAP_DAC_READ_SEARCH)) return;
    if (((want & MAY_EXEC) === 0 || (inode.mode & 0o111) !== 0) && capableWrtInode(core, cred, inode, Capability.CAP_DAC_OVERRIDE)) return;
  }
  throw new BpfError('EACCES', 'vfs:permission-denied', `mode ${inode.mode.toString(8)} owner ${inode.uid}:${inode.gid} denies mask ${mask}`);
}
