// A small simulated world for the token tests: real userns, caps and lsm services.
import { createCapabilityChecker } from '@bpfkit/caps';
import type { Credentials, DelegateMasks, SecurityModule, TokenSource, UserNamespace } from '@bpfkit/kernel-api';
import { createSecurityStack } from '@bpfkit/lsm';
import { createTokenService } from '@bpfkit/token';
import { createUserNamespaces } from '@bpfkit/userns';

export const ALL: DelegateMasks = { cmds: ~0n, maps: ~0n, progs: ~0n, attachs: ~0n };
export const NONE: DelegateMasks = { cmds: 0n, maps: 0n, progs: 0n, attachs: 0n };

export function makeWorld(modules: SecurityModule[] = []) {
  const lsm = createSecurityStack(modules);
  const caps = createCapabilityChecker({ lsm });
  const userNamespaces = createUserNamespaces({ capabilities: caps });
  const tokens = createTokenService({ capabilities: caps, lsm, userNamespaces });
  const root = caps.initCredentials(userNamespaces.init);

  /** setresuid/setresgid to `id` everywhere (the corpus's `pre_uid` / `uid`). */
  function becomeUser(cred: Credentials, id: number): Credentials {
    const kid = userNamespaces.mapDown(cred.userNs, 'uid', id);
    const kgid = userNamespaces.mapDown(cred.userNs, 'gid', id);
    return caps.setresuid(caps.setresgid(cred, kgid, kgid, kgid), kid, kid, kid);
  }

  /**
   * unshare(CLONE_NEWUSER) by `parent`, maps written by the init root as
   * `0 <base> 65536` (or, with `base` 'self', by the process itself as
   * `0 <outer id> 1`), then uid/gid 0 inside.
   */
  function container(parent: Credentials = root, base: number | 'self' = 100000): Credentials {
    const ns = userNamespaces.create(parent);
    let cred = caps.credsForNewUserNs(parent, ns);
    if (base === 'self') {
      const outerUid = userNamespaces.mapUp(parent.userNs, 'uid', parent.euid);
      const outerGid = userNamespaces.mapUp(parent.userNs, 'gid', parent.egid);
      userNamespaces.writeSetgroups(ns, 'deny', cred);
      userNamespaces.writeIdMap(ns, 'uid', `0 ${outerUid} 1`, cred, ns);
      userNamespaces.writeIdMap(ns, 'gid', `0 ${outerGid} 1`, cred, ns);
    } else {
      userNamespaces.writeIdMap(ns, 'uid', `0 ${base} 65536`, root, root.userNs);
      userNamespaces.writeIdMap(ns, 'gid', `0 ${base} 65536`, root, root.userNs);
    }
    cred = becomeUser(cred, 0);
    return cred;
  }

  /** An fd of a bpffs root whose superblock belongs to `ns`. */
  function bpffs(ns: UserNamespace, delegate: DelegateMasks = ALL, extra: Partial<TokenSource> = {}): TokenSource {
    return { opath: false, isSuperblockRoot: true, fsType: 'bpf', superblockUserNs: ns, delegate, path: '/sys/fs/bpf', ...extra };
  }

  return { caps, userNamespaces, lsm, tokens, root, becomeUser, container, bpffs };
}
