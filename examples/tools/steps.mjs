#!/usr/bin/env node
// Writes the examples' STEPS.json files (the `bpfkit object run --steps` format) from the
// frames in packets.mjs, so every packet in them has computed lengths and checksums.
//
//   node examples/tools/steps.mjs        # rewrites examples/*.steps.json
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { frames } from './packets.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const hex = (name) => Buffer.from(frames[name]).toString('hex');
/** Little-endian bytes of an unsigned integer, as hex (map keys and values are in memory order). */
const le = (v, size) => {
  const b = Buffer.alloc(Math.max(size, 8));
  b.writeBigUInt64LE(BigInt(v), 0);
  return b.subarray(0, size).toString('hex');
};

const run = (program, frame, extra = {}) => ({
  op: 'test_run', label: extra.label ?? frame, program, data_in: hex(frame), ctx_in: null,
  ctx_size_out: 0, data_size_out: 256, repeat: extra.repeat ?? 1,
});

const files = {
  xdp_firewall: {
    rodata_patches: [{ section: '.rodata', var: 'blocked_port', bytes: le(8080, 2) }],
    steps: [
      // 10.0.0.1 already has 1000 drops on record (passed = 0, dropped = 1000).
      { op: 'map_update', map: 'by_source', key: '0a000001', value: le(0, 8) + le(1000, 8), flags: 0 },
      run('xdp_firewall', 'tcp_syn_8080'),
      run('xdp_firewall', 'udp_8080'),
      run('xdp_firewall', 'udp_53'),
      run('xdp_firewall', 'tcp_443'),
      run('xdp_firewall', 'icmp_echo'),
      run('xdp_firewall', 'udp_8080_frag'),
      run('xdp_firewall', 'arp_request'),
      run('xdp_firewall', 'ipv4_truncated'),
    ],
  },
  socket_filter: {
    steps: [
      run('udp_only', 'udp_8080'),
      run('udp_only', 'udp_53'),
      run('udp_only', 'tcp_syn_8080'),
      run('udp_only', 'icmp_echo'),
      run('udp_only', 'arp_request'),
      run('udp_only', 'ipv6_udp_53'),
      // Linux 6.18 refuses (EINVAL) an skb test run whose IPv4 header is not all there.
      run('udp_only', 'ipv4_truncated'),
    ],
  },
  tc_rewrite: {
    steps: [
      { op: 'map_update', map: 'port_redirects', key: le(8080, 2), value: le(80, 2), flags: 0 },
      run('tc_rewrite', 'udp_8080'),
      run('tc_rewrite', 'tcp_syn_8080'),
      run('tc_rewrite', 'udp_8080_nocsum'),
      run('tc_rewrite', 'udp_53'),
      run('tc_rewrite', 'udp_53_ttl1'),
      run('tc_rewrite', 'arp_request'),
      { op: 'map_update', map: 'port_redirects', key: le(53, 2), value: le(5353, 2), flags: 0 },
      run('tc_rewrite', 'udp_53', { label: 'udp_53_redirected' }),
    ],
  },
  cgroup_counter: {
    steps: [
      run('count_egress', 'udp_53'),
      run('count_egress', 'udp_8080'),
      run('count_egress', 'tcp_443', { repeat: 3, label: 'tcp_443_x3' }),
      run('count_egress', 'ipv6_udp_53'),
      run('count_egress', 'arp_request'),
    ],
  },
  core_trace: {
    steps: [
      // Raw tracepoint arguments: p = 0 (unused), old_pid = 4242, bprm = 0. The kernel
      // rejects data_in, data_out, ctx_out and any repeat but 0 for raw_tp test runs.
      { op: 'test_run', label: 'raw_tp_exec', program: 'handle_exec_raw', data_in: null,
        ctx_in: le(0, 8) + le(4242, 8) + le(0, 8), ctx_size_out: 0, data_size_out: 0, repeat: 0 },
      // A tracepoint program has no test_run: the kernel answers ENOTSUPP (524).
      { op: 'test_run', label: 'tracepoint_has_no_test_run', program: 'handle_exec', data_in: null,
        ctx_in: null, ctx_size_out: 0, data_size_out: 0, repeat: 0 },
    ],
  },
};

for (const [name, spec] of Object.entries(files))
  writeFileSync(join(here, '..', `${name}.steps.json`), `${JSON.stringify(spec, null, 2)}\n`);
