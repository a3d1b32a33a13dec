import test from 'ava';
import { isBpfError } from '@bpfkit/kernel-api';
import { createProgTypes } from '@bpfkit/verifier';
import { bpfProgTypeTable } from '@bpfkit/uapi';

const progTypes = createProgTypes();
const noAttach = { attachBtfId: 0, hasAttachBtf: false, hasDstProg: false };

test('every program type of 6.18 has a descriptor', (t) => {
  for (let type = 1; type < bpfProgTypeTable.max; type++) t.is(progTypes.get(type)?.type, type);
  t.is(progTypes.get(0), undefined);
});

test('socket_filter and cgroup_skb need no capability; xdp net_admin; kprobe perfmon; ext both', (t) => {
  t.deepEqual(progTypes.get(1)?.capabilities, []);
  t.deepEqual(progTypes.get(8)?.capabilities, []);
  t.deepEqual(progTypes.get(6)?.capabilities, ['CAP_BPF', 'CAP_NET_ADMIN']);
  t.deepEqual(progTypes.get(2)?.capabilities, ['CAP_BPF', 'CAP_PERFMON']);
  t.deepEqual(progTypes.get(28)?.capabilities, ['CAP_BPF', 'CAP_NET_ADMIN', 'CAP_PERFMON']);
  t.deepEqual(progTypes.get(31)?.capabilities, ['CAP_BPF']);
});

test('cgroup_sock with expected_attach_type 0 becomes INET_SOCK_CREATE', (t) => {
  t.is(progTypes.get(9)?.fixupAttachType(0), 2);
  t.is(progTypes.get(9)?.fixupAttachType(34), 34);
  t.is(progTypes.get(1)?.fixupAttachType(0), 0);
});

test('check_attach: accepted and refused attach types', (t) => {
  t.notThrows(() => progTypes.get(18)?.checkAttach(10, noAttach));
  const e = t.throws(() => progTypes.get(18)?.checkAttach(0, noAttach));
  t.true(isBpfError(e, 'EINVAL'));
  t.throws(() => progTypes.get(8)?.checkAttach(2, noAttach));
  t.notThrows(() => progTypes.get(1)?.checkAttach(1, noAttach));
  t.throws(() => progTypes.get(31)?.checkAttach(1, noAttach));
  t.throws(() => progTypes.get(1)?.checkAttach(0, { ...noAttach, attachBtfId: 5, hasAttachBtf: true }));
  t.notThrows(() => progTypes.get(26)?.checkAttach(24, { ...noAttach, attachBtfId: 5, hasAttachBtf: true }));
});

test('helper availability follows privileges (measured on 6.18)', (t) => {
  const sf = progTypes.get(1);
  t.true(sf?.isHelperAllowed(113, 0, { bpfCapable: true, perfmonCapable: true }));
  t.false(sf?.isHelperAllowed(113, 0, { bpfCapable: true, perfmonCapable: false }));
  t.true(sf?.isHelperAllowed(1, 0, { bpfCapable: false, perfmonCapable: false }));
  t.false(sf?.isHelperAllowed(181, 0, { bpfCapable: false, perfmonCapable: false }));
  t.false(progTypes.get(2)?.isHelperAllowed(160, 0, { bpfCapable: true, perfmonCapable: true }));
});

test('return ranges', (t) => {
  t.deepEqual(progTypes.get(8)?.returnRange(1), { min: 0, max: 3 });
  t.deepEqual(progTypes.get(18)?.returnRange(19), { min: 1, max: 1 });
  t.is(progTypes.get(1)?.returnRange(0), undefined);
});
