import test from 'ava';
import { isBpfError } from '@bpfkit/kernel-api';
import { createProgTypes } from '@bpfkit/verifier';
import { BpfAttachType, BpfProgType, bpfProgTypeTable } from '@bpfkit/uapi';

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

test('sk_reuseport with expected_attach_type 0 becomes BPF_SK_REUSEPORT_SELECT; other types stay and are refused (6.18)', (t) => {
  const reuseport = progTypes.get(21);
  t.is(reuseport?.fixupAttachType(0), 39);
  t.is(reuseport?.fixupAttachType(40), 40);
  for (const eat of [1, 5, 38, 41, 57]) t.throws(() => reuseport?.checkAttach(reuseport.fixupAttachType(eat), noAttach), undefined, `attach type ${eat}`);
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

test('context access (is_valid_access) is answered by the descriptor', (t) => {
  const priv = { bpfCapable: true, perfmonCapable: false };
  const unpriv = { bpfCapable: false, perfmonCapable: false };
  const access = (type: number, off: number, size: number, write: boolean, eat = 0, p = priv) =>
    progTypes.get(type)?.isValidAccess?.(off, size, write, eat, p);
  // xdp_md: data, data_end, data_meta are packet pointers; no writes.
  t.deepEqual(access(6, 0, 4, false), { ok: true, regType: 'pkt' });
  t.deepEqual(access(6, 4, 4, false), { ok: true, regType: 'pkt_end' });
  t.deepEqual(access(6, 8, 4, false), { ok: true, regType: 'pkt_meta' });
  // Raw tracepoints: twelve u64 arguments (off 96 is past them, as 6.18 refuses it); the writable kind's first is its buffer.
  t.deepEqual(access(17, 88, 8, false), { ok: true, regType: 'scalar' });
  t.false(access(17, 96, 8, false)?.ok ?? true);
  t.deepEqual(access(24, 0, 8, false), { ok: true, regType: 'tp_buffer' });
  t.false(access(24, 0, 8, true)?.ok ?? true);
  // sk_reuseport_md: the socket and the migrating one (maybe NULL), eth_protocol no narrower than 2 bytes.
  t.deepEqual(access(21, 40, 8, false, 39), { ok: true, regType: 'sock' });
  t.deepEqual(access(21, 48, 8, false, 39), { ok: true, regType: 'sock_common_or_null' });
  t.false(access(21, 20, 1, false, 39)?.ok ?? true);
  t.false(access(21, 40, 8, true, 39)?.ok ?? true);
  t.deepEqual(access(6, 0, 4, true), { ok: false });
  // __sk_buff is shared: tc gets packet pointers and data_meta, socket filters get neither.
  t.deepEqual(access(3, 76, 4, false), { ok: true, regType: 'pkt' });
  t.deepEqual(access(4, 140, 4, false), { ok: true, regType: 'pkt_meta' });
  t.deepEqual(access(1, 76, 4, false), { ok: false });
  t.deepEqual(access(1, 168, 8, false), { ok: true, regType: 'sock_common_or_null' });
  t.deepEqual(access(1, 48, 4, true), { ok: true, regType: 'scalar' });
  t.deepEqual(access(1, 8, 4, true), { ok: false });
  // cgroup_skb: data needs CAP_BPF; lwt: no data_meta.
  t.deepEqual(access(8, 76, 4, false, 0, unpriv), { ok: false });
  t.deepEqual(access(8, 76, 4, false), { ok: true, regType: 'pkt' });
  t.deepEqual(access(10, 140, 4, false), { ok: false });
  // sk_msg_md->sk, bpf_sk_lookup->sk, bpf_sockopt fields per attach type.
  t.deepEqual(access(16, 72, 8, false), { ok: true, regType: 'sock' });
  t.deepEqual(access(30, 0, 8, false), { ok: true, regType: 'sock_or_null' });
  t.deepEqual(access(25, 36, 4, false, 21), { ok: true, regType: 'scalar' });
  t.deepEqual(access(25, 36, 4, false, 22), { ok: false });
  // bpf_sock_addr: user_ip4 only for IPv4 hooks.
  t.deepEqual(access(18, 4, 4, false, 10), { ok: true, regType: 'scalar' });
  t.deepEqual(access(18, 4, 4, false, 11), { ok: false });
  // Unmodelled structs: aligned reads inside (kprobe's pt_regs is 168 bytes).
  t.deepEqual(access(2, 160, 8, false), { ok: true, regType: 'scalar' });
  t.deepEqual(access(2, 168, 8, false), { ok: false });
  t.deepEqual(access(5, 248, 8, false), { ok: true, regType: 'scalar' });
  t.deepEqual(access(5, 0, 8, true), { ok: false });
});

test('xdp_md.egress_ifindex is readable only by devmap programs (BPF_XDP_DEVMAP)', (t) => {
  const xdp = createProgTypes().get(BpfProgType.BPF_PROG_TYPE_XDP);
  const privileges = { bpfCapable: true, perfmonCapable: true };
  t.true(xdp?.isValidAccess?.(20, 4, false, BpfAttachType.BPF_XDP_DEVMAP, privileges).ok);
  t.false(xdp?.isValidAccess?.(20, 4, false, BpfAttachType.BPF_XDP, privileges).ok);
  t.false(xdp?.isValidAccess?.(20, 4, false, BpfAttachType.BPF_PERF_EVENT, privileges).ok);
});

test('sock_ops, netfilter and flow dissector contexts, and bpf_sock_addr->sk, as 6.18 checks them', (t) => {
  const p = { bpfCapable: true, perfmonCapable: true };
  const access = (type: number, off: number, size: number, write = false, eat = 0) => progTypes.get(type)?.isValidAccess?.(off, size, write, eat, p);
  const { BPF_PROG_TYPE_SOCK_OPS: OPS, BPF_PROG_TYPE_NETFILTER: NF, BPF_PROG_TYPE_FLOW_DISSECTOR: FD, BPF_PROG_TYPE_CGROUP_SOCK_ADDR: ADDR } = BpfProgType;
  // bpf_sock_ops: u32 fields whole, reply/sk_txhash writable, pointers and u64 counters whole.
  t.deepEqual(access(OPS, 20, 4), { ok: true, regType: 'scalar' });
  t.deepEqual(access(OPS, 20, 2), { ok: false });
  t.deepEqual(access(OPS, 4, 4, true), { ok: true, regType: 'scalar' });
  t.deepEqual(access(OPS, 20, 4, true), { ok: false });
  t.deepEqual(access(OPS, 168, 8), { ok: true, regType: 'scalar' });
  t.deepEqual(access(OPS, 184, 8), { ok: true, regType: 'sock_or_null' });
  t.deepEqual(access(OPS, 188, 4), { ok: false });
  t.deepEqual(access(OPS, 192, 8), { ok: true, regType: 'pkt' });
  t.deepEqual(access(OPS, 200, 8), { ok: true, regType: 'pkt_end' });
  t.deepEqual(access(OPS, 204, 4), { ok: false });
  t.deepEqual(access(OPS, 213, 1), { ok: true, regType: 'scalar' });
  t.deepEqual(access(OPS, 220, 4), { ok: false });
  // bpf_nf_ctx: two pointers, read whole, never written.
  t.deepEqual(access(NF, 8, 8), { ok: true, regType: 'scalar' });
  t.deepEqual(access(NF, 8, 2), { ok: false });
  t.deepEqual(access(NF, 16, 8), { ok: false });
  t.deepEqual(access(NF, 0, 8, true), { ok: false });
  // Flow dissector: data, data_end, flow_keys only.
  t.deepEqual(access(FD, 76, 4), { ok: true, regType: 'pkt' });
  t.deepEqual(access(FD, 80, 4), { ok: true, regType: 'pkt_end' });
  t.deepEqual(access(FD, 144, 8), { ok: true, regType: 'flow_keys' });
  t.deepEqual(access(FD, 8, 4), { ok: false });
  t.deepEqual(access(FD, 76, 4, true), { ok: false });
  // bpf_sock_addr->sk: the whole pointer only.
  t.deepEqual(access(ADDR, 64, 8, false, 10), { ok: true, regType: 'sock' });
  t.deepEqual(access(ADDR, 68, 4, false, 10), { ok: false });
});
