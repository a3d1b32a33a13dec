import {
  BpfError,
  INVALID_ID,
  MAY_EXEC,
  MAY_READ,
  MAY_WRITE,
  type CapabilityChecker,
  type Credentials,
  type Inode,
  type Tracer,
  type UserNamespaces,
} from '@bpfkit/kernel-api';
import { Capability } from '@bpfkit/uapi';

/** What the DAC checks need. */
export interface PermissionDeps {
  readonly userNamespaces: UserNamespaces;
  readonly capabilities: CapabilityChecker;
  readonly tracer?: Tracer;
}

/** `in_group_p`: the cred's fsgid (the contract carries no supplementary groups). */
function inGroup(cred: Credentials, gid: number): boolean {
  return cred.fsgid === gid;
}

/**
 * `capable_wrt_inode_uidgid`: `cap` over the caller's own userns, and the
 * inode's owner and group both mapped in it.
 */
export function capableWrtInodeUidgid(deps: PermissionDeps, cred: Credentials, inode: Inode, cap: number): boolean {
  const ns = cred.userNs;
  if (!deps.capabilities.nsCapable(cred, ns, cap, deps.tracer)) return false;
  return (
    deps.userNamespaces.mapUp(ns, 'uid', inode.uid) !== INVALID_ID &&
    deps.userNamespaces.mapUp(ns, 'gid', inode.gid) !== INVALID_ID
  );
}

/** `acl_permission_check` without POSIX ACLs (bpffs has none): true when the mode bits allow `mask`. */
function aclPermissionCheck(inode: Inode, cred: Credentials, mask: number): boolean {
  let mode = inode.mode;
  const want = mask & 7;
  // Everybody has the requested rights: uid and gid do not matter.
  if (((want * 0o111) & ~mode) === 0) return true;
  if (inode.uid === cred.fsuid) return (want & ~(mode >> 6)) === 0;
  // Only look at the group when its bits differ from the others' for what is asked.
  if ((want & (mode ^ (mode >> 3))) !== 0 && inGroup(cred, inode.gid)) mode >>= 3;
  return (want & ~mode) === 0;
}

/**
 * `generic_permission()`: owner/group/other bits, then the DAC overrides.
 * Directories: CAP_DAC_READ_SEARCH for anything but write, else
 * CAP_DAC_OVERRIDE. Files: CAP_DAC_READ_SEARCH for a plain read;
 * CAP_DAC_OVERRIDE for read/write, and for exec only when some x bit is set.
 * Both caps are checked in the caller's userns with the inode's ids mapped there.
 * Throws EACCES.
 */
export function genericPermission(deps: PermissionDeps, inode: Inode, cred: Credentials, mask: number): void {
  if (aclPermissionCheck(inode, cred, mask)) return;
  if (inode.kind === 'dir') {
    if ((mask & MAY_WRITE) === 0 && capableWrtInodeUidgid(deps, cred, inode, Capability.CAP_DAC_READ_SEARCH)) return;
    if (capableWrtInodeUidgid(deps, cred, inode, Capability.CAP_DAC_OVERRIDE)) return;
    throw denied(inode, mask);
  }
  const rwx = mask & (MAY_READ | MAY_WRITE | MAY_EXEC);
  if (rwx === MAY_READ && capableWrtInodeUidgid(deps, cred, inode, Capability.CAP_DAC_READ_SEARCH)) return;
  if ((rwx & MAY_EXEC) === 0 || (inode.mode & 0o111) !== 0) {
    if (capableWrtInodeUidgid(deps, cred, inode, Capability.CAP_DAC_OVERRIDE)) return;
  }
  throw denied(inode, mask);
}

function denied(inode: Inode, mask: number): BpfError {
  const what = [mask & MAY_READ ? 'r' : '', mask & MAY_WRITE ? 'w' : '', mask & MAY_EXEC ? 'x' : ''].join('');
  return new BpfError(
    'EACCES',
    'bpffs:permission-denied',
    `permission denied: '${what}' on inode ${inode.ino} (mode ${inode.mode.toString(8)}, uid ${inode.uid}, gid ${inode.gid})`,
  );
}
