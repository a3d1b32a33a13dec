import test from 'ava';
import fc from 'fast-check';
import { BpfError, type Credentials, type IdMapExtent, type TraceStep, type UserNamespace } from '@bpfkit/kernel-api';
import {
  capCapable, capNamesInMask, capset, createCapabilityChecker, credsForNewUserNs, dropEffective, formatCapgetMask,
  initCredentials, parseCapSet, setresgid, setresuid,
} from '@bpfkit/caps';
import { makeNoopCapabilityChecker } from '@bpfkit/caps/testing';
import { CAP_FULL_SET, CAP_LAST_CAP, Capability, capMask } from '@bpfkit/uapi';

const { CAP_BPF, CAP_SYS_ADMIN, CAP_SETUID, CAP_SETPCAP, CAP_SYS_RESOURCE } = Capability;

/**
 * A user-namespace tree built by hand: caps cannot use @bpfkit/userns in its
 * tests, since userns's tests use caps (nx refuses the cycle).
 */
function tree() {
  let nextId = 0;
  const mapDown = (ns: UserNamespace, id: number): number => {
    const e = ns.uidMap.find((x) => id >= x.first && id - x.first < x.count);
    return e === undefined ? -1 : e.lowerFirst + (id - e.first);
  };
  /** `unshare(CLONE_NEWUSER)` by `creator`, its maps written as `0 <lower> <count>` (lower: an id of the parent). */
  const create = (creator: Credentials, lower = 0, count = 0): UserNamespace => {
    const parent = creator.userNs;
    const map: IdMapExtent[] = count === 0 ? [] : [{ first: 0, lowerFirst: mapDown(parent, lower), count }];
    return { id: nextId++, parent, level: parent.level + 1, owner: creator.euid, group: creator.egid, uidMap: map, gidMap: map, setgroups: 'allow' };
  };
  const whole: IdMapExtent[] = [{ first: 0, lowerFirst: 0, count: 0xffffffff }];
  const init: UserNamespace = { id: nextId++, parent: undefined, level: 0, owner: 0, group: 0, uidMap: whole, gidMap: whole, setgroups: 'allow' };
  return { init, create, mapDown };
}

/** init root, a container created by it (root inside = kuid 100000), and helpers. */
function setup() {
  const userns = tree();
  const root = initCredentials(userns.init);
  const child = (parent: Credentials, lower: number, ids = 65536): Credentials => {
    const ns = userns.create(parent, lower, ids);
    const inside = credsForNewUserNs(parent, ns);
    const kid = userns.mapDown(ns, 0);
    return setresuid(setresgid(inside, kid, kid, kid), kid, kid, kid);
  };
  return { userns, root, child };
}

// --- §4 cap_capable ---

test('in its own userns a process has exactly its effective set', (t) => {
  const { root } = setup();
  t.true(capCapable(root, root.userNs, CAP_BPF));
  t.false(capCapable(dropEffective(root, capMask(CAP_BPF)), root.userNs, CAP_BPF));
});

test('a container root has no capability over the init userns', (t) => {
  const { root, child } = setup();
  const c = child(root, 100000);
  t.false(capCapable(c, root.userNs, CAP_BPF));
});

test('capabilities in a sibling userns never count', (t) => {
  const { root, child } = setup();
  const a = child(root, 100000);
  const b = child(root, 200000);
  t.false(capCapable(b, a.userNs, CAP_BPF));
});

test('a parent-ns process with the capability has it in a child userns', (t) => {
  const { root, child } = setup();
  const c = child(root, 100000);
  const other = { ...root, euid: 5 }; // not the owner: needs its effective set
  t.true(capCapable(other, c.userNs, CAP_BPF));
  t.false(capCapable(dropEffective(other, CAP_FULL_SET), c.userNs, CAP_BPF));
  t.is(c.userNs.parent, root.userNs);
});

test('owner rule: the creator euid in the parent has every capability in the child, with an empty effective set', (t) => {
  const { root, child } = setup();
  const c = child(root, 100000);
  const capless = dropEffective(root, CAP_FULL_SET);
  t.true(capCapable(capless, c.userNs, CAP_BPF));
  t.false(capCapable(capless, root.userNs, CAP_BPF));
});

test('owner rule: a userns created by uid 1000 yields to uid 1000 in the parent but not uid 1001', (t) => {
  const { root, child } = setup();
  const u1000 = setresuid(root, 1000, 1000, 1000);
  const c = child(u1000, 100000);
  t.true(capCapable(setresuid(root, 1000, 1000, 1000), c.userNs, CAP_SYS_ADMIN));
  t.false(capCapable(setresuid(root, 1001, 1001, 1001), c.userNs, CAP_SYS_ADMIN));
});

test('owner rule applies to grandchildren through the child', (t) => {
  const { root, child } = setup();
  const c = child(root, 100000);
  const g = child(c, 0, 10);
  t.true(capCapable(dropEffective(root, CAP_FULL_SET), g.userNs, CAP_BPF));
});

test('the owner rule does not reach up: the child-ns owner has nothing in the parent', (t) => {
  const { root, child } = setup();
  const c = child(root, 100000);
  const g = child(c, 0, 10);
  t.false(capCapable(g, c.userNs, CAP_BPF));
});

test('a number that is no capability is never held', (t) => {
  const { root } = setup();
  t.false(capCapable(root, root.userNs, CAP_LAST_CAP + 1));
  t.false(capCapable(root, root.userNs, -1));
});

test('cap_capable traces the deciding step with a hint', (t) => {
  const { root, child } = setup();
  const a = child(root, 100000);
  const steps: TraceStep[] = [];
  capCapable(a, root.userNs, CAP_BPF, { step: (s) => steps.push(s), group: (_title, fn) => fn() });
  t.is(steps.length, 1);
  t.is(steps[0]?.outcome, 'fail');
  t.regex(steps[0]?.detail ?? '', /CAP_BPF in userns#0/);
  t.truthy(steps[0]?.hint);
});

test('capCapable never throws and is monotone in the effective set (property)', (t) => {
  const { root, child } = setup();
  const c = child(root, 100000);
  fc.assert(
    fc.property(fc.bigInt({ min: 0n, max: CAP_FULL_SET }), fc.integer({ min: -2, max: 70 }), fc.boolean(), (eff, cap, inChild) => {
      const cred = { ...(inChild ? c : root), effective: eff };
      const target = inChild ? c.userNs : root.userNs;
      const got = capCapable(cred, target, cap);
      return got === (cap >= 0 && cap <= CAP_LAST_CAP && ((eff >> BigInt(cap)) & 1n) === 1n);
    }),
  );
  t.pass();
});

// --- credential transitions ---

test('init credentials are root with full permitted, effective and bounding sets', (t) => {
  const { root } = setup();
  t.deepEqual([root.uid, root.euid, root.fsuid, root.gid], [0, 0, 0, 0]);
  t.is(root.effective, CAP_FULL_SET);
  t.is(root.inheritable, 0n);
});

test('unshare(CLONE_NEWUSER) gives full sets in the new ns and empties inheritable and ambient', (t) => {
  const { root, userns } = setup();
  const u = setresuid({ ...root, inheritable: 1n, ambient: 1n }, 1000, 1000, 1000);
  const inside = credsForNewUserNs(u, userns.create(u));
  t.is(inside.effective, CAP_FULL_SET);
  t.is(inside.permitted, CAP_FULL_SET);
  t.is(inside.bounding, CAP_FULL_SET);
  t.is(inside.inheritable, 0n);
  t.is(inside.ambient, 0n);
  t.is(inside.euid, 1000);
});

test('setresuid to all-nonzero ids clears permitted, effective and ambient', (t) => {
  const { root } = setup();
  const u = setresuid({ ...root, ambient: 1n }, 1000, 1000, 1000);
  t.deepEqual([u.permitted, u.effective, u.ambient], [0n, 0n, 0n]);
  t.is(u.fsuid, 1000);
});

test('setresuid euid 0 → nonzero clears effective but keeps permitted while a root id remains', (t) => {
  const { root } = setup();
  const u = setresuid(root, -1, 1000, -1);
  t.is(u.effective, 0n);
  t.is(u.permitted, CAP_FULL_SET);
  t.is(u.fsuid, 1000);
  const back = setresuid(u, -1, 0, -1);
  t.is(back.effective, CAP_FULL_SET);
});

test('setresuid without CAP_SETUID may only reuse current ids (EPERM otherwise)', (t) => {
  const { root } = setup();
  const u = setresuid(root, 1000, 1000, 2000); // keeps no root id: caps gone
  t.notThrows(() => setresuid(u, 2000, 2000, 1000));
  const e = t.throws(() => setresuid(u, 3000, -1, -1), { instanceOf: BpfError });
  t.is(e?.code, 'EPERM');
  t.is(e?.reason, 'caps:missing-CAP_SETUID');
  t.throws(() => setresuid(dropEffective(root, capMask(CAP_SETUID)), 5, 5, 5), { instanceOf: BpfError });
});

test('setresuid rejects ids outside 0–4294967294 with EINVAL and is a no-op for the current ids', (t) => {
  const { root } = setup();
  t.is(setresuid(root, -1, 0, -1), root);
  const e = t.throws(() => setresuid(root, 4294967295, -1, -1), { instanceOf: BpfError });
  t.is(e?.code, 'EINVAL');
});

test('setresuid inside a userns judges root by the ns root kuid', (t) => {
  const { root, child } = setup();
  const c = child(root, 100000);
  t.is(c.effective, CAP_FULL_SET); // kuid 100000 is root there
  const user = setresuid(c, 101000, 101000, 101000);
  t.is(user.effective, 0n);
  t.is(user.permitted, 0n);
});

test('setresgid needs CAP_SETGID for a new gid, sets fsgid and leaves capabilities alone', (t) => {
  const { root } = setup();
  const g = setresgid(root, 1000, 1000, 1000);
  t.is(g.fsgid, 1000);
  t.is(g.effective, CAP_FULL_SET);
  const u = setresuid(g, 1000, 1000, 1000);
  t.throws(() => setresgid(u, 5, 5, 5), { instanceOf: BpfError });
});

test('capset may drop bits and raise effective within permitted', (t) => {
  const { root } = setup();
  const dropped = capset(root, capMask(CAP_SYS_ADMIN), capMask(CAP_SYS_ADMIN, CAP_BPF), 0n);
  t.is(dropped.permitted, capMask(CAP_SYS_ADMIN, CAP_BPF));
  t.is(capset(dropped, capMask(CAP_BPF), dropped.permitted, 0n).effective, capMask(CAP_BPF));
});

test('capset refuses to grow permitted or to raise effective outside permitted (EPERM)', (t) => {
  const { root } = setup();
  const small = capset(root, 0n, capMask(CAP_BPF), 0n);
  t.is(t.throws(() => capset(small, 0n, capMask(CAP_BPF, CAP_SYS_ADMIN), 0n), { instanceOf: BpfError })?.reason, 'caps:permitted-grows');
  t.is(t.throws(() => capset(small, capMask(CAP_SYS_ADMIN), capMask(CAP_BPF), 0n), { instanceOf: BpfError })?.reason, 'caps:effective-not-permitted');
});

test('capset: new inheritable bits must be permitted unless CAP_SETPCAP, and always within bounding', (t) => {
  const { root } = setup();
  const noPcap = capset(root, capMask(CAP_BPF), capMask(CAP_BPF), 0n);
  t.is(t.throws(() => capset(noPcap, capMask(CAP_BPF), capMask(CAP_BPF), capMask(CAP_SYS_RESOURCE)), { instanceOf: BpfError })?.reason, 'caps:inheritable-not-permitted');
  const pcap = capset(root, capMask(CAP_SETPCAP), capMask(CAP_SETPCAP), 0n);
  t.is(capset(pcap, capMask(CAP_SETPCAP), capMask(CAP_SETPCAP), capMask(CAP_SYS_RESOURCE)).inheritable, capMask(CAP_SYS_RESOURCE));
  const bounded = { ...pcap, bounding: capMask(CAP_SETPCAP) };
  t.is(t.throws(() => capset(bounded, capMask(CAP_SETPCAP), capMask(CAP_SETPCAP), capMask(CAP_BPF)), { instanceOf: BpfError })?.reason, 'caps:inheritable-outside-bounding');
});

test('capset keeps only ambient bits still permitted and inheritable, and drops bits above CAP_LAST_CAP', (t) => {
  const { root } = setup();
  const amb = { ...root, inheritable: capMask(CAP_BPF), ambient: capMask(CAP_BPF) };
  t.is(capset(amb, 0n, capMask(CAP_SYS_ADMIN), capMask(CAP_BPF)).ambient, 0n);
  t.is(capset(root, 1n << 50n, CAP_FULL_SET, 0n).effective, 0n);
});

test('dropEffective clears effective bits and keeps permitted', (t) => {
  const { root } = setup();
  const d = dropEffective(root, capMask(CAP_BPF));
  t.false(capCapable(d, root.userNs, CAP_BPF));
  t.is(d.permitted, CAP_FULL_SET);
});

// --- formatting and construction ---

test('capget masks print as the corpus whoami does', (t) => {
  t.is(formatCapgetMask(CAP_FULL_SET), '0x1ffffffffff');
  t.is(formatCapgetMask(CAP_FULL_SET & ~capMask(CAP_SYS_RESOURCE)), '0x1fffeffffff');
  t.is(formatCapgetMask(0n), '0x0');
});

test('capability masks name their bits and parse back', (t) => {
  t.deepEqual(capNamesInMask(0xc000000000n), ['CAP_PERFMON', 'CAP_BPF']);
  t.is(parseCapSet('bpf, CAP_PERFMON'), 0xc000000000n);
  t.is(parseCapSet('0x1ffffffffff'), CAP_FULL_SET);
  t.is(parseCapSet('full'), CAP_FULL_SET);
  t.throws(() => parseCapSet('cap_nope'), { instanceOf: BpfError });
});

test('createCapabilityChecker rejects unknown options and uses its default tracer', (t) => {
  t.throws(() => createCapabilityChecker({ bogus: true } as never), { instanceOf: BpfError });
  const steps: TraceStep[] = [];
  const caps = createCapabilityChecker({ tracer: { step: (s) => steps.push(s), group: (_title, fn) => fn() } });
  const root = caps.initCredentials(tree().init);
  t.true(caps.capCapable(root, root.userNs, CAP_BPF));
  t.is(steps.length, 1);
});

test('makeNoopCapabilityChecker says no unless told otherwise', (t) => {
  const root = initCredentials(tree().init);
  t.false(makeNoopCapabilityChecker().capCapable(root, root.userNs, CAP_BPF));
  t.true(makeNoopCapabilityChecker({ capCapable: () => true }).capCapable(root, root.userNs, CAP_BPF));
});
