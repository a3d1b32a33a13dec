import {
  BpfError,
  INVALID_ID,
  MAX_USERNS_LEVEL,
  NO_TRACE,
  OVERFLOW_ID,
  type BpfErrorReason,
  type CapabilityChecker,
  type Credentials,
  type IdMapExtent,
  type IdMapKind,
  type Tracer,
  type UserNamespace,
  type UserNamespaces,
} from '@bpfkit/kernel-api';
import { Capability, capInMask, type ErrnoName } from '@bpfkit/uapi';
import { formatIdMapLine, mapIdDown, mapIdRangeDown, mapIdUp, parseIdMap } from './id-map.js';
import { UserNamespaceNode } from './namespace.js';

/** Options of {@link createUserNamespaces}. */
export interface UserNamespacesDeps {
  /** `ns_capable` for the map-write rules (`@bpfkit/caps`, which consults the LSM stack; the kernel wires it). */
  readonly capabilities: CapabilityChecker;
  /** Receives a step for every refused operation. */
  readonly tracer?: Tracer;
}

const KNOWN_DEPS = new Set(['capabilities', 'tracer']);
/** `map_write` refuses writes of a page or more. */
const MAX_WRITE_BYTES = 4096;
/** `proc_setgroups_write` reads into an 8-byte buffer. */
const MAX_SETGROUPS_BYTES = 8;
const encoder = new TextEncoder();
const utf8Length = (s: string): number => encoder.encode(s).length;
const INIT_MAP: readonly IdMapExtent[] = [{ first: 0, lowerFirst: 0, count: 0xffffffff }];

/**
 * The user-namespace tree of one simulated kernel.
 *
 * @example
 * const userns = createUserNamespaces({ capabilities: createCapabilityChecker() }); // from @bpfkit/caps
 * const ns = userns.create(rootCred);                       // child of init, owned by uid 0
 * userns.writeIdMap(ns, 'uid', '0 100000 65536', rootCred, userns.init);
 * userns.mapDown(ns, 'uid', 0);                              // 100000
 */
export function createUserNamespaces(deps: UserNamespacesDeps): UserNamespaces & {
  maySetgroups(ns: UserNamespace): boolean;
} {
  for (const key of Object.keys(deps)) {
    if (!KNOWN_DEPS.has(key)) throw new BpfError('EINVAL', 'userns:unknown-option', `createUserNamespaces: unknown option '${key}'`);
  }
  // Checked at run time too: a JavaScript caller gets a clear error instead of a crash on first use.
  if (typeof deps.capabilities?.nsCapable !== 'function') {
    throw new BpfError('EINVAL', 'userns:missing-capabilities', 'createUserNamespaces: deps.capabilities (a CapabilityChecker) is required');
  }
  const caps = deps.capabilities;
  const tracer = deps.tracer ?? NO_TRACE;
  const nodes = new WeakSet<UserNamespaceNode>();
  let nextId = 0;

  const init = new UserNamespaceNode(nextId++, undefined, 0, 0, true);
  init.uidMap = INIT_MAP;
  init.gidMap = INIT_MAP;
  nodes.add(init);

  function fail(errno: ErrnoName, reason: BpfErrorReason, check: string, message: string, hint?: string): never {
    tracer.step({ check, outcome: 'fail', detail: message, errno, ...(hint === undefined ? {} : { hint }) });
    throw new BpfError(errno, reason, message);
  }

  function node(ns: UserNamespace): UserNamespaceNode {
    if (ns instanceof UserNamespaceNode && nodes.has(ns)) return ns;
    throw new BpfError('EINVAL', 'userns:foreign-namespace', `userns#${ns.id} does not belong to this kernel`);
  }

  const mapOf = (ns: UserNamespace, kind: IdMapKind): readonly IdMapExtent[] => (kind === 'uid' ? ns.uidMap : ns.gidMap);
  const mapUp = (ns: UserNamespace, kind: IdMapKind, kid: number): number => mapIdUp(mapOf(ns, kind), kid);

  /** `file->f_cred`: given, or the writer's ids in another namespace with no capabilities there. */
  function openerCred(opener: UserNamespace | Credentials, writer: Credentials): Credentials {
    if ('euid' in opener) return opener;
    if (opener === writer.userNs) return writer;
    return { ...writer, userNs: opener, effective: 0n, permitted: 0n, inheritable: 0n, ambient: 0n };
  }

  /** `verify_root_map`: mapping the parent's id 0 needs CAP_SETFCAP, now or at unshare time. */
  function rootMapAllowed(ns: UserNamespaceNode, extents: readonly IdMapExtent[], opener: Credentials): boolean {
    if (!extents.some((e) => e.lowerFirst === 0)) return true;
    if (ns === opener.userNs) return ns.parentCouldSetfcap;
    return ns.parent !== undefined && caps.nsCapable(opener, ns.parent, Capability.CAP_SETFCAP);
  }

  /** `new_idmap_permitted`. */
  function idmapPermitted(ns: UserNamespaceNode, kind: IdMapKind, extents: readonly IdMapExtent[], writer: Credentials, opener: Credentials): boolean {
    const parent = ns.parent;
    if (parent === undefined) return false;
    if (kind === 'uid' && !rootMapAllowed(ns, extents, opener)) return false;
    const only = extents.length === 1 ? extents[0] : undefined;
    if (only !== undefined && only.count === 1 && ns.owner === opener.euid) {
      if (kind === 'uid' && mapIdDown(parent.uidMap, only.lowerFirst) === opener.euid) return true;
      if (kind === 'gid' && ns.setgroups === 'deny' && mapIdDown(parent.gidMap, only.lowerFirst) === opener.egid) return true;
    }
    const cap = kind === 'uid' ? Capability.CAP_SETUID : Capability.CAP_SETGID;
    return caps.nsCapable(writer, parent, cap) && caps.nsCapable(opener, parent, cap);
  }

  return {
    init,
    tracer,

    create(creator) {
      const parent = node(creator.userNs);
      if (parent.level >= MAX_USERNS_LEVEL) {
        fail('ENOSPC', 'userns:too-deep', 'create_user_ns:level', `userns#${parent.id} is at level ${parent.level}: no deeper namespace can be created`, 'create the namespace from a shallower one');
      }
      if (mapUp(parent, 'uid', creator.euid) === INVALID_ID || mapUp(parent, 'gid', creator.egid) === INVALID_ID) {
        fail('EPERM', 'userns:creator-unmapped', 'create_user_ns:creator-mapped', `the creator's euid ${creator.euid} or egid ${creator.egid} has no mapping in userns#${parent.id}`, `write uid_map and gid_map of userns#${parent.id} first`);
      }
      const ns = new UserNamespaceNode(nextId++, parent, creator.euid, creator.egid, capInMask(creator.effective, Capability.CAP_SETFCAP));
      nodes.add(ns);
      return ns;
    },

    writeIdMap(target, kind, text, writer, opener) {
      const ns = node(target);
      const file = openerCred(opener, writer);
      const check = `${kind}_map`;
      const parent = ns.parent;
      if (parent === undefined) {
        fail('EPERM', 'userns:init-map', check, `the ${kind}_map of the initial namespace is fixed`);
      }
      if (file.userNs !== ns && file.userNs !== parent) {
        fail('EPERM', 'userns:opener-ns', check, `${kind}_map of userns#${ns.id} opened from userns#${file.userNs.id}, which is neither it nor its parent`, `open the file from userns#${ns.id} or userns#${parent.id}`);
      }
      if (utf8Length(text) >= MAX_WRITE_BYTES) {
        fail('EINVAL', 'userns:bad-id-map', check, `a ${kind}_map write must be shorter than ${MAX_WRITE_BYTES} bytes`);
      }
      if (mapOf(ns, kind).length !== 0) {
        fail('EPERM', 'userns:map-already-written', check, `the ${kind}_map of userns#${ns.id} was already written (only one write is allowed)`);
      }
      if (!caps.nsCapable(file, ns, Capability.CAP_SYS_ADMIN)) {
        fail('EPERM', 'userns:missing-CAP_SYS_ADMIN', check, `the opener lacks CAP_SYS_ADMIN over userns#${ns.id}`, `open the file as the namespace's owner or with CAP_SYS_ADMIN in userns#${parent.id}`);
      }
      let extents: IdMapExtent[];
      try {
        extents = parseIdMap(text);
      } catch (e) {
        if (e instanceof BpfError) tracer.step({ check, outcome: 'fail', detail: e.message, errno: 'EINVAL' });
        throw e;
      }
      if (!idmapPermitted(ns, kind, extents, writer, file)) {
        const capName = kind === 'uid' ? 'CAP_SETUID' : 'CAP_SETGID';
        const selfHint =
          kind === 'gid' && ns.setgroups === 'allow'
            ? `write 'deny' to setgroups first, then '0 <your egid> 1'`
            : `write the single line '0 <your e${kind}> 1' as the owner`;
        fail('EPERM', 'userns:map-not-permitted', check, `this ${kind}_map needs ${capName} over userns#${parent.id} in both the writer and the opener`, selfHint);
      }
      const parentMap = mapOf(parent, kind);
      const installed = extents.map((e) => ({ ...e, lowerFirst: mapIdRangeDown(parentMap, e.lowerFirst, e.count) }));
      const unmapped = installed.findIndex((e) => e.lowerFirst === INVALID_ID);
      if (unmapped !== -1) {
        const e = extents[unmapped];
        fail('EPERM', 'userns:lower-unmapped', check, `ids ${e?.lowerFirst}..${(e?.lowerFirst ?? 0) + (e?.count ?? 1) - 1} are not mapped in userns#${parent.id}`, `map only ids that userns#${parent.id} has`);
      }
      if (kind === 'uid') ns.uidMap = installed;
      else ns.gidMap = installed;
    },

    writeSetgroups(target, value, writer) {
      const ns = node(target);
      if (!caps.nsCapable(writer, ns, Capability.CAP_SYS_ADMIN)) {
        fail('EACCES', 'userns:setgroups-open', 'setgroups', `opening setgroups of userns#${ns.id} for writing needs CAP_SYS_ADMIN over it`);
      }
      if (utf8Length(value) >= MAX_SETGROUPS_BYTES) fail('EINVAL', 'userns:bad-setgroups', 'setgroups', 'setgroups takes allow or deny');
      const nul = value.indexOf('\0');
      const text = nul === -1 ? value : value.slice(0, nul);
      const word = text.startsWith('allow') ? 'allow' : text.startsWith('deny') ? 'deny' : undefined;
      if (word === undefined || !/^[ \t\n\v\f\r]*$/.test(text.slice(word.length))) {
        fail('EINVAL', 'userns:bad-setgroups', 'setgroups', `setgroups takes allow or deny, not ${JSON.stringify(text)}`);
      }
      if (word === 'allow') {
        if (ns.setgroups === 'deny') fail('EPERM', 'userns:setgroups-denied', 'setgroups', `setgroups of userns#${ns.id} was denied; it cannot be allowed again`);
        return;
      }
      if (ns.gidMap.length !== 0) {
        fail('EPERM', 'userns:gid-map-written', 'setgroups', `the gid_map of userns#${ns.id} is written: setgroups can no longer be denied`, 'write deny to setgroups before gid_map');
      }
      ns.setgroups = 'deny';
    },

    mapDown: (ns, kind, id) => mapIdDown(mapOf(ns, kind), id),
    mapUp,
    mapUpMunged(ns, kind, kid) {
      const id = mapUp(ns, kind, kid);
      return id === INVALID_ID ? OVERFLOW_ID : id;
    },
    maySetgroups: (ns) => ns.gidMap.length !== 0 && ns.setgroups === 'allow',
    isAncestorOrSelf(ancestor, ns) {
      for (let n: UserNamespace | undefined = ns; n !== undefined; n = n.parent) if (n === ancestor) return true;
      return false;
    },
    formatIdMap(target, kind, readerNs) {
      const lowerNs = readerNs === target && target.parent !== undefined ? target.parent : readerNs;
      return mapOf(target, kind)
        .map((e) => formatIdMapLine(e.first, mapUp(lowerNs, kind, e.lowerFirst), e.count))
        .join('');
    },
    parseIdMap,
  };
}
