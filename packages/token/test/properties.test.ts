import test from 'ava';
import fc from 'fast-check';
import { BpfError, type Credentials } from '@bpfkit/kernel-api';
import { CAP_FULL_SET, CAP_LAST_CAP, Capability } from '@bpfkit/uapi';
import { makeWorld } from './world.js';

const mask64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
const masks = fc.record({ cmds: mask64, maps: mask64, progs: mask64, attachs: mask64 });
const capSet = fc.bigInt({ min: 0n, max: CAP_FULL_SET });
const cap = fc.integer({ min: 0, max: CAP_LAST_CAP });
const anyNumber = fc.integer({ min: -5, max: 80 });
const bit = (m: bigint, n: number): boolean => n >= 0 && n < 64 && ((m >> BigInt(n)) & 1n) === 1n;

/** A random userns tree: node i > 0 hangs below a random earlier node; each node holds one root process. */
const tree = fc.array(fc.nat(), { minLength: 2, maxLength: 8 });
function buildTree(w: ReturnType<typeof makeWorld>, parents: number[]): Credentials[] {
  const creds: Credentials[] = [w.root];
  for (const [i, p] of parents.entries()) {
    const parent = creds[p % (i + 1)] ?? w.root;
    creds.push(w.container(parent, parent === w.root ? 100000 * (i + 1) : 'self'));
  }
  return creds;
}
const withCaps = (cred: Credentials, effective: bigint): Credentials => ({ ...cred, effective, permitted: effective });

test("a token never grants more than its mask", (t) => {
  fc.assert(
    fc.property(masks, anyNumber, anyNumber, (m, a, b) => {
      const w = makeWorld();
      const c = w.container();
      let token;
      try {
        token = w.tokens.create(c, w.bpffs(c.userNs, m));
      } catch (e) {
        return e instanceof BpfError && e.code === 'ENOENT' && m.cmds === 0n && m.maps === 0n && m.progs === 0n && m.attachs === 0n;
      }
      if (w.tokens.allowCmd(c, token, a) && !bit(m.cmds, a)) return false;
      if (w.tokens.allowMapType(token, a) && !(bit(m.maps, a) && a < 34)) return false;
      if (w.tokens.allowProgType(token, a, b) && !(bit(m.progs, a) && bit(m.attachs, b) && a < 33 && b < 58)) return false;
      return true;
    }),
  );
  t.pass();
});

test('without the token and without caps nothing is allowed', (t) => {
  fc.assert(
    fc.property(tree, fc.nat(), cap, anyNumber, (parents, pick, c, n) => {
      const w = makeWorld();
      const creds = buildTree(w, parents);
      const cred = withCaps(creds[pick % creds.length] ?? w.root, 0n);
      // A capability-less process with no token: no delegated command, type or capability.
      return (
        !w.tokens.allowCmd(cred, undefined, n) &&
        !w.tokens.allowMapType(undefined, n) &&
        !w.tokens.allowProgType(undefined, n, 0) &&
        !w.tokens.capable(cred, undefined, c)
      );
    }),
  );
  t.pass();
});

test('a process in a sibling userns never passes, whatever its caps', (t) => {
  fc.assert(
    fc.property(tree, fc.nat(), fc.nat(), capSet, cap, (parents, i, j, eff, c) => {
      const w = makeWorld();
      const creds = buildTree(w, parents);
      const owner = creds[1 + (i % (creds.length - 1))] ?? w.root;
      const other = creds[1 + (j % (creds.length - 1))] ?? w.root;
      const ownerNs = owner.userNs;
      if (w.userNamespaces.isAncestorOrSelf(other.userNs, ownerNs) || w.userNamespaces.isAncestorOrSelf(ownerNs, other.userNs)) return true;
      const token = w.tokens.create(owner, w.bpffs(ownerNs));
      const caller = withCaps(other, eff);
      if (w.tokens.capable(caller, token, c)) return false;
      try {
        w.tokens.create(caller, w.bpffs(ownerNs));
        return false;
      } catch (e) {
        return e instanceof BpfError && e.code === 'EPERM';
      }
    }),
  );
  t.pass();
});

test('a process in a descendant userns never passes, even with every capability', (t) => {
  fc.assert(
    fc.property(tree, fc.nat(), fc.nat(), cap, (parents, i, j, c) => {
      const w = makeWorld();
      const creds = buildTree(w, parents);
      const owner = creds[1 + (i % (creds.length - 1))] ?? w.root;
      const other = creds[1 + (j % (creds.length - 1))] ?? w.root;
      if (other.userNs === owner.userNs || !w.userNamespaces.isAncestorOrSelf(owner.userNs, other.userNs)) return true;
      const token = w.tokens.create(owner, w.bpffs(owner.userNs));
      const caller = withCaps(other, CAP_FULL_SET);
      if (w.tokens.capable(caller, token, c)) return false;
      try {
        w.tokens.create(caller, w.bpffs(owner.userNs));
        return false;
      } catch (e) {
        return e instanceof BpfError && e.code === 'EPERM';
      }
    }),
  );
  t.pass();
});

test('in the token userns the capability check is exactly "cap or CAP_SYS_ADMIN effective"', (t) => {
  fc.assert(
    fc.property(capSet, cap, (eff, c) => {
      const w = makeWorld();
      const owner = w.container();
      const token = w.tokens.create(owner, w.bpffs(owner.userNs));
      const expected = bit(eff, c) || bit(eff, Capability.CAP_SYS_ADMIN);
      return w.tokens.capable(withCaps(owner, eff), token, c) === expected;
    }),
  );
  t.pass();
});
