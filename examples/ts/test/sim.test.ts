import test from 'ava';
import { runCgroupCounter, runCoreTrace, runSocketFilter, runTcRewrite, runXdpFirewall, simTarget } from '@bpfkit/examples';

// The expected values are the real kernel's, from examples/README.md (Linux 6.18, 2 CPUs).

test('xdp_firewall: port 8080 dropped, the rest passes, counters per source', (t) => {
  const r = runXdpFirewall(simTarget(2));
  t.deepEqual(
    r.runs.map((x) => ('action' in x ? `${x.frame} ${x.action}` : `${x.frame} ${x.error}`)),
    ['tcp_syn_8080 XDP_DROP', 'udp_8080 XDP_DROP', 'udp_53 XDP_PASS', 'tcp_443 XDP_PASS', 'icmp_echo XDP_PASS', 'udp_8080_frag XDP_PASS', 'arp_request XDP_PASS', 'ipv4_truncated XDP_PASS'],
  );
  t.deepEqual(r.bySource, [
    { source: '10.0.0.1', passed: 2, dropped: 1002 },
    { source: '10.0.0.3', passed: 2, dropped: 0 },
  ]);
  t.is(r.packetsSeen, 8);
  t.is(r.notInspected, 2);
  t.false(r.loadedWithToken);
});

test('xdp_firewall: blocked_port 0 blocks nothing', (t) => {
  const r = runXdpFirewall(simTarget(2), 0);
  t.true(r.runs.every((x) => 'action' in x && x.action === 'XDP_PASS'));
});

test('socket_filter: IPv4 UDP kept with skb->len, the rest dropped, the truncated frame refused', (t) => {
  const r = runSocketFilter(simTarget(2));
  t.deepEqual(r.runs, [
    { frame: 'udp_8080', retval: 33 },
    { frame: 'udp_53', retval: 33 },
    { frame: 'tcp_syn_8080', retval: 0 },
    { frame: 'icmp_echo', retval: 0 },
    { frame: 'arp_request', retval: 0 },
    { frame: 'ipv6_udp_53', retval: 0 },
    { frame: 'ipv4_truncated', error: 'EINVAL' },
  ]);
  t.deepEqual(r.counters, { kept: 2, notIpv4: 2, notUdp: 2, truncated: 0 });
});

test('tc_rewrite: TTL decremented, ports rewritten, checksums hold, per-CPU stats on CPU 0', (t) => {
  const r = runTcRewrite(simTarget(2));
  const checks = r.runs.map((x) => ('check' in x ? { frame: x.frame, retval: x.retval, check: x.check } : x));
  t.deepEqual(checks, [
    { frame: 'udp_8080', retval: 0, check: { ttl: 63, dport: 80, ipChecksumOk: true, l4Checksum: 'ok' } },
    { frame: 'tcp_syn_8080', retval: 0, check: { ttl: 63, dport: 80, ipChecksumOk: true, l4Checksum: 'ok' } },
    { frame: 'udp_8080_nocsum', retval: 0, check: { ttl: 63, dport: 80, ipChecksumOk: true, l4Checksum: 'none' } },
    { frame: 'udp_53', retval: 0, check: { ttl: 63, dport: 53, ipChecksumOk: true, l4Checksum: 'ok' } },
    { frame: 'udp_53_ttl1', retval: 0, check: { ttl: 1, dport: 53, ipChecksumOk: true, l4Checksum: 'ok' } },
    { frame: 'arp_request', retval: 0, check: null },
    { frame: 'udp_53_redirected', retval: 0, check: { ttl: 63, dport: 5353, ipChecksumOk: true, l4Checksum: 'ok' } },
  ]);
  t.deepEqual(r.stats, { seen: [7, 0], ttlDecremented: [5, 0], ttlLeftAlone: [1, 0], portRewritten: [4, 0], notIpv4: [1, 0] });
});

test('cgroup_counter: packets and bytes per ethertype and protocol, on CPU 0', (t) => {
  const r = runCgroupCounter(simTarget(2));
  t.true(r.runs.every((x) => 'retval' in x && x.retval === 1));
  t.deepEqual(
    r.traffic.map((x) => [x.key, x.packets, x.bytes]),
    [
      ['08000600', [3, 0], [135, 0]],
      ['08001100', [2, 0], [66, 0]],
      ['08060000', [1, 0], [28, 0]],
      ['86dd1100', [1, 0], [53, 0]],
    ],
  );
});

test('core_trace: one ring buffer event from the raw tracepoint, ENOTSUPP for the tracepoint', (t) => {
  const r = runCoreTrace(simTarget(2));
  t.deepEqual(r.rawTracepoint, { retval: 0 });
  t.deepEqual(r.events, [{ pid: 0, tgid: 0, ppid: 0, oldPid: 4242, source: 2, comm: '' }]);
  t.deepEqual(r.tracepointTestRun, { error: 'ENOTSUPP' });
  t.is(r.lostEvents, 0);
});
