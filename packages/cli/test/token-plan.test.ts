import test from 'ava';
import { run } from './run.js';

interface Plan {
  masks: Record<string, string>;
  mountOptions: string;
  incus: string[];
  lxd: string[];
  systemd: string[];
  capabilities: string[];
  warnings: string[];
}

async function plan(...ops: string[]): Promise<Plan> {
  const r = await run('token', 'plan', '--json', ...ops);
  if (r.code !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as Plan;
}

test('a map and an xdp program need map_create, prog_load, the map bit, the prog bit and the attach bit', async (t) => {
  const p = await plan('map_create hash', 'prog_load xdp --attach xdp');
  t.is(p.mountOptions, 'delegate_cmds=map_create:prog_load,delegate_maps=hash,delegate_progs=xdp,delegate_attachs=xdp');
  t.deepEqual(p.masks, { cmds: '0x21', maps: '0x2', progs: '0x40', attachs: '0x2000000000' });
  t.deepEqual(p.capabilities, ['CAP_NET_ADMIN', 'CAP_BPF']);
});

test('a socket filter with expected_attach_type 0 needs attach bit 0 (cgroup_inet_ingress)', async (t) => {
  const p = await plan('prog_load socket_filter');
  t.is(p.mountOptions, 'delegate_cmds=prog_load,delegate_progs=socket_filter,delegate_attachs=cgroup_inet_ingress');
});

test('cgroup_sock with attach type 0 is planned with the fixed-up inet_sock_create bit', async (t) => {
  const p = await plan('prog_load cgroup_sock');
  t.regex(p.mountOptions, /delegate_attachs=cgroup_inet_sock_create$/);
});

test('the plan is printed for Incus, LXD and systemd', async (t) => {
  const p = await plan('map_create ringbuf', 'btf_load');
  t.deepEqual(p.incus, ['security.bpffs.delegate_cmds=map_create,btf_load', 'security.bpffs.delegate_maps=ringbuf']);
  t.deepEqual(p.lxd, ['security.delegate_bpf=true', 'security.delegate_bpf.cmd_types=map_create:btf_load', 'security.delegate_bpf.map_types=ringbuf']);
  t.deepEqual(p.systemd, ['PrivateBPF=yes', 'PrivateUsers=yes', 'BPFDelegateCommands=BPFMapCreate,BPFBtfLoad', 'BPFDelegateMaps=BPFMapTypeRingbuf']);
});

test('btf_get_fd_by_id needs CAP_SYS_ADMIN in the token userns', async (t) => {
  const p = await plan('btf_get_fd_by_id');
  t.true(p.capabilities.includes('CAP_SYS_ADMIN'));
});

test('commands that take no token add no delegation', async (t) => {
  const p = await plan('obj_pin');
  t.is(p.mountOptions, '');
});

test('an unknown map type is one clear line', async (t) => {
  const r = await run('token', 'plan', 'map_create hashy');
  t.is(r.code, 2);
  t.is(r.stderr, "bpfkit: unknown map type 'hashy'\n");
});

test('operations may be given one word at a time; extra words are usage errors', async (t) => {
  const p = await plan('map_create', 'hash', 'prog_load', 'xdp', '--attach', 'xdp');
  t.is(p.mountOptions, 'delegate_cmds=map_create:prog_load,delegate_maps=hash,delegate_progs=xdp,delegate_attachs=xdp');
  const r = await run('token', 'plan', 'map_create hash extra');
  t.is(r.code, 2);
  t.regex(r.stderr, /^bpfkit: unexpected word 'extra' after 'map_create hash'/);
  t.is((await run('token', 'plan')).code, 2);
});

test('--attach applies to the prog_loads that give none', async (t) => {
  const p = await plan('--attach', 'xdp', 'prog_load xdp');
  t.is(p.mountOptions, 'delegate_cmds=prog_load,delegate_progs=xdp,delegate_attachs=xdp');
});

test('an illegal program/attach pair is refused with exit 1, not planned', async (t) => {
  const r = await run('token', 'plan', 'prog_load cgroup_skb --attach xdp', 'btf_load');
  t.is(r.code, 1);
  t.is(r.stdout, '');
  t.regex(r.stderr, /^bpfkit: prog_load cgroup_skb --attach xdp: refused with EINVAL \(.+\): .+; no delegation allows it, so it is not planned\n$/);
  const json = await run('token', 'plan', '--json', 'prog_load cgroup_sock --attach cgroup_inet_egress');
  t.is(json.code, 1);
  t.is((JSON.parse(json.stdout) as { refused: { errno: string }[] }).refused[0]?.errno, 'EINVAL');
});

test("plan warns where libbpf's attach type differs from the raw default (SEC(\"xdp\") loads with BPF_XDP)", async (t) => {
  const p = await plan('prog_load xdp');
  t.regex(p.mountOptions, /delegate_attachs=cgroup_inet_ingress$/);
  t.is(p.warnings.length, 1);
  t.regex(p.warnings[0] ?? '', /libbpf loads SEC\("xdp"\) with expected_attach_type xdp \(BPF_XDP\), not the raw default cgroup_inet_ingress; .*'prog_load xdp --attach xdp'/);
  t.deepEqual((await plan('prog_load xdp --attach xdp')).warnings, []);
  t.deepEqual((await plan('prog_load cgroup_sock')).warnings, [], 'libbpf and the kernel fix-up agree');
  const text = await run('token', 'plan', 'prog_load xdp');
  t.regex(text.stdout, /^warning: prog_load xdp/m);
});

test('plan names what a token cannot grant: attaching a kprobe needs perf_event_open', async (t) => {
  const p = await plan('prog_load kprobe');
  t.true(p.capabilities.includes('CAP_PERFMON'));
  t.true(p.warnings.some((w) => /attaching it needs perf_event_open\(2\), which no token grants/.test(w)));
  t.false((await plan('prog_load kprobe --attach trace_kprobe_multi')).warnings.some((w) => w.includes('perf_event_open')));
});
