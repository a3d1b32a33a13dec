import test from 'ava';
import { BpfError } from '@bpfkit/kernel-api';
import { createDefaultKernel } from '@bpfkit/kernel/defaults';
import { BpfCmd, encodeAttr } from '@bpfkit/uapi';
import {
  childInUserns,
  delegatedBpffs,
  harnessCaps,
  logTail,
  makeNoopKernel,
  makeNoopTask,
  minimalBtf,
  replayScenarios,
  spawnTask,
} from '@bpfkit/testing';

test('childInUserns makes a container: root inside, every capability there', (t) => {
  const k = createDefaultKernel();
  const c = childInUserns(k);
  t.deepEqual(c.whoami(), { resuid: [0, 0, 0], resgid: [0, 0, 0], cap_eff: '0x1ffffffffff', cap_prm: '0x1ffffffffff' });
});

test('spawnTask with uid drops every capability', (t) => {
  const k = createDefaultKernel();
  t.is(spawnTask(k, { uid: 1000 }).whoami().cap_eff, '0x0');
});

test('spawnTask rejects unknown options', (t) => {
  const k = createDefaultKernel();
  t.throws(() => spawnTask(k, { nope: 1 } as never), { instanceOf: TypeError });
});

test('delegatedBpffs hands the child a bpffs root it can create a token from', (t) => {
  const k = createDefaultKernel();
  const { child, bpffsFd } = delegatedBpffs(k, { delegate: { cmds: 'map_create', maps: 'hash' } });
  const tok = child.bpf(BpfCmd.BPF_TOKEN_CREATE, encodeAttr(BpfCmd.BPF_TOKEN_CREATE, { bpffs_fd: bpffsFd }));
  t.regex(child.readFile(`/proc/self/fdinfo/${tok}`), /allowed_cmds:\t0x1\nallowed_maps:\t0x2\n/);
});

test('a failing token create leaves no fd and no object behind', (t) => {
  const k = createDefaultKernel();
  const { child, bpffsFd } = delegatedBpffs(k, { delegate: {} });
  const before = k.counts();
  t.throws(() => child.bpf(BpfCmd.BPF_TOKEN_CREATE, encodeAttr(BpfCmd.BPF_TOKEN_CREATE, { bpffs_fd: bpffsFd })), {
    instanceOf: BpfError,
    message: /./,
  });
  t.deepEqual(k.counts(), before);
});

test('harnessCaps removes the capabilities the environment notes as absent', (t) => {
  t.is(harnessCaps({ note: 'CAP_SYS_RESOURCE absent' }).toString(16), '1fffeffffff');
  t.is(harnessCaps(undefined).toString(16), '1ffffffffff');
});

test('logTail picks the verifier reason line, not the processed summary', (t) => {
  const log = new TextEncoder().encode('0: (bf) r0 = r10\n1: (95) exit\nR0 leaks addr as return value\nprocessed 2 insns\n\0');
  t.is(logTail(log), 'R0 leaks addr as return value');
});

test('the minimal BTF blob loads with BTF_LOAD as init root', (t) => {
  const k = createDefaultKernel();
  const blob = minimalBtf();
  const p = k.init.memory.alloc(blob);
  t.true(k.init.bpf(BpfCmd.BPF_BTF_LOAD, encodeAttr(BpfCmd.BPF_BTF_LOAD, { btf: p, btf_size: blob.length })) >= 0);
});

test('replayScenarios replays an inline scenario and reports errno names', (t) => {
  const res = replayScenarios({
    schema: 'token-oracle/v1',
    scenarios: [
      {
        name: 'inline',
        steps: [
          { spawn: 'c', spec: { userns: true } },
          { actor: 'c', op: 'fsopen', args: {}, save: 'fs' },
          { actor: 'c', op: 'token_create', args: { raw_fd: 9999, flags: 1 } },
        ],
      },
    ],
  });
  t.deepEqual(res[0]?.steps.slice(1).map((s) => [s.ok, s.errno]), [[false, 'EPERM'], [false, 'EINVAL']]);
});

test('replayScenarios rejects input that is not a token-oracle file', (t) => {
  t.throws(() => replayScenarios({ nope: true }), { instanceOf: TypeError });
});

test('fakes throw ENOSYS for what they do not fake', (t) => {
  const task = makeNoopTask({ bpf: () => 7 });
  t.is(task.bpf(0, new Uint8Array(0)), 7);
  t.throws(() => task.fsopen('bpf'), { instanceOf: BpfError });
  t.is(makeNoopKernel({ init: task }).task(1), task);
});
