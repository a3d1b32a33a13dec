import test from 'ava';
import { BpfError, type BpfTokenInfo, type Credentials, type LsmBpfObject, type UserNamespace } from '@bpfkit/kernel-api';
import { LSM_HOOKS, allow, createPolicyModule, createSecurityStack, deny } from '@bpfkit/lsm';
import { makeNoopSecurityStack } from '@bpfkit/lsm/testing';
import { BpfProgType, CAP_FULL_SET } from '@bpfkit/uapi';

const init: UserNamespace = { id: 0, parent: undefined, level: 0, owner: 0, group: 0, uidMap: [], gidMap: [], setgroups: 'allow' };
const cred: Credentials = {
  uid: 0, euid: 0, suid: 0, fsuid: 0, gid: 0, egid: 0, sgid: 0, fsgid: 0,
  effective: CAP_FULL_SET, permitted: CAP_FULL_SET, bounding: CAP_FULL_SET, inheritable: 0n, ambient: 0n, userNs: init,
};
const token: BpfTokenInfo = { id: 1, userNs: init, allowedCmds: ~0n, allowedMaps: ~0n, allowedProgs: ~0n, allowedAttachs: ~0n };
const xdp: LsmBpfObject = { kind: 'prog', type: BpfProgType.BPF_PROG_TYPE_XDP, name: 'x' };
const kprobe: LsmBpfObject = { kind: 'prog', type: BpfProgType.BPF_PROG_TYPE_KPROBE, name: 'k' };

test('an empty stack allows every hook', (t) => {
  const lsm = createSecurityStack();
  t.is(lsm.capable(cred, init, 39), undefined);
  t.is(lsm.bpf(cred, 0, new Uint8Array(8), false), undefined);
  t.is(lsm.bpfProgLoad(cred, xdp, undefined, false), undefined);
  t.is(lsm.bpfTokenCreate(cred, token), undefined);
  t.is(lsm.pathPermission(cred, '/sys/fs/bpf'), undefined);
  t.notThrows(() => { lsm.bpfTokenFree(token); });
});

test('hooks run in stack order and the first denial wins', (t) => {
  const calls: string[] = [];
  const lsm = createSecurityStack([
    { name: 'a', bpfTokenCmd: () => { calls.push('a'); return undefined; } },
    { name: 'b', bpfTokenCmd: () => { calls.push('b'); return { errno: 'EACCES' }; } },
    { name: 'c', bpfTokenCmd: () => { calls.push('c'); return { errno: 'EPERM' }; } },
  ]);
  t.deepEqual(lsm.bpfTokenCmd(cred, token, 0), { errno: 'EACCES', module: 'b' });
  t.deepEqual(calls, ['a', 'b']);
});

test('a module without a hook allows it', (t) => {
  const lsm = createSecurityStack([{ name: 'quiet' }, { name: 'maps', bpfMapCreate: () => ({ errno: 'EPERM' }) }]);
  t.is(lsm.bpfProgLoad(cred, xdp, token, false), undefined);
  t.is(lsm.bpfMapCreate(cred, { kind: 'map', type: 1, name: 'm' }, token, false)?.module, 'maps');
});

test('free hooks run on every module', (t) => {
  const freed: string[] = [];
  const lsm = createSecurityStack([
    { name: 'a', bpfProgFree: () => { freed.push('a'); } },
    { name: 'b' },
    { name: 'c', bpfProgFree: () => { freed.push('c'); } },
  ]);
  lsm.bpfProgFree(xdp);
  t.deepEqual(freed, ['a', 'c']);
});

test('a stack rejects unnamed, duplicate and unknown-hook modules (EINVAL)', (t) => {
  t.throws(() => createSecurityStack([{ name: '' }]), { instanceOf: BpfError });
  t.throws(() => createSecurityStack([{ name: 'a' }, { name: 'a' }]), { instanceOf: BpfError });
  t.throws(() => createSecurityStack([{ name: 'a', progLoad: () => undefined } as never]), { instanceOf: BpfError });
  t.is(LSM_HOOKS.length, 11);
});

test('a policy module allows or denies with allow/deny and names itself', (t) => {
  const lsm = createSecurityStack([
    createPolicyModule({
      name: 'xdp-only',
      progLoad: ({ prog, token: tok }) => (tok === undefined || prog.type === BpfProgType.BPF_PROG_TYPE_XDP ? allow : deny('EPERM', 'containers may load only xdp')),
    }),
  ]);
  t.is(lsm.bpfProgLoad(cred, xdp, token, false), undefined);
  t.is(lsm.bpfProgLoad(cred, kprobe, undefined, false), undefined);
  t.deepEqual(lsm.bpfProgLoad(cred, kprobe, token, false), { errno: 'EPERM', message: 'containers may load only xdp', module: 'xdp-only' });
});

test('a policy hook may answer with a boolean: false is EPERM', (t) => {
  const lsm = createSecurityStack([createPolicyModule({ tokenCapable: ({ cap }) => cap !== 38 })]);
  t.is(lsm.bpfTokenCapable(cred, token, 39), undefined);
  t.like(lsm.bpfTokenCapable(cred, token, 38), { errno: 'EPERM', module: 'policy' });
});

test('a policy hook that throws denies (fails closed)', (t) => {
  const lsm = createSecurityStack([createPolicyModule({ name: 'buggy', bpf: () => { throw new Error('boom'); } })]);
  const v = lsm.bpf(cred, 0, new Uint8Array(0), false);
  t.is(v?.errno, 'EPERM');
  t.regex(v?.message ?? '', /boom/);
});

test('every policy hook receives its context', (t) => {
  const seen: string[] = [];
  const lsm = createSecurityStack([
    createPolicyModule({
      capable: ({ ns, cap }) => { seen.push(`capable ${ns.id} ${cap}`); },
      bpf: ({ cmd, kernel }) => { seen.push(`bpf ${cmd} ${kernel}`); },
      mapCreate: ({ map }) => { seen.push(`map ${map.type}`); },
      progLoad: ({ prog }) => { seen.push(`prog ${prog.type}`); },
      tokenCreate: ({ token: tok }) => { seen.push(`create ${tok.id}`); },
      tokenCmd: ({ cmd }) => { seen.push(`cmd ${cmd}`); },
      tokenCapable: ({ cap }) => { seen.push(`tcap ${cap}`); },
      pathPermission: ({ path }) => { seen.push(`path ${path}`); },
      mapFree: ({ map }) => { seen.push(`mfree ${map.name}`); },
      progFree: ({ prog }) => { seen.push(`pfree ${prog.name}`); },
      tokenFree: ({ token: tok }) => { seen.push(`tfree ${tok.id}`); },
    }),
  ]);
  lsm.capable(cred, init, 21);
  lsm.bpf(cred, 5, new Uint8Array(0), true);
  lsm.bpfMapCreate(cred, { kind: 'map', type: 2, name: 'm' }, undefined, false);
  lsm.bpfProgLoad(cred, xdp, undefined, false);
  lsm.bpfTokenCreate(cred, token);
  lsm.bpfTokenCmd(cred, token, 0);
  lsm.bpfTokenCapable(cred, token, 39);
  lsm.pathPermission(cred, '/b');
  lsm.bpfMapFree({ kind: 'map', type: 2, name: 'm' });
  lsm.bpfProgFree(xdp);
  lsm.bpfTokenFree(token);
  t.deepEqual(seen, ['capable 0 21', 'bpf 5 true', 'map 2', 'prog 6', 'create 1', 'cmd 0', 'tcap 39', 'path /b', 'mfree m', 'pfree x', 'tfree 1']);
});

test('createPolicyModule rejects unknown hooks (EINVAL)', (t) => {
  t.throws(() => createPolicyModule({ progLaod: () => true } as never), { instanceOf: BpfError });
});

test('makeNoopSecurityStack allows all but the hooks given', (t) => {
  const lsm = makeNoopSecurityStack({ bpfTokenCreate: () => ({ errno: 'EACCES' }) });
  t.is(lsm.bpfTokenCreate(cred, token)?.errno, 'EACCES');
  t.is(lsm.bpfTokenCmd(cred, token, 0), undefined);
});
