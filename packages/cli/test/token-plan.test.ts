import test from 'ava';
import { run } from './run.js';

interface Plan {
  masks: Record<string, string>;
  mountOptions: string;
  incus: string[];
  lxd: string[];
  systemd: string[];
  capabilities: string[];
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
