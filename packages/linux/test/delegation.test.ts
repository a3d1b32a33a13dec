import { fileURLToPath } from 'node:url';
import test from 'ava';
import { BpfError } from '@bpfkit/kernel-api';
import { createLinuxSyscall } from '@bpfkit/linux';
import { delegationAvailability, runWithDelegatedBpffs } from '@bpfkit/linux/delegation';
import { simulatedTokenSteps } from './support/simulated-delegation.js';
import { whenLinuxBpf } from './support/skip.js';
import type { MountAtResult } from './support/delegated-mount-at.js';
import type { DelegatedSteps as Steps } from './support/delegated-token-steps.js';

const STEPS = fileURLToPath(new URL('./support/delegated-token-steps.js', import.meta.url));
const MOUNT_AT = fileURLToPath(new URL('./support/delegated-mount-at.js', import.meta.url));
const HANG = fileURLToPath(new URL('./support/hang.js', import.meta.url));
const THROWS = fileURLToPath(new URL('./support/throws.js', import.meta.url));

const DELEGATE = {
  cmds: 'map_create:prog_load:btf_load',
  maps: 'array:hash',
  progs: 'socket_filter:xdp',
  attachs: 'any',
} as const;

whenLinuxBpf('linux delegation', () => {
  const sys = createLinuxSyscall();

  test('open() returns an fd of this process; a missing path is ENOENT linux:open', (t) => {
    const fd = sys.open('/proc', 0o200000);
    t.true(fd > 2);
    sys.close(fd);
    const e = t.throws(() => sys.open('/nonexistent/bpffs'), { instanceOf: BpfError });
    t.is(e?.code, 'ENOENT');
    t.is(e?.reason, 'linux:open');
  });

  test('runWithDelegatedBpffs rejects unknown options and an id map without 0 → 0 (EINVAL)', async (t) => {
    const a = await t.throwsAsync(runWithDelegatedBpffs({ module: STEPS, token: true } as never), { instanceOf: BpfError });
    t.is(a?.code, 'EINVAL');
    const b = await t.throwsAsync(runWithDelegatedBpffs({ module: STEPS, uidMap: [{ inside: 0, outside: 1000, count: 1 }] }), { instanceOf: BpfError });
    t.is(b?.reason, 'linux:delegation-options');
    const c = await t.throwsAsync(runWithDelegatedBpffs({ module: 'relative.js' }), { instanceOf: BpfError });
    t.is(c?.code, 'EINVAL');
  });

  const a = delegationAvailability();
  if (!a.available) {
    test.skip(`linux delegation: skipped, no user namespaces for the harness here (${a.reason})`, () => {});
    return;
  }

  test('in a child userns, a bpffs delegating map_create/prog_load/btf_load gives tokens whose answers match token.md', async (t) => {
    const { result } = await runWithDelegatedBpffs<Steps>({ module: STEPS, delegate: DELEGATE });
    t.is(result.uid, 0);
    t.regex(result.env, /^\d+ \/proc\/self\/fd\/\d+$/);
    t.like(result.steps, {
      tokenCreate: 'ok',
      // A path client works: /proc/self/fd/<mount fd> opens as the bpffs root.
      tokenCreateFromPath: 'ok',
      // token.md §2 check 3: the O_PATH fd from fsmount() is EBADF.
      tokenCreateFromMountFd: 'EBADF',
      arrayWithToken: 'ok',
      // §3: unprivileged_bpf_disabled != 0 and no token: EPERM, even for an array map.
      arrayWithoutToken: 'EPERM',
      // §3 silent fallback: ringbuf is not in delegate_maps, the token is dropped, EPERM.
      ringbufWithToken: 'EPERM',
      socketFilterWithToken: 'ok',
      socketFilterWithoutToken: 'EPERM',
    });
  });

  test('mountAt mounts the delegating bpffs over /sys/fs/bpf in the child only; a token comes from that path', async (t) => {
    const { result } = await runWithDelegatedBpffs<MountAtResult>({ module: MOUNT_AT, mountAt: '/sys/fs/bpf', delegate: DELEGATE });
    t.is(result.path, '/sys/fs/bpf');
    t.is(result.token, 'ok');
    // /proc/mounts prints delegate names in enum order (token.md §1 show_options): hash (1) before array (2).
    t.true(result.mounts.some((l) => l.startsWith('none /sys/fs/bpf bpf ') && l.includes('delegate_maps=hash:array')));
  });

  test('BPF_TOKEN_CREATE from a bpffs that delegates nothing is ENOENT (token.md §2 check 10)', async (t) => {
    const { result } = await runWithDelegatedBpffs<Steps>({ module: STEPS });
    t.like(result.steps, { tokenCreate: 'ENOENT', tokenCreateFromPath: 'ENOENT', arrayWithToken: 'EPERM', socketFilterWithToken: 'EPERM' });
  });

  test('a prog type missing from delegate_progs drops the token: socket filter with progs=xdp only is EPERM', async (t) => {
    const { result } = await runWithDelegatedBpffs<Steps>({ module: STEPS, delegate: { ...DELEGATE, progs: 'xdp' } });
    t.like(result.steps, { tokenCreate: 'ok', arrayWithToken: 'ok', socketFilterWithToken: 'EPERM' });
  });

  test('a bad delegate value fails in the parent with EINVAL linux:fsconfig (an empty one with the fs_context log)', async (t) => {
    const e = await t.throwsAsync(runWithDelegatedBpffs({ module: STEPS, delegate: { maps: 'not_a_map_type' } }), { instanceOf: BpfError });
    t.is(e?.code, 'EINVAL');
    t.is(e?.reason, 'linux:fsconfig');
    t.regex(e?.message ?? '', /delegate_maps=not_a_map_type/);
    // The kernel logs only some rejections (corpus: reject_empty_value logs, reject_unknown_name does not).
    const empty = await t.throwsAsync(runWithDelegatedBpffs({ module: STEPS, delegate: { cmds: '' } }), { instanceOf: BpfError });
    t.regex(empty?.message ?? '', /Bad value for 'delegate_cmds'/);
  });

  test("a BpfError thrown by the child's module comes back with its code and reason", async (t) => {
    const e = await t.throwsAsync(runWithDelegatedBpffs({ module: THROWS, args: { code: 'EACCES' }, delegate: DELEGATE }), { instanceOf: BpfError });
    t.is(e?.code, 'EACCES');
    t.is(e?.reason, 'test:child');
    t.regex(e?.message ?? '', /thrown in the delegated child/);
  });

  test('a child that never finishes is killed at timeoutMs (ETIMEDOUT)', async (t) => {
    const start = Date.now();
    const e = await t.throwsAsync(runWithDelegatedBpffs({ module: HANG, delegate: DELEGATE, timeoutMs: 1500 }), { instanceOf: BpfError });
    t.is(e?.code, 'ETIMEDOUT');
    t.true(Date.now() - start < 10_000);
  });
});

// The same steps on @bpfkit/kernel, through the same dance. The simulated /proc has no
// /proc/self/fd/<n> links (open gives ENOENT there), so the path step is left out.
const SIM_CONFIGS: readonly (readonly [string, Readonly<Record<string, string>>])[] = [
  ['delegating', DELEGATE],
  ['non-delegating', {}],
  ['socket_filter not delegated', { ...DELEGATE, progs: 'xdp' }],
];

whenLinuxBpf('linux delegation vs simulated', () => {
  if (!delegationAvailability().available) return;
  for (const [name, delegate] of SIM_CONFIGS) {
    test(`the real kernel and the simulated kernel answer the token steps alike (${name} bpffs)`, async (t) => {
      const { result } = await runWithDelegatedBpffs<Steps>({ module: STEPS, delegate });
      const withoutPath = (steps: Readonly<Record<string, string>>): Record<string, string> =>
        Object.fromEntries(Object.entries(steps).filter(([k]) => k !== 'tokenCreateFromPath'));
      t.deepEqual(withoutPath(simulatedTokenSteps(delegate)), withoutPath(result.steps));
    });
  }
});
