import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { createDefaultKernel } from '@bpfkit/kernel/defaults';
import { loadObjectSpec } from '@bpfkit/elf';
import { generateSkeleton } from '../dist/skeleton/index.js';
import { CLI_DIR, genDir, importModule, typeCheck, writeModule } from './skeleton-compile.js';

// Runs generated skeletons on the simulated kernel.
// SKELETON_LIBBPF points the generated JS at another build of the client (a path), for trying one.
const override = process.env['SKELETON_LIBBPF'];

interface Prog { testRun(o: { dataIn: Uint8Array; repeat?: number }): { retval: number } }
interface TypedMapLike<K, V> {
  lookup(k: K): V | undefined;
  update(k: K, v: V, flags?: number): void;
  delete(k: K): boolean;
  entries(): Iterable<[K, V]>;
}
interface Closeable { load(): void; close(): void; readonly loaded: boolean }

async function skeletonModule(path: string, name: string): Promise<Record<string, unknown>> {
  const bytes = readFileSync(path);
  const text = generateSkeleton(loadObjectSpec(bytes), bytes, { objectName: name });
  const files = writeModule(genDir('run'), `${name}.skel`, text, override);
  if (override === undefined) {
    const diags = typeCheck([files.ts]);
    if (diags !== '') throw new Error(diags);
  }
  return importModule(files.js);
}

function packet(len = 64): Uint8Array {
  const p = new Uint8Array(len);
  p.set([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 1, 2, 3, 4, 5, 0x08, 0x00, 0x45]);
  return p;
}

test('xdp_filter skeleton: rodata before load, typed counts map after a test run', async (t) => {
  interface Skel extends Closeable {
    readonly progs: { xdp_filter: Prog };
    readonly maps: { counts: TypedMapLike<number, bigint> };
    readonly rodata: { drop_proto: number };
  }
  const mod = (await skeletonModule(join(CLI_DIR, '../elf/test/fixtures/xdp_filter.o'), 'xdp_filter')) as { XdpFilterSkeleton: { open(o: object): Skel } };
  const k = createDefaultKernel({ cpus: 2 });
  const skel = mod.XdpFilterSkeleton.open({ host: k.init });
  t.is(skel.rodata.drop_proto, 17);
  skel.rodata.drop_proto = 1;
  skel.load();
  t.true(skel.loaded);
  t.is(skel.rodata.drop_proto, 1);
  // The test run's ingress_ifindex is loopback's, 1: dropped now.
  t.is(skel.progs.xdp_filter.testRun({ dataIn: packet(), repeat: 1 }).retval, 1);
  t.is(skel.progs.xdp_filter.testRun({ dataIn: packet(), repeat: 1 }).retval, 1);
  t.is(skel.maps.counts.lookup(1), 2n);
  t.is(skel.maps.counts.lookup(5), undefined);
  skel.maps.counts.update(5, 40n);
  t.deepEqual([...skel.maps.counts.entries()].sort((a, b) => a[0] - b[0]), [[1, 2n], [5, 40n]]);
  t.true(skel.maps.counts.delete(5));
  t.false(skel.maps.counts.delete(5));
  t.throws(() => {
    skel.rodata.drop_proto = 3;
  });
  skel.close();
});

test('globals skeleton: .data, .bss and a custom .data section through their maps after load', async (t) => {
  interface Skel extends Closeable {
    readonly progs: { count_in: Prog };
    readonly data: { packets: number; dropped: number };
    readonly bss: { bytes: bigint };
    readonly data_extra: { extra: number };
    readonly rodata: { limit: number };
  }
  const mod = (await skeletonModule(join(CLI_DIR, '../elf/test/fixtures/globals.o'), 'globals')) as { GlobalsSkeleton: { open(o: object): Skel } };
  const k = createDefaultKernel({ cpus: 2 });
  const skel = mod.GlobalsSkeleton.open({ host: k.init });
  t.is(skel.data.packets, 5);
  t.is(skel.data_extra.extra, 7);
  skel.data.packets = 10;
  skel.rodata.limit = 12;
  skel.load();
  const r = skel.progs.count_in.testRun({ dataIn: packet(100) });
  t.is(r.retval, 1);
  t.is(skel.data.packets, 11);
  // cgroup_skb sees the packet from its network header: 100 - 14 bytes.
  t.is(skel.bss.bytes, 86n);
  skel.data.packets = 11;
  t.is(skel.progs.count_in.testRun({ dataIn: packet(100) }).retval, 0);
  t.is(skel.data.packets, 12);
  t.is(skel.bss.bytes, 172n);
  skel.close();
});

/** Ethernet + IPv4 (10.0.0.1 → 10.0.0.2) + UDP to `dport`, padded to 64 bytes. */
function udp(dport: number): Uint8Array {
  const p = new Uint8Array(64);
  const v = new DataView(p.buffer);
  p.set([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 1, 2, 3, 4, 5, 0x08, 0x00]);
  p.set([0x45, 0, 0, 50, 0, 1, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2], 14);
  v.setUint16(34, 1234);
  v.setUint16(36, dport);
  v.setUint16(38, 30);
  return p;
}

test('xdp_firewall skeleton: a struct-valued map and .bss counters', async (t) => {
  interface Verdicts { passed: bigint; dropped: bigint }
  interface Skel extends Closeable {
    readonly progs: { xdp_firewall: Prog };
    readonly maps: { by_source: TypedMapLike<number, Verdicts> };
    readonly rodata: { blocked_port: number };
    readonly bss: { packets_seen: bigint; not_inspected: bigint };
  }
  const mod = (await skeletonModule(join(CLI_DIR, '../../examples/xdp_firewall.o'), 'xdp_firewall')) as {
    XdpFirewallSkeleton: { open(o: object): Skel };
    encodeVerdicts(v: Verdicts): Uint8Array;
  };
  const skel = mod.XdpFirewallSkeleton.open({ host: createDefaultKernel({ cpus: 2 }).init });
  skel.rodata.blocked_port = 8080;
  skel.load();
  t.is(skel.progs.xdp_firewall.testRun({ dataIn: udp(8080) }).retval, 1);
  t.is(skel.progs.xdp_firewall.testRun({ dataIn: udp(53) }).retval, 2);
  t.is(skel.progs.xdp_firewall.testRun({ dataIn: udp(8080) }).retval, 1);
  // The key is the source address in network order, read as a little-endian u32.
  const src = 0x0100000a;
  t.deepEqual(skel.maps.by_source.lookup(src), { passed: 1n, dropped: 2n });
  t.is(skel.bss.packets_seen, 3n);
  t.is(skel.bss.not_inspected, 0n);
  skel.maps.by_source.update(src, { passed: 100n, dropped: 0n });
  t.is(skel.progs.xdp_firewall.testRun({ dataIn: udp(53) }).retval, 2);
  t.deepEqual(skel.maps.by_source.lookup(src), { passed: 101n, dropped: 0n });
  t.deepEqual([...mod.encodeVerdicts({ passed: 1n, dropped: 2n })], [1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0]);
  skel.close();
});

test('cgroup_counter skeleton: a per-CPU map with struct keys and values', async (t) => {
  interface Key { ethertype: number; ip_proto: number; pad: number }
  interface Traffic { packets: bigint; bytes: bigint }
  interface Skel extends Closeable {
    readonly progs: { count_egress: Prog };
    readonly maps: { egress_traffic: TypedMapLike<Key, Traffic[]> };
  }
  const mod = (await skeletonModule(join(CLI_DIR, '../../examples/cgroup_counter.o'), 'cgroup_counter')) as { CgroupCounterSkeleton: { open(o: object): Skel } };
  const skel = mod.CgroupCounterSkeleton.open({ host: createDefaultKernel({ cpus: 2 }).init, possibleCpus: 2 });
  skel.load();
  t.is(skel.progs.count_egress.testRun({ dataIn: udp(53) }).retval, 1);
  t.is(skel.progs.count_egress.testRun({ dataIn: udp(53) }).retval, 1);
  const entries = [...skel.maps.egress_traffic.entries()];
  t.is(entries.length, 1);
  const [key, perCpu] = entries[0] ?? [];
  // skb->protocol is in network order: 0x0800 reads back as 0x0008.
  t.deepEqual(key, { ethertype: 0x0008, ip_proto: 17, pad: 0 });
  t.is(perCpu?.length, 2);
  t.is(perCpu?.reduce((n, x) => n + x.packets, 0n), 2n);
  skel.maps.egress_traffic.update({ ethertype: 0xdd86, ip_proto: 6, pad: 0 }, [{ packets: 1n, bytes: 2n }, { packets: 3n, bytes: 4n }]);
  t.deepEqual(skel.maps.egress_traffic.lookup({ ethertype: 0xdd86, ip_proto: 6, pad: 0 }), [{ packets: 1n, bytes: 2n }, { packets: 3n, bytes: 4n }]);
  skel.close();
});

test('map_values skeleton: map-in-map and prog array values are fds in, ids out', async (t) => {
  interface Skel extends Closeable {
    readonly progs: { tail_prog: Prog & { fd: number }; main_prog: Prog & { autoload: boolean } };
    readonly maps: { outer: TypedMapLike<number, number>; jmp: TypedMapLike<number, number>; inner_a: TypedMapLike<number, number> & { raw: { fd: number } } };
  }
  const mod = (await skeletonModule(join(CLI_DIR, '../elf/test/fixtures/map_values.o'), 'map_values')) as { MapValuesSkeleton: { open(o: object): Skel } };
  const skel = mod.MapValuesSkeleton.open({ host: createDefaultKernel({ cpus: 2 }).init });
  // main_prog (bpf_loop callback, kconfig externs) is not what this test is about.
  skel.progs.main_prog.autoload = false;
  skel.load();
  const slot0 = skel.maps.outer.lookup(0);
  t.true(slot0 !== undefined && slot0 > 0);
  t.is(skel.maps.outer.lookup(1), undefined);
  skel.maps.outer.update(1, skel.maps.inner_a.raw.fd);
  t.is(skel.maps.outer.lookup(1), slot0);
  t.true((skel.maps.jmp.lookup(1) ?? 0) > 0);
  skel.maps.jmp.update(0, skel.progs.tail_prog.fd);
  t.is(skel.maps.jmp.lookup(0), skel.maps.jmp.lookup(1));
  skel.close();
});
