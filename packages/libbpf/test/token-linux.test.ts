import test, { type ImplementationFn } from 'ava';
import { delegationAvailability, runWithDelegatedBpffs } from '@bpfkit/linux/delegation';

const CHILD = new URL('./support/token-child.js', import.meta.url).pathname;
const OBJECT = new URL('../../../examples/xdp_firewall.o', import.meta.url).pathname;
// A TCP SYN from 10.0.0.1 to port 8080 (examples/tools/packets.mjs tcp_syn_8080).
const SYN_8080 = '02000000000b02000000000a08004500002800010000400666cd0a0000010a0000029c401f9000000001000000005002faf0e51d0000';
// libbpf probes features through the token with socket filters (FEAT_PROG_NAME, FEAT_GLOBAL_DATA): without them global data is not created.
const DELEGATE = { cmds: 'map_create:prog_load:btf_load', maps: 'hash:array', progs: 'xdp:socket_filter', attachs: 'any' };

const available = delegationAvailability();
/** With user namespaces and a delegating bpffs, a serial test; elsewhere skipped, the title saying why. */
const real = (title: string, fn: ImplementationFn<[]>): void => {
  if (available.available) test.serial(title, fn);
  else test.skip(`${title}: skipped, ${available.reason}`, () => {});
};

real('on Linux, a container loads the XDP firewall through a token from the bpffs at /sys/fs/bpf (libbpf\'s default path)', async (t) => {
  const { result } = await runWithDelegatedBpffs({
    module: CHILD, args: { object: OBJECT, packetHex: SYN_8080 }, delegate: DELEGATE, mountAt: '/sys/fs/bpf', timeoutMs: 60_000,
  });
  t.deepEqual(result, { loaded: true, usedToken: true, retval: 1, maps: ['by_source', 'xdp_fire.rodata', 'xdp_fire.bss'] });
});

real('on Linux, the same load with tokens disabled (an empty token path) is refused: the container has no CAP_BPF on the host', async (t) => {
  const { result } = await runWithDelegatedBpffs({
    module: CHILD, args: { object: OBJECT, packetHex: SYN_8080, tokenPath: '' }, delegate: DELEGATE, mountAt: '/sys/fs/bpf', timeoutMs: 60_000,
  });
  t.like(result, { loaded: false, errno: 'EPERM' });
});

real('on Linux, a bpffs that does not delegate hash maps drops the token and the load fails with EPERM', async (t) => {
  const { result } = await runWithDelegatedBpffs({
    module: CHILD, args: { object: OBJECT, packetHex: SYN_8080 }, delegate: { ...DELEGATE, maps: 'array' }, mountAt: '/sys/fs/bpf', timeoutMs: 60_000,
  });
  t.like(result, { loaded: false, errno: 'EPERM' });
});
