import test, { type ExecutionContext } from 'ava';
import fc from 'fast-check';
import { BpfError, type BpfErrorReason, INVALID_ID, MAX_USERNS_LEVEL, OVERFLOW_ID, type Credentials, type UserNamespace } from '@bpfkit/kernel-api';
import { UID_GID_MAP_MAX_EXTENTS, createUserNamespaces, parseIdMap } from '@bpfkit/userns';
import { makeNoopUserNamespaces } from '@bpfkit/userns/testing';
import { createCapabilityChecker } from '@bpfkit/caps';
import { CAP_FULL_SET, Capability, type ErrnoName } from '@bpfkit/uapi';

function refused(t: ExecutionContext, fn: () => unknown, code: ErrnoName, reason?: BpfErrorReason): void {
  const e = t.throws(fn, { instanceOf: BpfError });
  t.is(e?.code, code);
  if (reason !== undefined) t.is(e?.reason, reason);
}

// The real cap_capable walk comes from @bpfkit/caps (a test-only dependency); credentials are built by hand.
function setup() {
  const userns = createUserNamespaces({ capabilities: createCapabilityChecker() });
  const root: Credentials = {
    uid: 0, euid: 0, suid: 0, fsuid: 0, gid: 0, egid: 0, sgid: 0, fsgid: 0,
    effective: CAP_FULL_SET, permitted: CAP_FULL_SET, bounding: CAP_FULL_SET, inheritable: 0n, ambient: 0n,
    userNs: userns.init,
  };
  const user = (id: number): Credentials => ({ ...root, uid: id, euid: id, suid: id, fsuid: id, gid: id, egid: id, sgid: id, fsgid: id, effective: 0n, permitted: 0n });
  /** unshare(CLONE_NEWUSER): the ns and the task's new credentials (full sets inside). */
  const unshare = (cred: Credentials): { ns: UserNamespace; inside: Credentials } => {
    const ns = userns.create(cred);
    return { ns, inside: { ...cred, userNs: ns, effective: CAP_FULL_SET, permitted: CAP_FULL_SET } };
  };
  return { userns, root, user, unshare };
}

// --- the tree ---

test('the initial namespace is level 0 and maps every id onto itself', (t) => {
  const { userns } = setup();
  t.is(userns.init.level, 0);
  t.is(userns.init.parent, undefined);
  t.is(userns.mapDown(userns.init, 'uid', 4242), 4242);
  t.is(userns.mapDown(userns.init, 'uid', 4294967295), INVALID_ID);
  t.is(userns.formatIdMap(userns.init, 'uid', userns.init), '         0          0 4294967295\n');
});

test('a new namespace records parent, level, owner euid and group egid', (t) => {
  const { user, unshare, userns } = setup();
  const { ns } = unshare(user(1000));
  t.is(ns.parent, userns.init);
  t.is(ns.level, 1);
  t.is(ns.owner, 1000);
  t.is(ns.group, 1000);
  t.deepEqual(ns.uidMap, []);
});

test('namespaces nest 33 levels deep; a 34th gives ENOSPC', (t) => {
  const { root, unshare, userns } = setup();
  let cred = root;
  for (let level = 1; level <= MAX_USERNS_LEVEL; level++) {
    const { ns, inside } = unshare(cred);
    userns.writeSetgroups(ns, 'deny', inside);
    userns.writeIdMap(ns, 'uid', '0 0 1', inside, ns);
    userns.writeIdMap(ns, 'gid', '0 0 1', inside, ns);
    t.is(ns.level, level);
    cred = inside;
  }
  refused(t, () => userns.create(cred), 'ENOSPC', 'userns:too-deep');
});

test('a creator whose euid is unmapped in its namespace cannot create one (EPERM)', (t) => {
  const { root, unshare, userns } = setup();
  const { inside } = unshare(root);
  refused(t, () => userns.create(inside), 'EPERM', 'userns:creator-unmapped');
});

test('a child inherits setgroups=deny from its parent', (t) => {
  const { root, unshare, userns } = setup();
  const { ns, inside } = unshare(root);
  userns.writeSetgroups(ns, 'deny', inside);
  userns.writeIdMap(ns, 'uid', '0 0 1', inside, ns);
  userns.writeIdMap(ns, 'gid', '0 0 1', inside, ns);
  t.is(userns.create(inside).setgroups, 'deny');
});

test('isAncestorOrSelf follows parents only', (t) => {
  const { root, unshare, userns } = setup();
  const a = unshare(root).ns;
  const b = unshare(root).ns;
  t.true(userns.isAncestorOrSelf(userns.init, a));
  t.true(userns.isAncestorOrSelf(a, a));
  t.false(userns.isAncestorOrSelf(a, b));
  t.false(userns.isAncestorOrSelf(a, userns.init));
});

// --- uid_map / gid_map writes ---

test('a privileged parent maps a range and ids translate both ways', (t) => {
  const { root, unshare, userns } = setup();
  const { ns } = unshare(root);
  userns.writeIdMap(ns, 'uid', '0 100000 65536', root, root.userNs);
  t.is(userns.mapDown(ns, 'uid', 0), 100000);
  t.is(userns.mapDown(ns, 'uid', 65536), INVALID_ID);
  t.is(userns.mapUp(ns, 'uid', 100005), 5);
  t.is(userns.mapUp(ns, 'uid', 5), INVALID_ID);
  t.is(userns.mapUpMunged(ns, 'uid', 5), OVERFLOW_ID);
});

test('a map can be written once; a second write is EPERM even when malformed', (t) => {
  const { root, unshare, userns } = setup();
  const { ns } = unshare(root);
  userns.writeIdMap(ns, 'uid', '0 1 1', root, root.userNs);
  refused(t, () => { userns.writeIdMap(ns, 'uid', '0 2 1', root, root.userNs); }, 'EPERM', 'userns:map-already-written');
  refused(t, () => { userns.writeIdMap(ns, 'uid', 'garbage', root, root.userNs); }, 'EPERM');
});

test('the initial namespace maps cannot be written (EPERM)', (t) => {
  const { root, userns } = setup();
  refused(t, () => { userns.writeIdMap(userns.init, 'uid', '0 0 1', root, root.userNs); }, 'EPERM', 'userns:init-map');
});

test('the opener must be in the namespace or its parent (EPERM)', (t) => {
  const { root, unshare, userns } = setup();
  const a = unshare(root);
  const nested = unshare(root).ns; // a sibling of a
  refused(t, () => { userns.writeIdMap(nested, 'uid', '0 1 1', a.inside, a.ns); }, 'EPERM', 'userns:opener-ns');
});

test('malformed map text is EINVAL', (t) => {
  for (const text of ['', '\n', '0 100000', '0 100000 0', '0 100000 1 junk', '0 1 1\n\n1 2 1', '+5 10 1', '0x5 10 1', '-1 10 1',
    '0 4294967295 1', '4294967295 0 1', '1 1 4294967295', '0 1 1\n0 2 1', '0 1 1\n1 1 1']) {
    const { root, unshare, userns } = setup();
    const { ns } = unshare(root);
    refused(t, () => { userns.writeIdMap(ns, 'uid', text, root, root.userNs); }, 'EINVAL', 'userns:bad-id-map');
  }
});

test('map parsing accepts the kernel white space and wraps big numbers to 32 bits', (t) => {
  t.deepEqual(parseIdMap(' 0   100000   1  \n'), [{ first: 0, lowerFirst: 100000, count: 1 }]);
  t.deepEqual(parseIdMap('0\t100000\t1\r'), [{ first: 0, lowerFirst: 100000, count: 1 }]);
  t.deepEqual(parseIdMap('4294967296 5 1'), [{ first: 0, lowerFirst: 5, count: 1 }]);
  t.deepEqual(parseIdMap('00010 5 1'), [{ first: 10, lowerFirst: 5, count: 1 }]);
});

test('at most 340 extents are accepted', (t) => {
  const lines = (n: number): string => Array.from({ length: n }, (_, i) => `${i} ${i} 1`).join('\n');
  t.is(parseIdMap(lines(UID_GID_MAP_MAX_EXTENTS)).length, 340);
  t.is(parseIdMap(`${lines(340)}\n`).length, 340);
  t.throws(() => parseIdMap(lines(341)), { instanceOf: BpfError });
});

test('a write of 4096 bytes or more is EINVAL', (t) => {
  const { root, unshare, userns } = setup();
  const { ns } = unshare(root);
  refused(t, () => { userns.writeIdMap(ns, 'uid', `0 1 1${' '.repeat(4096)}`, root, root.userNs); }, 'EINVAL');
});

test('lower ids must be mapped in the parent namespace (EPERM)', (t) => {
  const { root, unshare, userns } = setup();
  const a = unshare(root);
  userns.writeIdMap(a.ns, 'uid', '0 100000 65536', root, root.userNs);
  userns.writeIdMap(a.ns, 'gid', '0 100000 65536', root, root.userNs);
  const aRoot = { ...a.inside, uid: 100000, euid: 100000, suid: 100000, fsuid: 100000, gid: 100000, egid: 100000 };
  const b = unshare(aRoot);
  refused(t, () => { userns.writeIdMap(b.ns, 'uid', '0 70000 1', aRoot, aRoot.userNs); }, 'EPERM', 'userns:lower-unmapped');
  refused(t, () => { userns.writeIdMap(b.ns, 'uid', '0 65535 2', aRoot, aRoot.userNs); }, 'EPERM');
  userns.writeIdMap(b.ns, 'uid', '0 5 1', aRoot, aRoot.userNs);
  t.is(userns.mapDown(b.ns, 'uid', 0), 100005);
});

test('the owner may map its own euid with a single line 0 <euid> 1', (t) => {
  const { user, unshare, userns } = setup();
  const { ns, inside } = unshare(user(1000));
  userns.writeIdMap(ns, 'uid', '5 1000 1', inside, ns);
  t.is(userns.mapDown(ns, 'uid', 5), 1000);
});

test('without CAP_SETUID over the parent only the self map is allowed (EPERM)', (t) => {
  for (const text of ['0 1001 1', '0 1000 2', '0 1000 1\n1 1001 1']) {
    const { user, unshare, userns } = setup();
    const { ns, inside } = unshare(user(1000));
    refused(t, () => { userns.writeIdMap(ns, 'uid', text, inside, ns); }, 'EPERM', 'userns:map-not-permitted');
  }
});

test('a gid self map needs setgroups=deny first', (t) => {
  const { user, unshare, userns } = setup();
  const { ns, inside } = unshare(user(1000));
  refused(t, () => { userns.writeIdMap(ns, 'gid', '0 1000 1', inside, ns); }, 'EPERM', 'userns:map-not-permitted');
  userns.writeSetgroups(ns, 'deny', inside);
  userns.writeIdMap(ns, 'gid', '0 1000 1', inside, ns);
  t.is(userns.mapDown(ns, 'gid', 0), 1000);
});

test('the owner outside the namespace may write the self map; another uid may not', (t) => {
  const { user, unshare, userns } = setup();
  const a = unshare(user(1000));
  userns.writeIdMap(a.ns, 'uid', '0 1000 1', user(1000), userns.init);
  const b = unshare(user(1000));
  refused(t, () => { userns.writeIdMap(b.ns, 'uid', '0 1000 1', user(1001), userns.init); }, 'EPERM', 'userns:missing-CAP_SYS_ADMIN');
});

test('mapping the parent root id from inside needs CAP_SETFCAP at unshare time', (t) => {
  const { root, unshare, userns } = setup();
  const noFcap = { ...root, effective: CAP_FULL_SET & ~(1n << BigInt(Capability.CAP_SETFCAP)) };
  const a = unshare(noFcap);
  refused(t, () => { userns.writeIdMap(a.ns, 'uid', '0 0 1', a.inside, a.ns); }, 'EPERM', 'userns:map-not-permitted');
  const b = unshare(root);
  t.notThrows(() => { userns.writeIdMap(b.ns, 'uid', '0 0 1', b.inside, b.ns); });
});

test('a namespace is read back in the reader parent numbers', (t) => {
  const { root, unshare, userns } = setup();
  const { ns, inside } = unshare(root);
  userns.writeIdMap(ns, 'uid', '0 100000 65536', root, root.userNs);
  t.is(userns.formatIdMap(ns, 'uid', userns.init), '         0     100000      65536\n');
  t.is(userns.formatIdMap(ns, 'uid', ns), '         0     100000      65536\n'); // own ns: shown in the parent
  const sibling = unshare(root).ns;
  t.is(userns.formatIdMap(ns, 'uid', sibling), '         0 4294967295      65536\n');
  t.is(inside.userNs, ns);
});

// --- setgroups ---

test('setgroups: deny, then allow is EPERM; deny again is fine', (t) => {
  const { user, unshare, userns } = setup();
  const { ns, inside } = unshare(user(1000));
  userns.writeSetgroups(ns, 'allow', inside);
  userns.writeSetgroups(ns, 'deny', inside);
  refused(t, () => { userns.writeSetgroups(ns, 'allow', inside); }, 'EPERM', 'userns:setgroups-denied');
  t.notThrows(() => { userns.writeSetgroups(ns, 'deny\n', inside); });
  t.is(ns.setgroups, 'deny');
});

test('setgroups cannot be denied once gid_map is written', (t) => {
  const { root, unshare, userns } = setup();
  const { ns } = unshare(root);
  userns.writeIdMap(ns, 'gid', '0 100000 10', root, root.userNs);
  t.true(userns.maySetgroups(ns));
  refused(t, () => { userns.writeSetgroups(ns, 'deny', root); }, 'EPERM', 'userns:gid-map-written');
  t.notThrows(() => { userns.writeSetgroups(ns, 'allow', root); });
});

test('setgroups text other than allow/deny is EINVAL; no CAP_SYS_ADMIN over the ns is EACCES', (t) => {
  const { user, unshare, userns } = setup();
  const { ns, inside } = unshare(user(1000));
  refused(t, () => { userns.writeSetgroups(ns, 'denyx', inside); }, 'EINVAL');
  refused(t, () => { userns.writeSetgroups(ns, ' deny', inside); }, 'EINVAL');
  refused(t, () => { userns.writeSetgroups(ns, 'deny', user(1001)); }, 'EACCES', 'userns:setgroups-open');
});

// --- robustness ---

test('parseIdMap never throws anything but EINVAL and returns non-overlapping extents (property)', (t) => {
  fc.assert(
    fc.property(fc.oneof(fc.string(), fc.array(fc.tuple(fc.nat(), fc.nat(), fc.nat())).map((ls) => ls.map((l) => l.join(' ')).join('\n'))), (text) => {
      try {
        const ext = parseIdMap(text);
        return ext.every((a, i) => ext.every((b, j) => i === j || a.first + a.count <= b.first || b.first + b.count <= a.first));
      } catch (e) {
        return e instanceof BpfError && e.code === 'EINVAL';
      }
    }),
  );
  t.pass();
});

test('mapUp inverts mapDown for every mapped id (property)', (t) => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 1_000_000 }), fc.integer({ min: 1, max: 100_000 }), fc.nat(200_000), (lower, count, id) => {
      const { root, unshare, userns } = setup();
      const { ns } = unshare(root);
      userns.writeIdMap(ns, 'uid', `0 ${lower} ${count}`, root, root.userNs);
      const k = userns.mapDown(ns, 'uid', id);
      return id < count ? k === lower + id && userns.mapUp(ns, 'uid', k) === id : k === INVALID_ID;
    }),
  );
  t.pass();
});

test('createUserNamespaces rejects unknown options; makeNoopUserNamespaces overrides methods', (t) => {
  t.throws(() => createUserNamespaces({ depth: 3 } as never), { instanceOf: BpfError });
  const fake = makeNoopUserNamespaces({ mapDown: () => 7 });
  t.is(fake.mapDown(fake.init, 'uid', 0), 7);
});

test('createUserNamespaces requires a capability checker; the fake refuses capabilities unless given one', (t) => {
  const e = t.throws(() => createUserNamespaces({} as never), { instanceOf: BpfError });
  t.is(e?.reason, 'userns:missing-capabilities');
  const { root } = setup();
  const noCaps = makeNoopUserNamespaces();
  const child = noCaps.create({ ...root, userNs: noCaps.init });
  refused(t, () => { noCaps.writeIdMap(child, 'uid', '0 100000 10', { ...root, userNs: noCaps.init }, noCaps.init); }, 'EPERM', 'userns:missing-CAP_SYS_ADMIN');
  const real = makeNoopUserNamespaces({}, createCapabilityChecker());
  const ok = real.create({ ...root, userNs: real.init });
  real.writeIdMap(ok, 'uid', '0 100000 10', { ...root, userNs: real.init }, real.init);
  t.is(real.mapDown(ok, 'uid', 0), 100000);
});
