import test from 'ava';
import type { BpfMap, HelperEnv, PerfEventArrayOps, RingbufOps } from '@bpfkit/kernel-api';
import { createVmArena } from '@bpfkit/memory';
import { bpfFuncId, BpfMapType, BpfProgType, Errno } from '@bpfkit/uapi';
import { bindCgroupStorage, createFlowDissectorContext, createHelperRegistry, createSkBuffContext, createXdpContext, type PacketContext, releasePacketContext } from '@bpfkit/vm';
import { callHelper, HelperFault, makeNoopHelperEnv, makeNoopServices } from '@bpfkit/vm/testing';

const helpers = createHelperRegistry();
const h = (name: string) => {
  const d = helpers.get(bpfFuncId(name) ?? -1);
  if (d === undefined) throw new Error(`no helper ${name}`);
  return d;
};
const newArena = () => createVmArena({ initialBytes: 1 << 20, wasm: false });
const seq = (n: number) => Uint8Array.from({ length: n }, (_, i) => i);

function skb(env: HelperEnv, frame: Uint8Array = seq(64)): PacketContext {
  return createSkBuffContext(env.arena, { frame, headroom: 64, tailroom: 320, dataOffset: 0 });
}
function xdp(env: HelperEnv, linear = seq(64), frags: Uint8Array[] = []): PacketContext {
  return createXdpContext(env.arena, { linear, frags, frameSize: 4096, headroom: 256, metaLen: 0, ingressIfindex: 1, rxQueueIndex: 0 });
}
const bytesOf = (p: PacketContext) => [...p.arena.bytes.subarray(p.data(), p.dataEnd())];

test('skb_load_bytes copies from skb->data + offset', (t) => {
  const env = makeNoopHelperEnv({ arena: newArena() });
  const p = skb(env);
  const to = env.arena.alloc(8);
  t.is(callHelper(h('skb_load_bytes'), env, p.ctx, 60, to, 4), 0n);
  t.deepEqual([...env.arena.bytes.subarray(to, to + 4)], [60, 61, 62, 63]);
  releasePacketContext(p);
});

test('skb_load_bytes past the packet zeroes the buffer and returns -EFAULT', (t) => {
  const env = makeNoopHelperEnv({ arena: newArena() });
  const p = skb(env);
  const to = env.arena.alloc(8);
  env.arena.bytes.fill(0xee, to, to + 8);
  t.is(callHelper(h('skb_load_bytes'), env, p.ctx, 61, to, 4), BigInt(-Errno.EFAULT));
  t.deepEqual([...env.arena.bytes.subarray(to, to + 4)], [0, 0, 0, 0]);
  t.is(callHelper(h('skb_load_bytes'), env, p.ctx, 0x8000_0000, to, 1), BigInt(-Errno.EFAULT));
});

test('a flow dissector test run has no skb: skb_load_bytes is -EFAULT', (t) => {
  const env = makeNoopHelperEnv({ arena: newArena() });
  const p = createFlowDissectorContext(env.arena, { frame: seq(64), nProto: 8, nhoff: 14, flags: 0 });
  const to = env.arena.alloc(8);
  t.is(callHelper(h('skb_load_bytes'), env, p.ctx, 0, to, 4), BigInt(-Errno.EFAULT));
});

test('skb_store_bytes writes into the packet; unknown flags are -EINVAL, past the end -EFAULT', (t) => {
  const env = makeNoopHelperEnv({ arena: newArena() });
  const p = skb(env);
  const from = env.arena.alloc(8);
  env.arena.bytes.set([0xde, 0xad, 0xbe, 0xef], from);
  t.is(callHelper(h('skb_store_bytes'), env, p.ctx, 2, from, 4, 0), 0n);
  t.deepEqual(bytesOf(p).slice(0, 7), [0, 1, 0xde, 0xad, 0xbe, 0xef, 6]);
  t.is(callHelper(h('skb_store_bytes'), env, p.ctx, 2, from, 4, 4), BigInt(-Errno.EINVAL));
  t.is(callHelper(h('skb_store_bytes'), env, p.ctx, 61, from, 4, 0), BigInt(-Errno.EFAULT));
});

test('skb_store_bytes with BPF_F_INVALIDATE_HASH clears __sk_buff.hash', (t) => {
  const env = makeNoopHelperEnv({ arena: newArena() });
  const p = skb(env);
  env.arena.view.setUint32(p.ctx + 68, 0x1234, true);
  const from = env.arena.alloc(8);
  t.is(callHelper(h('skb_store_bytes'), env, p.ctx, 0, from, 1, 2), 0n);
  t.is(env.arena.view.getUint32(p.ctx + 68, true), 0);
});

/** A 20-byte IPv4 header with a valid checksum, at the start of the skb data. */
function ipv4(): Uint8Array {
  const h = Uint8Array.from([0x45, 0, 0, 28, 0, 1, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
  let s = 0;
  for (let i = 0; i < 20; i += 2) s += ((h[i] ?? 0) << 8) | (h[i + 1] ?? 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  h[10] = (~s >> 8) & 0xff;
  h[11] = ~s & 0xff;
  return h;
}
const headerSumOk = (b: number[]) => {
  let s = 0;
  for (let i = 0; i < 20; i += 2) s += ((b[i] ?? 0) << 8) | (b[i + 1] ?? 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s === 0xffff;
};

test('l3_csum_replace keeps the IPv4 header checksum valid across a 4-byte change', (t) => {
  const env = makeNoopHelperEnv({ arena: newArena() });
  const p = skb(env, ipv4());
  const v = env.arena.view;
  const from = v.getUint32(p.data() + 16, true);
  v.setUint32(p.data() + 16, 0x0300_000a, true);
  t.is(callHelper(h('l3_csum_replace'), env, p.ctx, 10, from, 0x0300_000a, 4), 0n);
  t.true(headerSumOk(bytesOf(p)));
});

test('l3_csum_replace with size 2 and with a csum_diff value (size 0)', (t) => {
  const env = makeNoopHelperEnv({ arena: newArena() });
  const p = skb(env, ipv4());
  const v = env.arena.view;
  const ttl = v.getUint16(p.data() + 8, true);
  v.setUint16(p.data() + 8, ttl - 1, true);
  t.is(callHelper(h('l3_csum_replace'), env, p.ctx, 10, ttl, ttl - 1, 2), 0n);
  t.true(headerSumOk(bytesOf(p)));
  t.is(callHelper(h('l3_csum_replace'), env, p.ctx, 10, 1, 0x10, 0), BigInt(-Errno.EINVAL), 'from must be 0 with a diff');
});

test('the csum_replace helpers refuse odd or out-of-packet offsets (-EFAULT) and other sizes or flags (-EINVAL)', (t) => {
  const env = makeNoopHelperEnv({ arena: newArena() });
  const p = skb(env);
  t.is(callHelper(h('l3_csum_replace'), env, p.ctx, 11, 1, 2, 4), BigInt(-Errno.EFAULT));
  t.is(callHelper(h('l3_csum_replace'), env, p.ctx, 64, 1, 2, 4), BigInt(-Errno.EFAULT));
  t.is(callHelper(h('l3_csum_replace'), env, p.ctx, 10, 1, 2, 3), BigInt(-Errno.EINVAL));
  t.is(callHelper(h('l3_csum_replace'), env, p.ctx, 10, 1, 2, 4 | 16), BigInt(-Errno.EINVAL));
  t.is(callHelper(h('l4_csum_replace'), env, p.ctx, 10, 1, 2, 4 | 256), BigInt(-Errno.EINVAL));
});

test('l4_csum_replace with BPF_F_MARK_MANGLED_0 leaves a zero checksum alone and writes 0xffff for a zero result', (t) => {
  const env = makeNoopHelperEnv({ arena: newArena() });
  const p = skb(env, new Uint8Array(64));
  const v = env.arena.view;
  t.is(callHelper(h('l4_csum_replace'), env, p.ctx, 40, 1, 2, 4 | 32), 0n);
  t.is(v.getUint16(p.data() + 40, true), 0);
  // enforce: 0 → ~(~0 - 0 + 0xffff) folds to 0, which is then marked 0xffff
  t.is(callHelper(h('l4_csum_replace'), env, p.ctx, 40, 0, 0xffff, 2 | 32 | 64), 0n);
  t.is(v.getUint16(p.data() + 40, true), 0xffff);
});

test('csum_diff folds the difference to 16 bits (6.18) and handles one empty side', (t) => {
  const env = makeNoopHelperEnv({ arena: newArena() });
  const a = env.arena.alloc(8);
  const b = env.arena.alloc(8);
  env.arena.bytes.set([1, 2, 3, 4], a);
  env.arena.bytes.set([5, 6, 7, 8], b);
  t.is(callHelper(h('csum_diff'), env, a, 4, b, 4, 0), 0x808n);
  env.arena.bytes.fill(0xff, b, b + 8);
  t.is(callHelper(h('csum_diff'), env, 0, 0, b, 8, 0), 0xffffn);
  t.is(callHelper(h('csum_diff'), env, 0, 0, 0, 0, 77), 77n);
});

test('xdp_adjust_head moves data within [data_hard_start + sizeof(xdp_frame), data_end - ETH_HLEN]', (t) => {
  const env = makeNoopHelperEnv({ arena: newArena(), progType: BpfProgType.BPF_PROG_TYPE_XDP });
  const p = xdp(env);
  t.is(callHelper(h('xdp_adjust_head'), env, p.ctx, -217), BigInt(-Errno.EINVAL));
  t.is(callHelper(h('xdp_adjust_head'), env, p.ctx, -216), 0n);
  t.is(p.dataEnd() - p.data(), 280);
  t.is(callHelper(h('xdp_adjust_head'), env, p.ctx, 216 + 51), BigInt(-Errno.EINVAL));
  t.is(callHelper(h('xdp_adjust_head'), env, p.ctx, 216 + 50), 0n);
  t.is(p.dataEnd() - p.data(), 14);
});

test('xdp_adjust_head moves the metadata along with data', (t) => {
  const env = makeNoopHelperEnv({ arena: newArena() });
  const p = xdp(env);
  t.is(callHelper(h('xdp_adjust_meta'), env, p.ctx, -8), 0n);
  env.arena.bytes.fill(0xab, p.dataMeta(), p.data());
  t.is(callHelper(h('xdp_adjust_head'), env, p.ctx, -16), 0n);
  t.is(p.data() - p.dataMeta(), 8);
  t.deepEqual([...env.arena.bytes.subarray(p.dataMeta(), p.data())], new Array(8).fill(0xab));
});

test('xdp_adjust_tail grows up to the shared-info tailroom (zeroing) and shrinks down to ETH_HLEN', (t) => {
  const env = makeNoopHelperEnv({ arena: newArena() });
  const p = xdp(env);
  t.is(callHelper(h('xdp_adjust_tail'), env, p.ctx, 3457), BigInt(-Errno.EINVAL));
  t.is(callHelper(h('xdp_adjust_tail'), env, p.ctx, 3456), 0n);
  t.is(p.dataEnd() - p.data(), 3520);
  t.true(bytesOf(p).slice(64).every((b) => b === 0));
  t.is(callHelper(h('xdp_adjust_tail'), env, p.ctx, -3507), BigInt(-Errno.EINVAL));
  t.is(callHelper(h('xdp_adjust_tail'), env, p.ctx, -3506), 0n);
  t.is(p.dataEnd() - p.data(), 14);
});

test('xdp_adjust_tail on a frame with frags grows or shrinks the frags first', (t) => {
  const env = makeNoopHelperEnv({ arena: newArena() });
  const p = xdp(env, seq(64), [new Uint8Array(100)]);
  t.is(callHelper(h('xdp_adjust_tail'), env, p.ctx, 50), 0n);
  t.is(p.fragsSize(), 150);
  t.is(callHelper(h('xdp_adjust_tail'), env, p.ctx, -160), 0n);
  t.is(p.fragsSize(), 0);
  t.is(p.dataEnd() - p.data(), 54);
});

test('xdp_adjust_meta: -EINVAL before the xdp_frame or past data, -EACCES for a length not a multiple of 4', (t) => {
  const env = makeNoopHelperEnv({ arena: newArena() });
  const p = xdp(env);
  t.is(callHelper(h('xdp_adjust_meta'), env, p.ctx, 4), BigInt(-Errno.EINVAL));
  t.is(callHelper(h('xdp_adjust_meta'), env, p.ctx, -220), BigInt(-Errno.EINVAL));
  t.is(callHelper(h('xdp_adjust_meta'), env, p.ctx, -3), BigInt(-Errno.EACCES));
  t.is(callHelper(h('xdp_adjust_meta'), env, p.ctx, -216), 0n);
});

test('packet helpers on something that is not a packet context fault', (t) => {
  const env = makeNoopHelperEnv({ arena: newArena() });
  t.throws(() => callHelper(h('xdp_adjust_head'), env, 0x4000, 1), { instanceOf: HelperFault });
});

test('redirect: XDP_REDIRECT or XDP_ABORTED for XDP, TC_ACT_REDIRECT or TC_ACT_SHOT for tc', (t) => {
  const x = makeNoopHelperEnv({ progType: BpfProgType.BPF_PROG_TYPE_XDP });
  t.is(callHelper(h('redirect'), x, 1, 0), 4n);
  t.is(callHelper(h('redirect'), x, 1, 1), 0n);
  const tc = makeNoopHelperEnv({ progType: BpfProgType.BPF_PROG_TYPE_SCHED_CLS });
  t.is(callHelper(h('redirect'), tc, 1, 1), 7n);
  t.is(callHelper(h('redirect'), tc, 1, 2), 2n);
});

function slotMap(env: HelperEnv, present: Set<number>, extra: Partial<BpfMap> = {}): BpfMap {
  const value = env.arena.alloc(8);
  return {
    info: { mapType: 14, keySize: 4, valueSize: 4, maxEntries: 8, mapFlags: 0, isMapInMap: false },
    address: env.arena.alloc(8),
    sysLookup: () => new Uint8Array(4), sysUpdate: () => undefined, sysDelete: () => undefined,
    sysGetNextKey: () => new Uint8Array(4), sysLookupAndDelete: () => new Uint8Array(4),
    lookupElem: (k) => (present.has(env.arena.view.getUint32(k, true)) ? value : 0),
    updateElem: () => 0, deleteElem: () => 0, pushElem: () => 0, popElem: () => 0, peekElem: () => 0, forEachElem: () => 0,
    release: () => undefined,
    ...extra,
  };
}

test('redirect_map: XDP_REDIRECT for a present key, else the action in the flags\' low bits; unknown flags abort', (t) => {
  const arena = newArena();
  const holder: { map?: BpfMap } = {};
  const env = makeNoopHelperEnv({ arena, progType: BpfProgType.BPF_PROG_TYPE_XDP, services: makeNoopServices({ mapAt: () => holder.map }) });
  holder.map = slotMap(env, new Set([3]));
  const m = holder.map.address;
  t.is(callHelper(h('redirect_map'), env, m, 3, 0), 4n);
  t.is(callHelper(h('redirect_map'), env, m, 4, 2), 2n);
  t.is(callHelper(h('redirect_map'), env, m, 4, 8), 4n, 'BPF_F_BROADCAST');
  t.is(callHelper(h('redirect_map'), env, m, 3, 0x40), 0n);
});

test('perf_event_output resolves BPF_F_CURRENT_CPU, checks max_entries (-E2BIG) and unknown flags (-EINVAL)', (t) => {
  const arena = newArena();
  const out: number[][] = [];
  const ops: PerfEventArrayOps = { output: (cpu, index, _d, size) => (out.push([cpu, index, size]), 0) };
  const holder: { map?: BpfMap } = {};
  const env = makeNoopHelperEnv({ arena, cpu: 1, services: makeNoopServices({ mapAt: () => holder.map }) });
  holder.map = slotMap(env, new Set(), { perfEvents: ops });
  const data = arena.alloc(16);
  t.is(callHelper(h('perf_event_output'), env, 0, holder.map.address, 0xffff_ffff, data, 16), 0n);
  t.is(callHelper(h('perf_event_output'), env, 0, holder.map.address, 5, data, 8), 0n);
  t.is(callHelper(h('perf_event_output'), env, 0, holder.map.address, 8, data, 8), BigInt(-Errno.E2BIG));
  t.is(callHelper(h('perf_event_output'), env, 0, holder.map.address, 1n << 32n, data, 8), BigInt(-Errno.EINVAL));
  t.deepEqual(out, [[1, 1, 16], [1, 5, 8]]);
});

test('perf_event_output from a packet program appends flags >> 32 packet bytes', (t) => {
  const arena = newArena();
  const records: Uint8Array[] = [];
  const ops: PerfEventArrayOps = { output: (_c, _i, d, size) => (records.push(arena.bytes.slice(d, d + size)), 0) };
  const holder: { map?: BpfMap } = {};
  const env = makeNoopHelperEnv({ arena, progType: BpfProgType.BPF_PROG_TYPE_SCHED_CLS, services: makeNoopServices({ mapAt: () => holder.map }) });
  holder.map = slotMap(env, new Set(), { perfEvents: ops });
  const p = skb(env);
  const data = arena.alloc(8);
  arena.bytes.set([0xaa, 0xbb], data);
  t.is(callHelper(h('perf_event_output'), env, p.ctx, holder.map.address, (3n << 32n) | 0n, data, 2), 0n);
  t.deepEqual([...(records[0] ?? [])], [0xaa, 0xbb, 0, 1, 2]);
});

test('ringbuf reserve/submit/discard find the ring from the sample; output checks flags', (t) => {
  const arena = newArena();
  const log: string[] = [];
  const ops: RingbufOps = {
    reserve: (size) => (log.push(`reserve ${size}`), arena.alloc(size)),
    submit: (s, f) => void log.push(`submit ${s > 0} ${f}`),
    discard: (s, f) => void log.push(`discard ${s > 0} ${f}`),
    output: (_d, size, f) => (log.push(`output ${size} ${f}`), 0),
    query: (f) => BigInt(f) * 10n,
    consume: () => 0,
  };
  const holder: { map?: BpfMap } = {};
  const env = makeNoopHelperEnv({ arena, services: makeNoopServices({ mapAt: () => holder.map }) });
  holder.map = slotMap(env, new Set(), { ringbuf: ops });
  const m = holder.map.address;
  const s1 = callHelper(h('ringbuf_reserve'), env, m, 16, 0);
  t.not(s1, 0n);
  t.is(callHelper(h('ringbuf_submit'), env, s1, 1), 0n);
  const s2 = callHelper(h('ringbuf_reserve'), env, m, 8, 0);
  t.is(callHelper(h('ringbuf_discard'), env, s2, 2), 0n);
  t.is(callHelper(h('ringbuf_reserve'), env, m, 8, 1), 0n, 'any flag gives NULL');
  t.throws(() => callHelper(h('ringbuf_submit'), env, s1, 0), { instanceOf: HelperFault }, 'a sample is submitted once');
  const data = arena.alloc(8);
  t.is(callHelper(h('ringbuf_output'), env, m, data, 8, 2), 0n);
  t.is(callHelper(h('ringbuf_output'), env, m, data, 8, 4), BigInt(-Errno.EINVAL));
  t.is(callHelper(h('ringbuf_query'), env, m, 3), 30n);
  t.deepEqual(log, ['reserve 16', 'submit true 1', 'reserve 8', 'discard true 2', 'output 8 2']);
});

test('xdp_get_buff_len counts the frags; xdp_load_bytes and xdp_store_bytes reach across them', (t) => {
  const env = makeNoopHelperEnv({ arena: newArena() });
  const p = xdp(env, seq(64), [Uint8Array.of(100, 101, 102, 103)]);
  t.is(callHelper(h('xdp_get_buff_len'), env, p.ctx), 68n);
  const buf = env.arena.alloc(8);
  t.is(callHelper(h('xdp_load_bytes'), env, p.ctx, 62, buf, 4), 0n);
  t.deepEqual([...env.arena.bytes.subarray(buf, buf + 4)], [62, 63, 100, 101]);
  env.arena.bytes.set([1, 2, 3], buf);
  t.is(callHelper(h('xdp_store_bytes'), env, p.ctx, 65, buf, 3), 0n);
  t.deepEqual([...(p.frags[0] ?? [])], [100, 1, 2, 3]);
});

test('xdp_load_bytes: -EINVAL past the frame, -EFAULT for an offset above 0xffff', (t) => {
  const env = makeNoopHelperEnv({ arena: newArena() });
  const p = xdp(env);
  const buf = env.arena.alloc(8);
  t.is(callHelper(h('xdp_load_bytes'), env, p.ctx, 61, buf, 4), BigInt(-Errno.EINVAL));
  t.is(callHelper(h('xdp_load_bytes'), env, p.ctx, 0x10000, buf, 4), BigInt(-Errno.EFAULT));
});

test('skb_pull_data succeeds up to the packet length, -ENOMEM past it', (t) => {
  const env = makeNoopHelperEnv({ arena: newArena() });
  const p = skb(env);
  t.is(callHelper(h('skb_pull_data'), env, p.ctx, 64), 0n);
  t.is(callHelper(h('skb_pull_data'), env, p.ctx, 65), BigInt(-Errno.ENOMEM));
});

test('csum_update is -ENOTSUPP unless the skb is CHECKSUM_COMPLETE, then returns the new skb->csum', (t) => {
  const env = makeNoopHelperEnv({ arena: newArena() });
  const p = skb(env);
  t.is(callHelper(h('csum_update'), env, p.ctx, 5), BigInt(-Errno.ENOTSUPP));
  p.ipSummed = 2;
  p.csum = 0xffff_fff0;
  t.is(callHelper(h('csum_update'), env, p.ctx, 0x20), 0x11n, 'the carry wraps around');
});

test('csum_level: query is -EACCES until inc makes the skb CHECKSUM_UNNECESSARY; unknown levels are -EINVAL', (t) => {
  const env = makeNoopHelperEnv({ arena: newArena() });
  const p = skb(env);
  t.is(callHelper(h('csum_level'), env, p.ctx, 0), BigInt(-Errno.EACCES));
  t.is(callHelper(h('csum_level'), env, p.ctx, 1), 0n);
  t.is(callHelper(h('csum_level'), env, p.ctx, 1), 0n);
  t.is(callHelper(h('csum_level'), env, p.ctx, 0), 1n);
  t.is(callHelper(h('csum_level'), env, p.ctx, 3), 0n);
  t.is(callHelper(h('csum_level'), env, p.ctx, 0), BigInt(-Errno.EACCES));
  t.is(callHelper(h('csum_level'), env, p.ctx, 4), BigInt(-Errno.EINVAL));
});

test('skb_change_head pushes zeroed bytes in front of the data, growing the buffer when the headroom runs out', (t) => {
  const env = makeNoopHelperEnv({ arena: newArena() });
  const p = skb(env);
  t.is(callHelper(h('skb_change_head'), env, p.ctx, 34, 0), 0n);
  t.is(callHelper(h('skb_change_head'), env, p.ctx, 42, 0), 0n);
  t.is(p.dataEnd() - p.data(), 64 + 76);
  t.deepEqual(bytesOf(p).slice(0, 76), new Array(76).fill(0));
  t.deepEqual(bytesOf(p).slice(76, 80), [0, 1, 2, 3]);
  t.is(callHelper(h('skb_change_head'), env, p.ctx, 1, 1), BigInt(-Errno.EINVAL), 'flags');
  t.is(callHelper(h('skb_change_head'), env, p.ctx, 20000, 0), BigInt(-Errno.EINVAL), 'past BPF_SKB_MAX_LEN');
});

test('skb_vlan_push puts the tag in __sk_buff first, a second push moves the first into the packet; pop undoes both', (t) => {
  const env = makeNoopHelperEnv({ arena: newArena() });
  const frame = seq(64);
  frame[12] = 0x08;
  frame[13] = 0x00;
  const p = skb(env, frame);
  const v = env.arena.view;
  t.is(callHelper(h('skb_vlan_push'), env, p.ctx, 0x0081, 5), 0n);
  t.deepEqual([v.getUint32(p.ctx + 20, true), v.getUint32(p.ctx + 24, true), v.getUint16(p.ctx + 28, false)], [1, 5, 0x8100]);
  t.is(p.dataEnd() - p.data(), 64);
  t.is(callHelper(h('skb_vlan_push'), env, p.ctx, 1, 6), 0n, 'an unknown protocol becomes 802.1Q');
  t.is(p.dataEnd() - p.data(), 68);
  t.deepEqual(bytesOf(p).slice(12, 18), [0x81, 0x00, 0x00, 0x05, 0x08, 0x00]);
  t.is(callHelper(h('skb_vlan_pop'), env, p.ctx), 0n);
  t.deepEqual([v.getUint32(p.ctx + 20, true), v.getUint32(p.ctx + 24, true)], [1, 5], 'the inner tag moved to the accelerated slot');
  t.deepEqual(bytesOf(p), [...frame]);
  t.is(callHelper(h('skb_vlan_pop'), env, p.ctx), 0n);
  t.is(v.getUint32(p.ctx + 20, true), 0);
});

test('check_mtu: within MTU + hard header is SUCCESS, beyond FRAG_NEEDED, *mtu_len gets the MTU; bad flags and devices fail', (t) => {
  const env = makeNoopHelperEnv({ arena: newArena(), progType: BpfProgType.BPF_PROG_TYPE_SCHED_CLS });
  const p = skb(env);
  const mtu = env.arena.alloc(8);
  t.is(callHelper(h('check_mtu'), env, p.ctx, 0, mtu, 0, 0), 0n);
  t.is(env.arena.view.getUint32(mtu, true), 65536);
  t.is(callHelper(h('check_mtu'), env, p.ctx, 0, mtu, 65536 + 14 - 64 + 1, 0), 1n);
  t.is(callHelper(h('check_mtu'), env, p.ctx, 7, mtu, 0, 0), BigInt(-Errno.ENODEV));
  t.is(env.arena.view.getUint32(mtu, true), 0);
  t.is(callHelper(h('check_mtu'), env, p.ctx, 0, mtu, 0, 2), BigInt(-Errno.EINVAL));
});

test('fib_lookup: -EINVAL for short params, -EAFNOSUPPORT for other families, NOT_FWDED otherwise', (t) => {
  const env = makeNoopHelperEnv({ arena: newArena() });
  const p = skb(env);
  const params = env.arena.alloc(64);
  t.is(callHelper(h('fib_lookup'), env, p.ctx, params, 32, 0), BigInt(-Errno.EINVAL));
  t.is(callHelper(h('fib_lookup'), env, p.ctx, params, 64, 0), BigInt(-Errno.EAFNOSUPPORT));
  env.arena.bytes[params] = 2;
  t.is(callHelper(h('fib_lookup'), env, p.ctx, params, 64, 0), 4n);
});

test('get_local_storage returns the storage installed for the map, per CPU for percpu maps', (t) => {
  const arena = newArena();
  const map = { info: { mapType: BpfMapType.BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE, keySize: 8, valueSize: 12, maxEntries: 0, mapFlags: 0, isMapInMap: false }, address: arena.alloc(8) } as unknown as BpfMap;
  const env = makeNoopHelperEnv({ arena, cpu: 1, services: makeNoopServices({ mapAt: () => map }) });
  t.throws(() => callHelper(h('get_local_storage'), env, map.address, 0), { instanceOf: HelperFault });
  bindCgroupStorage(arena, map.address, 0x20000);
  t.is(callHelper(h('get_local_storage'), env, map.address, 0), BigInt(0x20000 + 16));
});

test('skb_change_tail trims, or grows with zeros past the buffer; not below the network header, not past BPF_SKB_MAX_LEN', (t) => {
  const env = makeNoopHelperEnv({ arena: newArena() });
  const p = skb(env);
  t.is(callHelper(h('skb_change_tail'), env, p.ctx, 13, 0), BigInt(-Errno.EINVAL), 'below the network header (tc data starts at the MAC header)');
  t.is(callHelper(h('skb_change_tail'), env, p.ctx, 20, 0), 0n);
  t.is(p.dataEnd() - p.data(), 20);
  t.is(callHelper(h('skb_change_tail'), env, p.ctx, 4000, 0), 0n);
  t.is(p.dataEnd() - p.data(), 4000);
  t.deepEqual(bytesOf(p).slice(18, 22), [18, 19, 0, 0]);
  t.is(callHelper(h('skb_change_tail'), env, p.ctx, 16065, 0), BigInt(-Errno.EINVAL));
  t.is(callHelper(h('skb_change_tail'), env, p.ctx, 64, 1), BigInt(-Errno.EINVAL));
});

test('skb_load_bytes_relative reads from the MAC or network header; anything else zeroes and is -EFAULT', (t) => {
  const env = makeNoopHelperEnv({ arena: newArena() });
  const p = skb(env);
  const to = env.arena.alloc(8);
  t.is(callHelper(h('skb_load_bytes_relative'), env, p.ctx, 0, to, 2, 1), 0n);
  t.deepEqual([...env.arena.bytes.subarray(to, to + 2)], [14, 15]);
  t.is(callHelper(h('skb_load_bytes_relative'), env, p.ctx, 47, to, 4, 1), BigInt(-Errno.EFAULT));
  t.is(callHelper(h('skb_load_bytes_relative'), env, p.ctx, 0, to, 4, 2), BigInt(-Errno.EFAULT));
  t.deepEqual([...env.arena.bytes.subarray(to, to + 4)], [0, 0, 0, 0]);
});

const kf = (name: string) => {
  const d = helpers.kfunc(name);
  if (d === undefined) throw new Error(`no kfunc ${name}`);
  return d;
};

test('an xdp dynptr covers the frame with its frags; slice points into the linear part or copies into the buffer', (t) => {
  const env = makeNoopHelperEnv({ arena: newArena(), progType: BpfProgType.BPF_PROG_TYPE_XDP });
  const p = xdp(env, seq(64), [Uint8Array.of(100, 101, 102, 103)]);
  const dp = env.arena.alloc(16);
  const buf = env.arena.alloc(8);
  t.is(callHelper(kf('bpf_dynptr_from_xdp'), env, p.ctx, 0, dp), 0n);
  t.is(callHelper(kf('bpf_dynptr_size'), env, dp), 68n);
  t.is(callHelper(kf('bpf_dynptr_is_rdonly'), env, dp), 0n);
  t.is(callHelper(kf('bpf_dynptr_slice'), env, dp, 2, 0, 4), BigInt(p.data() + 2));
  t.is(callHelper(kf('bpf_dynptr_slice'), env, dp, 62, 0, 4), 0n, 'across the frag without a buffer');
  t.is(callHelper(kf('bpf_dynptr_slice'), env, dp, 62, buf, 4), BigInt(buf));
  t.deepEqual([...env.arena.bytes.subarray(buf, buf + 4)], [62, 63, 100, 101]);
  t.is(callHelper(kf('bpf_dynptr_from_xdp'), env, p.ctx, 1, dp), BigInt(-Errno.EINVAL));
  t.is(callHelper(kf('bpf_dynptr_is_null'), env, dp), 1n);
  t.is(callHelper(kf('bpf_dynptr_size'), env, dp), BigInt(-Errno.EINVAL));
});

test('skb dynptrs are read-only for program types that cannot write packets; dynptr_read/write check offsets (-E2BIG)', (t) => {
  const env = makeNoopHelperEnv({ arena: newArena(), progType: BpfProgType.BPF_PROG_TYPE_SOCKET_FILTER });
  const p = skb(env);
  const dp = env.arena.alloc(16);
  const buf = env.arena.alloc(8);
  t.is(callHelper(kf('bpf_dynptr_from_skb'), env, p.ctx, 0, dp), 0n);
  t.is(callHelper(kf('bpf_dynptr_is_rdonly'), env, dp), 1n);
  t.is(callHelper(h('dynptr_write'), env, dp, 0, buf, 4, 0), BigInt(-Errno.EINVAL));
  t.is(callHelper(h('dynptr_read'), env, buf, 4, dp, 60, 0), 0n);
  t.deepEqual([...env.arena.bytes.subarray(buf, buf + 4)], [60, 61, 62, 63]);
  t.is(callHelper(h('dynptr_read'), env, buf, 4, dp, 61, 0), BigInt(-Errno.E2BIG));
  const tc = makeNoopHelperEnv({ arena: env.arena, progType: BpfProgType.BPF_PROG_TYPE_SCHED_CLS });
  t.is(callHelper(kf('bpf_dynptr_from_skb'), tc, p.ctx, 0, dp), 0n);
  env.arena.bytes.set([9, 9], buf);
  t.is(callHelper(h('dynptr_write'), tc, dp, 1, buf, 2, 0), 0n);
  t.deepEqual(bytesOf(p).slice(0, 4), [0, 9, 9, 3]);
  t.is(callHelper(h('dynptr_write'), tc, dp, 1, buf, 2, 4), BigInt(-Errno.EINVAL), 'flags other than the skb store flags');
});

test('local dynptrs: from_mem, adjust (-ERANGE past the end, -EINVAL reversed), dynptr_data within range', (t) => {
  const env = makeNoopHelperEnv({ arena: newArena() });
  const mem = env.arena.alloc(16);
  const dp = env.arena.alloc(16);
  t.is(callHelper(h('dynptr_from_mem'), env, mem, 16, 0, dp), 0n);
  t.is(callHelper(kf('bpf_dynptr_adjust'), env, dp, 2, 10), 0n);
  t.is(callHelper(kf('bpf_dynptr_size'), env, dp), 8n);
  t.is(callHelper(h('dynptr_data'), env, dp, 1, 4), BigInt(mem + 3));
  t.is(callHelper(h('dynptr_data'), env, dp, 5, 4), 0n);
  t.is(callHelper(kf('bpf_dynptr_adjust'), env, dp, 0, 9), BigInt(-Errno.ERANGE));
  t.is(callHelper(kf('bpf_dynptr_adjust'), env, dp, 4, 2), BigInt(-Errno.EINVAL));
  t.is(callHelper(h('dynptr_from_mem'), env, mem, 16, 1, dp), BigInt(-Errno.EINVAL));
  t.is(callHelper(kf('bpf_dynptr_is_null'), env, dp), 1n);
});
