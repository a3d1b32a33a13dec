// Programs for the BPF_PROG_TEST_RUN recordings: each echoes what it sees
// (lengths, protocol, pointers' distance, helper results) into its return
// value, the skb's cb/mark or the packet, so the recorded outputs pin the
// context layout and the helpers' results. Kernel-syntax assembly (@bpfkit/asm).

export const T = {
  SOCKET_FILTER: 1, KPROBE: 2, SCHED_CLS: 3, SCHED_ACT: 4, TRACEPOINT: 5, XDP: 6, PERF_EVENT: 7, CGROUP_SKB: 8,
  CGROUP_SOCK: 9, LWT_IN: 10, LWT_OUT: 11, LWT_XMIT: 12, SOCK_OPS: 13, SK_SKB: 14, SK_MSG: 16, RAW_TRACEPOINT: 17,
  CGROUP_SOCK_ADDR: 18, LWT_SEG6LOCAL: 19, FLOW_DISSECTOR: 22, CGROUP_SYSCTL: 23, RAW_TRACEPOINT_WRITABLE: 24,
  SK_LOOKUP: 30, SYSCALL: 31, NETFILTER: 32,
};

/**
 * skb echo: cb[0]=protocol, cb[1]=pkt_type, cb[2]=ifindex, cb[3]=data_end-data (or ingress_ifindex); r0 = len
 * (cgroup_skb must return 0 or 1: there cb[4] = len and r0 = 1).
 */
export function skbEcho({ data, writeMark, verdict = false }) {
  return [
    'r6 = r1',
    'r2 = *(u32 *)(r6 +16)', '*(u32 *)(r6 +48) = r2',
    'r2 = *(u32 *)(r6 +4)', '*(u32 *)(r6 +52) = r2',
    'r2 = *(u32 *)(r6 +40)', '*(u32 *)(r6 +56) = r2',
    ...(data
      ? ['r2 = *(u32 *)(r6 +76)', 'r3 = *(u32 *)(r6 +80)', 'r3 -= r2', '*(u32 *)(r6 +60) = r3']
      : ['r2 = *(u32 *)(r6 +36)', '*(u32 *)(r6 +60) = r2']),
    ...(writeMark
      ? ['r2 = *(u32 *)(r6 +8)', 'r2 += 1', '*(u32 *)(r6 +8) = r2', 'r2 = *(u32 *)(r6 +32)', 'r2 += 2', '*(u32 *)(r6 +32) = r2']
      : []),
    ...(verdict ? ['r2 = *(u32 *)(r6 +0)', '*(u32 *)(r6 +64) = r2', 'r0 = 1'] : ['r0 = *(u32 *)(r6 +0)']),
    'exit',
  ].join('\n');
}

/** tc: writes 0xaa to the first packet byte when there is one; r0 = data_end - data. */
export const tcWriteFirstByte = [
  'r2 = *(u32 *)(r1 +76)', 'r3 = *(u32 *)(r1 +80)',
  'r4 = r2', 'r4 += 1',
  'if r4 > r3 goto +2',
  'r5 = 170', '*(u8 *)(r2 +0) = r5',
  'r0 = r3', 'r0 -= r2',
  'exit',
].join('\n');

/** tc: writes 0xaa at data[off] when the packet has it; r0 = 0. */
export const tcWriteAt = (off) => [
  'r2 = *(u32 *)(r1 +76)', 'r3 = *(u32 *)(r1 +80)',
  'r4 = r2', `r4 += ${off + 1}`,
  'if r4 > r3 goto +2',
  'r5 = 170', `*(u8 *)(r2 +${off}) = r5`,
  'r0 = 0',
  'exit',
].join('\n');

/** socket filter with LD_ABS: r0 = the byte at network offset 9 (IPv4 protocol), or 0 out of range. */
export const sfLdAbs = ['r6 = r1', 'r0 = *(u8 *)skb[9]', 'exit'].join('\n');

/** XDP echo: r0 = data_end - data; the first 4 bytes (when present) get data - data_meta, then ingress_ifindex, rx_queue_index. */
export const xdpEcho = [
  'r2 = *(u32 *)(r1 +0)', 'r3 = *(u32 *)(r1 +4)', 'r4 = *(u32 *)(r1 +8)',
  'r5 = r2', 'r5 += 12',
  'if r5 > r3 goto +7',
  'r5 = r2', 'r5 -= r4', '*(u32 *)(r2 +0) = r5',
  'r5 = *(u32 *)(r1 +12)', '*(u32 *)(r2 +4) = r5',
  'r5 = *(u32 *)(r1 +16)', '*(u32 *)(r2 +8) = r5',
  'r0 = r3', 'r0 -= r2',
  'exit',
].join('\n');

/** XDP: r0 = bpf_xdp_adjust_<which>(ctx, delta). */
export function xdpAdjust(which, delta) {
  const id = { head: 44, tail: 65, meta: 54 }[which];
  return [`r2 = ${delta}`, `call ${id}`, 'exit'].join('\n');
}

/** XDP: adjust twice (e.g. meta then head) and return the second result. */
export function xdpAdjust2(w1, d1, w2, d2) {
  const id = { head: 44, tail: 65, meta: 54 };
  return ['r6 = r1', `r2 = ${d1}`, `call ${id[w1]}`, 'r1 = r6', `r2 = ${d2}`, `call ${id[w2]}`, 'exit'].join('\n');
}

/** Returns a constant. */
export const ret = (v) => `r0 = ${v}\nexit`;

/** raw_tp: r0 = args[0] + args[1]. */
export const rawTpSum = ['r2 = *(u64 *)(r1 +0)', 'r3 = *(u64 *)(r1 +8)', 'r0 = r2', 'r0 += r3', 'exit'].join('\n');
/** raw_tp: r0 = bpf_get_smp_processor_id(). */
export const rawTpCpu = ['call 8', 'exit'].join('\n');

/** syscall: ctx[0] += 1, r0 = ctx[1] (u32s). */
export const syscallEcho = ['r2 = *(u32 *)(r1 +0)', 'r2 += 1', '*(u32 *)(r1 +0) = r2', 'r0 = *(u32 *)(r1 +4)', 'exit'].join('\n');

/** flow dissector: keys->sport = 0x1234, nhoff = 1000 (clamped), thoff = 2; r0 = data_end - data (as an Ethernet frame's length) | n_proto << 16. */
export const flowEcho = [
  'r2 = *(u64 *)(r1 +144)',
  'r3 = 0x1234', '*(u16 *)(r2 +12) = r3',
  'r3 = 1000', '*(u16 *)(r2 +0) = r3',
  'r3 = 2', '*(u16 *)(r2 +2) = r3',
  'r4 = *(u32 *)(r1 +76)', 'r5 = *(u32 *)(r1 +80)', 'r5 -= r4',
  'r3 = *(u16 *)(r2 +10)', 'r3 <<= 16', 'r0 = r5', 'r0 |= r3',
  'exit',
].join('\n');

/** sk_lookup: SK_PASS when local_port is 80, else SK_DROP. */
export const skLookupPort80 = ['r2 = *(u32 *)(r1 +60)', 'r0 = 0', 'if r2 != 80 goto +1', 'r0 = 1', 'exit'].join('\n');

/** Stores `bytes` (a multiple of 8, little-endian u64 chunks) on the stack at r10-off.. and returns the assembly. */
export function stackBytes(bytes, off) {
  const out = [];
  for (let i = 0; i < bytes.length; i += 8) {
    let v = 0n;
    for (let j = 7; j >= 0; j--) v = (v << 8n) | BigInt(bytes[i + j] ?? 0);
    out.push(`r1 = 0x${v.toString(16)} ll`, `*(u64 *)(r10 ${i - off}) = r1`);
  }
  return out;
}

/** tc: r0 = bpf_csum_diff(from, fromSize, to, toSize, seed) with from/to on the stack. */
export function csumDiff(from, fromSize, to, toSize, seed) {
  const pad = (b) => [...b, ...new Array((8 - (b.length % 8)) % 8).fill(0)];
  const f = pad(from);
  const t = pad(to);
  const fOff = f.length + 0 || 8;
  const tOff = fOff + (t.length || 8);
  return [
    ...stackBytes(f, fOff),
    ...stackBytes(t, tOff),
    'r1 = r10', `r1 += -${fOff}`, `r2 = ${fromSize}`,
    'r3 = r10', `r3 += -${tOff}`, `r4 = ${toSize}`,
    `r5 = ${seed} ll`,
    'call 28',
    'exit',
  ].join('\n');
}

/** tc: r0 = bpf_l{3,4}_csum_replace(skb, offset, from, to, flags); the packet shows the new checksum. */
export function csumReplace(l4, offset, from, to, flags) {
  return [`r2 = ${offset}`, `r3 = ${from} ll`, `r4 = ${to} ll`, `r5 = ${flags}`, `call ${l4 ? 11 : 10}`, 'exit'].join('\n');
}

/** tc: r0 = bpf_skb_store_bytes(skb, offset, "\xde\xad\xbe\xef"…, len, flags). */
export function skbStoreBytes(offset, len, flags) {
  return [
    'r6 = r1', 'r1 = 0xefbeaddeefbeadde ll', '*(u64 *)(r10 -8) = r1', '*(u64 *)(r10 -16) = r1',
    'r1 = r6', `r2 = ${offset}`, 'r3 = r10', 'r3 += -16', `r4 = ${len}`, `r5 = ${flags}`, 'call 9', 'exit',
  ].join('\n');
}

/** tc: r0 = bpf_skb_load_bytes(skb, offset, buf, len); on success also the buffer's first u32 goes to cb[0]. */
export function skbLoadBytes(offset, len) {
  return [
    'r6 = r1', 'r1 = r6', `r2 = ${offset}`, 'r3 = r10', 'r3 += -16', `r4 = ${len}`, 'call 26',
    'r2 = *(u32 *)(r10 -16)', '*(u32 *)(r6 +48) = r2', 'exit',
  ].join('\n');
}

/** tc: strtol/strtoul of `text` (stack, `len` bytes, base flags); r0 = the result; the value's low/high words go to cb[0]/cb[1]. */
export function strtox(signed, text, len, flags) {
  const bytes = [...new TextEncoder().encode(text)];
  while (bytes.length % 8 !== 0 || bytes.length < 8) bytes.push(0);
  const off = bytes.length + 8;
  return [
    'r6 = r1',
    'r1 = 0', '*(u64 *)(r10 -8) = r1',
    ...stackBytes(bytes, off),
    'r1 = r10', `r1 += -${off}`, `r2 = ${len}`, `r3 = ${flags}`, 'r4 = r10', 'r4 += -8',
    `call ${signed ? 105 : 106}`,
    'r2 = *(u32 *)(r10 -8)', '*(u32 *)(r6 +48) = r2',
    'r2 = *(u32 *)(r10 -4)', '*(u32 *)(r6 +52) = r2',
    'exit',
  ].join('\n');
}

/** XDP: r0 = bpf_loop(nr, cb, 0, flags); the callback stops at `stopAt` (returns 1), else continues. */
export function bpfLoop(nr, flags, stopAt) {
  // Raw ld_imm64 with src_reg BPF_PSEUDO_FUNC (4): imm = offset to the callback from the next insn.
  return {
    text: [
      `r1 = ${nr} ll`,
      'r2 = 0 ll', // becomes the callback (BPF_PSEUDO_FUNC)
      'r3 = 0', `r4 = ${flags}`, 'call 181', 'exit',
      // callback(i, ctx): return i == stopAt
      'r0 = 0', `if r1 != ${stopAt} goto +1`, 'r0 = 1', 'exit',
    ].join('\n'),
    // ld_imm64 at slot 2 (after the 2-slot r1 ll), callback at slot 8: imm = 8 - 2 - 1 = 5
    patches: [{ insn: 2, src: 4, imm: 5 }],
  };
}

/** tc: bpf_snprintf(out, outSize, fmt (map value), data (stack u64s), 8*args) then copies out[0..16) to cb[0..4); r0 = the result. */
export function snprintf(args, outSize) {
  const data = [];
  for (const a of args) {
    const v = BigInt.asUintN(64, BigInt(a));
    for (let j = 0; j < 8; j++) data.push(Number((v >> BigInt(8 * j)) & 0xffn));
  }
  const dataOff = 64 + data.length;
  return {
    text: [
      'r6 = r1',
      'r1 = 0', '*(u64 *)(r10 -64) = r1', '*(u64 *)(r10 -56) = r1', '*(u64 *)(r10 -48) = r1', '*(u64 *)(r10 -40) = r1',
      '*(u64 *)(r10 -32) = r1', '*(u64 *)(r10 -24) = r1', '*(u64 *)(r10 -16) = r1', '*(u64 *)(r10 -8) = r1',
      ...(data.length > 0 ? stackBytes(data, dataOff) : []),
      'r1 = r10', 'r1 += -64', `r2 = ${outSize}`,
      'r3 = 0 ll', // becomes the format string's map value (BPF_PSEUDO_MAP_VALUE)
      data.length > 0 ? 'r4 = r10' : 'r4 = 0', ...(data.length > 0 ? [`r4 += -${dataOff}`] : []), `r5 = ${data.length}`,
      'call 165',
      'r2 = *(u32 *)(r10 -64)', '*(u32 *)(r6 +48) = r2',
      'r2 = *(u32 *)(r10 -60)', '*(u32 *)(r6 +52) = r2',
      'r2 = *(u32 *)(r10 -56)', '*(u32 *)(r6 +56) = r2',
      'r2 = *(u32 *)(r10 -52)', '*(u32 *)(r6 +60) = r2',
      'r2 = *(u32 *)(r10 -48)', '*(u32 *)(r6 +64) = r2',
      'exit',
    ].join('\n'),
  };
}

/** `r<reg> = map #idx` (BPF_PSEUDO_MAP_FD once patched): a marker immediate the recorder and the replay both find. */
export const mapRef = (reg, idx) => `r${reg} = 0x${(0x7fff0000 + idx).toString(16)} ll`;
/** Stores r0 (low word) into cb[i]. */
const toCb = (i) => `*(u32 *)(r6 +${48 + 4 * i}) = r0`;
const key = (v) => [`r1 = ${v}`, '*(u32 *)(r10 -4) = r1'];
const val = (v) => [`r1 = ${v} ll`, '*(u64 *)(r10 -16) = r1'];
const keyArgs = ['r2 = r10', 'r2 += -4'];
const update = (flags) => [mapRef(1, 0), ...keyArgs, 'r3 = r10', 'r3 += -16', `r4 = ${flags}`, 'call 2'];
const lookupLow = (i) => [mapRef(1, 0), ...keyArgs, 'call 1', 'if r0 == 0 goto +1', 'r0 = *(u32 *)(r0 +0)', toCb(i)];

/** tc on an array map (4 × u64): cb0 = update, cb1 = lookup value, cb2 = delete (-EINVAL), cb3 = update key 9 (-E2BIG), cb4 = update NOEXIST (-EEXIST). */
export const arrayOps = [
  'r6 = r1', ...key(1), ...val('0x1122334455667788'),
  ...update(0), toCb(0), ...lookupLow(1),
  mapRef(1, 0), ...keyArgs, 'call 3', toCb(2),
  ...key(9), ...update(0), toCb(3),
  ...key(1), ...update(1), toCb(4),
  'r0 = 0', 'exit',
].join('\n');

/** tc on a hash map: cb0 = update NOEXIST, cb1 = again (-EEXIST), cb2 = update EXIST of a missing key (-ENOENT), cb3 = delete missing (-ENOENT), cb4 = lookup. */
export const hashOps = [
  'r6 = r1', ...key(5), ...val('0xabcdef'),
  ...update(1), toCb(0), ...update(1), toCb(1),
  ...key(6), ...update(2), toCb(2),
  ...key(7), mapRef(1, 0), ...keyArgs, 'call 3', toCb(3),
  ...key(5), ...lookupLow(4),
  'r0 = 0', 'exit',
].join('\n');

/** tc on a queue or stack of 2 u32s: pushes 10, 20, 30 (cb0 = third push), 40 with BPF_EXIST; peek (cb1), pop, pop (cb2, cb3), pop of empty (cb4). */
export const queueOps = [
  'r6 = r1',
  ...[10, 20, 30].flatMap((v) => [`r1 = ${v}`, '*(u32 *)(r10 -8) = r1', mapRef(1, 0), 'r2 = r10', 'r2 += -8', 'r3 = 0', 'call 87']), toCb(0),
  'r1 = 40', '*(u32 *)(r10 -8) = r1', mapRef(1, 0), 'r2 = r10', 'r2 += -8', 'r3 = 2', 'call 87',
  mapRef(1, 0), 'r2 = r10', 'r2 += -8', 'call 89', 'r0 = *(u32 *)(r10 -8)', toCb(1),
  mapRef(1, 0), 'r2 = r10', 'r2 += -8', 'call 88', 'r0 = *(u32 *)(r10 -8)', toCb(2),
  mapRef(1, 0), 'r2 = r10', 'r2 += -8', 'call 88', 'r0 = *(u32 *)(r10 -8)', toCb(3),
  mapRef(1, 0), 'r2 = r10', 'r2 += -8', 'call 88', toCb(4),
  'r0 = 0', 'exit',
].join('\n');

/** tc on a ringbuf (4096): cb0 = output of 8 bytes, cb1 = AVAIL_DATA, cb2 = reserve+submit then PROD_POS, cb3 = RING_SIZE, cb4 = CONS_POS. */
export const ringbufOps = [
  'r6 = r1', ...val('0x55'),
  mapRef(1, 0), 'r2 = r10', 'r2 += -16', 'r3 = 8', 'r4 = 0', 'call 130', toCb(0),
  mapRef(1, 0), 'r2 = 0', 'call 134', toCb(1),
  mapRef(1, 0), 'r2 = 16', 'r3 = 0', 'call 131', 'if r0 == 0 goto +3', 'r1 = r0', 'r2 = 0', 'call 132',
  mapRef(1, 0), 'r2 = 3', 'call 134', toCb(2),
  mapRef(1, 0), 'r2 = 1', 'call 134', toCb(3),
  mapRef(1, 0), 'r2 = 2', 'call 134', toCb(4),
  'r0 = 0', 'exit',
].join('\n');

/** tc on an empty perf event array (4 slots): cb0 = current CPU (-ENOENT), cb1 = index 9 (-E2BIG), cb2 = a flag above the ctx length (-EINVAL), cb3 = index 2 with 4 packet bytes. */
export const perfOps = [
  'r6 = r1', ...val('0x55'),
  ...[['0xffffffff ll', 0], ['9 ll', 1], ['0x10000000000000 ll', 2], ['0x400000002 ll', 3]].flatMap(([flags, i]) => [
    'r1 = r6', mapRef(2, 0), `r3 = ${flags}`, 'r4 = r10', 'r4 += -16', 'r5 = 8', 'call 25', toCb(i),
  ]),
  'r0 = 0', 'exit',
].join('\n');

/** XDP: for_each_map_elem over an array of 4 u64 (values 1..4 set first) summing into the stack; stops after index 2; r0 = calls << 8 | sum. */
export const forEachOps = {
  text: [
    ...[1, 2, 3, 4].flatMap((v, i) => [...key(i), ...val(v), ...update(0)]),
    'r1 = 0', '*(u64 *)(r10 -24) = r1',
    mapRef(1, 0), 'r2 = 0 ll', 'r3 = r10', 'r3 += -24', 'r4 = 0', 'call 164',
    'r0 <<= 8', 'r1 = *(u64 *)(r10 -24)', 'r0 += r1', 'exit',
    // callback(map, key, value, ctx)
    'r5 = *(u64 *)(r3 +0)', 'r1 = *(u64 *)(r4 +0)', 'r1 += r5', '*(u64 *)(r4 +0) = r1',
    'r0 = 0', 'r2 = *(u32 *)(r2 +0)', 'if r2 != 2 goto +1', 'r0 = 1', 'exit',
  ].join('\n'),
};

/** `call <kfunc #idx>` (BPF_PSEUDO_KFUNC_CALL once patched): a marker helper id the recorder and the replay both find. */
export const kfuncRef = (idx) => `call ${0x7ffe0000 + idx}`;

/** XDP: sums the values of bpf_iter_num(start, end); r0 = new's result << 16 | sum (kfuncs: new, next, destroy). */
export function iterNumSum(start, end) {
  return {
    text: [
      'r1 = r10', 'r1 += -8', `r2 = ${start}`, `r3 = ${end}`, kfuncRef(0), 'r7 = r0',
      'r6 = 0',
      'r1 = r10', 'r1 += -8', kfuncRef(1),
      'if r0 == 0 goto +3',
      'r1 = *(u32 *)(r0 +0)', 'r6 += r1',
      'goto -7',
      'r1 = r10', 'r1 += -8', kfuncRef(2),
      'r7 <<= 16', 'r0 = r6', 'r0 &= 0xffff', 'r0 |= r7', 'exit',
    ].join('\n'),
    kfuncs: ['bpf_iter_num_new', 'bpf_iter_num_next', 'bpf_iter_num_destroy'],
  };
}

/** raw_tp: r0 = bpf_probe_read_<which>(stack buf, size, addr) where addr is a constant or the stack itself; cb-like results in the return value's high half: the first byte read. */
export function probeRead(which, size, addr) {
  const id = { kernel: 113, user: 112, kernel_str: 115, user_str: 114 }[which];
  return [
    'r1 = 0x0041424344454647 ll', '*(u64 *)(r10 -16) = r1', 'r1 = 0x7777777777777777 ll', '*(u64 *)(r10 -8) = r1',
    'r1 = r10', 'r1 += -8', `r2 = ${size}`,
    addr === 'stack' ? 'r3 = r10' : `r3 = ${addr} ll`, ...(addr === 'stack' ? ['r3 += -16'] : []),
    `call ${id}`,
    'r1 = *(u8 *)(r10 -8)', 'r1 <<= 32', 'r0 &= 0xffffffff', 'r0 |= r1',
    // retval is 32 bits: fold the byte into bits 24..31 and keep the result's low 24 bits.
    'r1 = r0', 'r1 >>= 8', 'r1 &= 0xff000000', 'r0 &= 0xffffff', 'r0 |= r1',
    'exit',
  ].join('\n');
}

/** XDP: r0 = bpf_xdp_get_buff_len(ctx). */
export const xdpBuffLen = 'call 188\nexit';

/** XDP: bpf_xdp_load_bytes(ctx, off, stack, len); r0 = the error, or the first 4 bytes read. */
export const xdpLoadBytes = (off, len) => [
  'r2 = 0', '*(u64 *)(r10 -8) = r2', '*(u64 *)(r10 -16) = r2',
  `r2 = ${off}`, 'r3 = r10', 'r3 += -16', `r4 = ${len}`, 'call 189',
  'if r0 != 0 goto +1', 'r0 = *(u32 *)(r10 -16)', 'exit',
].join('\n');

/** XDP: r0 = bpf_xdp_store_bytes(ctx, off, "\xde\xad\xbe\xef"…, len). */
export const xdpStoreBytes = (off, len) => [
  'r2 = 0xefbeaddeefbeadde ll', '*(u64 *)(r10 -8) = r2', '*(u64 *)(r10 -16) = r2',
  `r2 = ${off}`, 'r3 = r10', 'r3 += -16', `r4 = ${len}`, 'call 190', 'exit',
].join('\n');

/** tc: r0 = helper(skb, arg) for one-argument skb helpers (pull_data 39, csum_update 40, csum_level 135, set_hash_invalid 41). */
export const skbCall = (id, arg) => [`r2 = ${arg} ll`, `call ${id}`, 'exit'].join('\n');

/** tc: csum_level inc, then r0 = query. */
export const csumLevelIncQuery = ['r6 = r1', 'r2 = 1', 'call 135', 'r1 = r6', 'r2 = 0', 'call 135', 'exit'].join('\n');
/** tc: csum_level inc, dec, dec, then r0 = query. */
export const csumLevelIncDecQuery = ['r6 = r1', 'r2 = 1', 'call 135', 'r1 = r6', 'r2 = 2', 'call 135', 'r1 = r6', 'r2 = 0', 'call 135', 'exit'].join('\n');

/** skb: bpf_skb_load_bytes_relative(ctx, off, stack, len, header); r0 = the error, or the first 4 bytes read. */
export const skbLoadBytesRelative = (off, len, header) => [
  'r2 = 0', '*(u64 *)(r10 -8) = r2', '*(u64 *)(r10 -16) = r2',
  `r2 = ${off}`, 'r3 = r10', 'r3 += -16', `r4 = ${len}`, `r5 = ${header}`, 'call 68',
  'if r0 != 0 goto +1', 'r0 = *(u32 *)(r10 -16)', 'exit',
].join('\n');

/** skb: r0 = 0 without skb->sk, else 1 << 31 | family; cb[0..3] = src_ip4, dst_ip4, src_port, dst_port (sock_common fields). */
export const skbSock = [
  'r6 = r1', 'r7 = *(u64 *)(r6 +168)', 'r0 = 0', 'if r7 == 0 goto out',
  'r0 = *(u32 *)(r7 +4)', 'r1 = 1', 'r1 <<= 31', 'r0 |= r1',
  'r1 = *(u32 *)(r7 +24)', '*(u32 *)(r6 +48) = r1',
  'r1 = *(u32 *)(r7 +52)', '*(u32 *)(r6 +52) = r1',
  'r1 = *(u32 *)(r7 +44)', '*(u32 *)(r6 +56) = r1',
  'r1 = *(u32 *)(r7 +48)', '*(u32 *)(r6 +60) = r1',
  'out:',
  'exit',
].join('\n');

/** XDP: from_xdp(flags); r0 = its error, else bpf_dynptr_size | is_rdonly << 24 (kfuncs: from_xdp, size, is_rdonly). */
export const xdpDynptrSize = (flags) => ({
  text: [
    `r2 = ${flags}`, 'r3 = r10', 'r3 += -16', kfuncRef(0), 'r7 = r0',
    'r1 = r10', 'r1 += -16', kfuncRef(1), 'r6 = r0',
    'r1 = r10', 'r1 += -16', kfuncRef(2), 'r0 <<= 24', 'r0 |= r6',
    'if r7 == 0 goto +1', 'r0 = r7', 'exit',
  ].join('\n'),
  kfuncs: ['bpf_dynptr_from_xdp', 'bpf_dynptr_size', 'bpf_dynptr_is_rdonly'],
});

/** skb: from_skb, then bpf_dynptr_read(stack, len, dynptr, off, 0); r0 = its error or the first 4 bytes read. */
export const skbDynptrRead = (off, len) => ({
  text: [
    'r6 = r1', 'r1 = 0', '*(u64 *)(r10 -40) = r1', '*(u64 *)(r10 -32) = r1',
    'r1 = r6', 'r2 = 0', 'r3 = r10', 'r3 += -16', kfuncRef(0),
    'r1 = r10', 'r1 += -40', `r2 = ${len}`, 'r3 = r10', 'r3 += -16', `r4 = ${off}`, 'r5 = 0', 'call 201',
    'if r0 != 0 goto +1', 'r0 = *(u32 *)(r10 -40)', 'exit',
  ].join('\n'),
  kfuncs: ['bpf_dynptr_from_skb'],
});

/** skb: from_skb, then r0 = bpf_dynptr_write(dynptr, off, "\xde\xad\xbe\xef…", len, flags). */
export const skbDynptrWrite = (off, len, flags) => ({
  text: [
    'r6 = r1', 'r1 = 0xefbeaddeefbeadde ll', '*(u64 *)(r10 -40) = r1', '*(u64 *)(r10 -32) = r1',
    'r1 = r6', 'r2 = 0', 'r3 = r10', 'r3 += -16', kfuncRef(0),
    'r1 = r10', 'r1 += -16', `r2 = ${off}`, 'r3 = r10', 'r3 += -40', `r4 = ${len}`, `r5 = ${flags}`, 'call 202',
    'exit',
  ].join('\n'),
  kfuncs: ['bpf_dynptr_from_skb'],
});

/** XDP: from_xdp, then bpf_dynptr_slice(dynptr, off, buffer or NULL, 4); r0 = 0xffff for NULL, else 0x100 | the first byte. */
export const xdpDynptrSlice = (off, withBuffer) => ({
  text: [
    'r6 = r1', 'r1 = 0x11223344 ll', '*(u64 *)(r10 -40) = r1',
    'r1 = r6', 'r2 = 0', 'r3 = r10', 'r3 += -16', kfuncRef(0),
    'r1 = r10', 'r1 += -16', `r2 = ${off}`, ...(withBuffer ? ['r3 = r10', 'r3 += -40'] : ['r3 = 0']), 'r4 = 4', kfuncRef(1),
    'if r0 == 0 goto null', 'r0 = *(u8 *)(r0 +0)', 'r0 |= 0x100', 'exit',
    'null:', 'r0 = 0xffff', 'exit',
  ].join('\n'),
  kfuncs: ['bpf_dynptr_from_xdp', 'bpf_dynptr_slice'],
});

/** XDP: a local dynptr over a 16-byte array value: from_mem(size), adjust(start, end), write 4 bytes at 0; r0 = the errors' low bytes | size << 16. */
export const memDynptr = (size, start, end) => ({
  text: [
    'r1 = 0', '*(u32 *)(r10 -4) = r1', 'r1 = 0x55667788 ll', '*(u64 *)(r10 -56) = r1',
    mapRef(1, 0), 'r2 = r10', 'r2 += -4', 'call 1', 'if r0 != 0 goto +2', 'r0 = 0x7777', 'exit',
    'r1 = r0', `r2 = ${size}`, 'r3 = 0', 'r4 = r10', 'r4 += -24', 'call 197', 'r7 = r0', 'r7 &= 0xff',
    'r1 = r10', 'r1 += -24', `r2 = ${start}`, `r3 = ${end}`, kfuncRef(0), 'r0 &= 0xff', 'r0 <<= 8', 'r7 |= r0',
    'r1 = r10', 'r1 += -24', 'r2 = 0', 'r3 = r10', 'r3 += -56', 'r4 = 4', 'r5 = 0', 'call 202', 'r0 &= 0xff', 'r0 <<= 24', 'r7 |= r0',
    'r1 = r10', 'r1 += -24', kfuncRef(1), 'r0 &= 0xff', 'r0 <<= 16', 'r7 |= r0',
    'r0 = r7', 'exit',
  ].join('\n'),
  kfuncs: ['bpf_dynptr_adjust', 'bpf_dynptr_size'],
});

/** tc with a ringbuf: reserve_dynptr(size), write 8 bytes, submit_dynptr; r0 = reserve's result << 16 | AVAIL_DATA. */
export const ringbufDynptr = (size) => [
  'r1 = 0x1122334455667788 ll', '*(u64 *)(r10 -32) = r1',
  mapRef(1, 0), `r2 = ${size}`, 'r3 = 0', 'r4 = r10', 'r4 += -16', 'call 198', 'r7 = r0',
  'r1 = r10', 'r1 += -16', 'r2 = 0', 'r3 = r10', 'r3 += -32', 'r4 = 8', 'r5 = 0', 'call 202',
  'r1 = r10', 'r1 += -16', 'r2 = 0', 'call 199',
  mapRef(1, 0), 'r2 = 0', 'call 134', 'r7 &= 0xffff', 'r7 <<= 16', 'r0 |= r7', 'exit',
].join('\n');
