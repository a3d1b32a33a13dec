import type { BpfSyscall } from '@bpfkit/kernel-api';
import { BpfCmd, BpfLinkType, encodeInfoAttr } from '@bpfkit/uapi';
import { cStringOf, withScratch, type Scratch } from './scratch.js';

/**
 * The `perf_event` part of a BPF_PERF_EVENT link's info, by `enum bpf_perf_event_type`:
 * the probe's or tracepoint's name (`name`), where it is, and the link's cookie.
 */
export type PerfEventLinkInfo =
  | { readonly kind: 'uprobe' | 'uretprobe'; readonly name: string; readonly offset: number; readonly cookie: bigint; readonly refCtrOffset: bigint }
  | { readonly kind: 'kprobe' | 'kretprobe'; readonly name: string; readonly offset: number; readonly addr: bigint; readonly missed: bigint; readonly cookie: bigint }
  | { readonly kind: 'tracepoint'; readonly name: string; readonly cookie: bigint }
  | { readonly kind: 'event'; readonly config: bigint; readonly eventType: number; readonly cookie: bigint }
  | { readonly kind: 'unspec'; readonly type: number };

/** `struct bpf_link_info`, decoded for the link types bpfkit's client knows. */
export interface LinkInfo {
  /** `enum bpf_link_type` (1 raw_tracepoint, 2 tracing, 4 iter, 7 perf_event, 8 kprobe_multi, 12 uprobe_multi…). */
  readonly type: number;
  readonly id: number;
  readonly progId: number;
  /** Raw tracepoint links: the tracepoint and the cookie. */
  readonly rawTracepoint?: { readonly tpName: string; readonly cookie: bigint };
  /** Tracing links (fentry, fexit, fmod_ret, lsm): the attach type and the BTF function it is attached to. */
  readonly tracing?: { readonly attachType: number; readonly targetObjId: number; readonly targetBtfId: number; readonly cookie: bigint };
  /** Perf event links (tracepoints, kprobes, uprobes through a perf event). */
  readonly perfEvent?: PerfEventLinkInfo;
  /** Multi-uprobe links: the binary's path, one offset, semaphore offset and cookie per probe, flags and the pid filter (0 for none). */
  readonly uprobeMulti?: {
    readonly path: string; readonly offsets: readonly bigint[]; readonly refCtrOffsets: readonly bigint[]; readonly cookies: readonly bigint[];
    readonly flags: number; readonly pid: number;
  };
  /** Multi-kprobe links: the addresses (0 without CAP_SYSLOG), cookies, flags and the missed count. */
  readonly kprobeMulti?: { readonly addrs: readonly bigint[]; readonly cookies: readonly bigint[]; readonly flags: number; readonly missed: bigint };
  /** Iterator links: the target (`bpf_map_elem`, `task`…); a map iterator's map id, a task iterator's tid and pid (0 when not given). */
  readonly iter?: { readonly targetName: string; readonly mapId: number; readonly tid: number; readonly pid: number };
}

const LINK_INFO_SIZE = 64;
/** Longer than any tracepoint name the kernel accepts (it reads at most 127 bytes). */
const TP_NAME_BUF = 128;
/** `PATH_MAX`: the longest probe path or name the kernel hands back. */
const NAME_BUF = 4096;
const PERF_KINDS = ['unspec', 'uprobe', 'uretprobe', 'kprobe', 'kretprobe', 'tracepoint', 'event'] as const;

type Call = (init: Uint8Array) => DataView;

function u64s(s: Scratch, addr: bigint, count: number): bigint[] {
  const bytes = s.read(addr, count * 8);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  return Array.from({ length: count }, (_, i) => v.getBigUint64(i * 8, true));
}

/** The `perf_event` part, asked again with a name buffer of {@link NAME_BUF} bytes. */
function perfEvent(s: Scratch, call: Call, first: DataView): PerfEventLinkInfo {
  const type = first.getUint32(16, true);
  const kind = PERF_KINDS[type] ?? 'unspec';
  if (kind === 'unspec') return { kind, type };
  if (kind === 'event') return { kind, config: first.getBigUint64(24, true), eventType: first.getUint32(32, true), cookie: first.getBigUint64(40, true) };
  const buf = s.alloc(NAME_BUF);
  const init = new Uint8Array(LINK_INFO_SIZE);
  const iv = new DataView(init.buffer);
  iv.setBigUint64(24, buf, true);
  iv.setUint32(32, NAME_BUF, true);
  const v = call(init);
  const name = cStringOf(s.read(buf, NAME_BUF));
  if (kind === 'tracepoint') return { kind, name, cookie: v.getBigUint64(40, true) };
  if (kind === 'uprobe' || kind === 'uretprobe') {
    return { kind, name, offset: v.getUint32(36, true), cookie: v.getBigUint64(40, true), refCtrOffset: v.getBigUint64(48, true) };
  }
  return { kind, name, offset: v.getUint32(36, true), addr: v.getBigUint64(40, true), missed: v.getBigUint64(48, true), cookie: v.getBigUint64(56, true) };
}

/** The `uprobe_multi` part: a first answer gives the count, a second fills the path and the arrays. */
function uprobeMulti(s: Scratch, call: Call, first: DataView): NonNullable<LinkInfo['uprobeMulti']> {
  const count = first.getUint32(52, true);
  const init = new Uint8Array(LINK_INFO_SIZE);
  const iv = new DataView(init.buffer);
  const path = s.alloc(NAME_BUF);
  const arrays = [24, 32, 40].map((at) => {
    const addr = count === 0 ? 0n : s.alloc(count * 8);
    iv.setBigUint64(at, addr, true);
    return addr;
  });
  iv.setBigUint64(16, path, true);
  iv.setUint32(48, NAME_BUF, true);
  iv.setUint32(52, count, true);
  const v = call(init);
  const [offsets = 0n, refCtr = 0n, cookies = 0n] = arrays;
  return {
    path: cStringOf(s.read(path, NAME_BUF)), offsets: u64s(s, offsets, count), refCtrOffsets: u64s(s, refCtr, count), cookies: u64s(s, cookies, count),
    flags: v.getUint32(56, true), pid: v.getUint32(60, true),
  };
}

/** The `kprobe_multi` part: a first answer gives the count, a second fills the addresses and cookies. */
function kprobeMulti(s: Scratch, call: Call, first: DataView): NonNullable<LinkInfo['kprobeMulti']> {
  const count = first.getUint32(24, true);
  const init = new Uint8Array(LINK_INFO_SIZE);
  const iv = new DataView(init.buffer);
  const addrs = count === 0 ? 0n : s.alloc(count * 8);
  const cookies = count === 0 ? 0n : s.alloc(count * 8);
  iv.setBigUint64(16, addrs, true);
  iv.setUint32(24, count, true);
  iv.setBigUint64(40, cookies, true);
  const v = call(init);
  return { addrs: u64s(s, addrs, count), cookies: u64s(s, cookies, count), flags: v.getUint32(28, true), missed: v.getBigUint64(32, true) };
}

/** The `iter` part, asked again with a buffer for the target's name. */
function iter(s: Scratch, call: Call): NonNullable<LinkInfo['iter']> {
  const buf = s.alloc(TP_NAME_BUF);
  const init = new Uint8Array(LINK_INFO_SIZE);
  const iv = new DataView(init.buffer);
  iv.setBigUint64(16, buf, true);
  iv.setUint32(24, TP_NAME_BUF, true);
  const v = call(init);
  const targetName = cStringOf(s.read(buf, TP_NAME_BUF));
  const task = targetName === 'task' || targetName === 'task_file' || targetName === 'task_vma';
  return { targetName, mapId: v.getUint32(28, true), tid: task ? v.getUint32(32, true) : 0, pid: task ? v.getUint32(36, true) : 0 };
}

/**
 * BPF_OBJ_GET_INFO_BY_FD on a link (libbpf `bpf_link_get_info_by_fd`), decoded. A first
 * call gives the type; names, paths and arrays are then copied out by a second one with
 * buffers (a raw tracepoint's name, a perf event's probe or tracepoint name, a
 * multi-probe's path, offsets and cookies, an iterator's target).
 *
 * @example
 * bpfLinkGetInfoByFd(sys, linkFd).perfEvent; // { kind: 'uprobe', name: '/usr/bin/bash', offset: 0x8c4d0, cookie: 0n, refCtrOffset: 0n }
 */
export function bpfLinkGetInfoByFd(sys: BpfSyscall, fd: number): LinkInfo {
  return withScratch(sys, (s) => {
    const call: Call = (bytes) => {
      const buf = s.alloc(bytes);
      sys.bpf(BpfCmd.BPF_OBJ_GET_INFO_BY_FD, encodeInfoAttr({ bpf_fd: fd, info_len: bytes.length, info: buf }));
      const out = s.read(buf, bytes.length);
      return new DataView(out.buffer, out.byteOffset, out.length);
    };
    const v = call(new Uint8Array(LINK_INFO_SIZE));
    const type = v.getUint32(0, true);
    const head = { type, id: v.getUint32(4, true), progId: v.getUint32(8, true) };
    switch (type) {
      case BpfLinkType.BPF_LINK_TYPE_RAW_TRACEPOINT: {
        const nameBuf = s.alloc(TP_NAME_BUF);
        const init = new Uint8Array(LINK_INFO_SIZE);
        const iv = new DataView(init.buffer);
        iv.setBigUint64(16, nameBuf, true);
        iv.setUint32(24, TP_NAME_BUF, true);
        const r = call(init);
        return { ...head, rawTracepoint: { tpName: cStringOf(s.read(nameBuf, TP_NAME_BUF)), cookie: r.getBigUint64(32, true) } };
      }
      case BpfLinkType.BPF_LINK_TYPE_TRACING:
        return {
          ...head,
          tracing: { attachType: v.getUint32(16, true), targetObjId: v.getUint32(20, true), targetBtfId: v.getUint32(24, true), cookie: v.getBigUint64(32, true) },
        };
      case BpfLinkType.BPF_LINK_TYPE_PERF_EVENT:
        return { ...head, perfEvent: perfEvent(s, call, v) };
      case BpfLinkType.BPF_LINK_TYPE_UPROBE_MULTI:
        return { ...head, uprobeMulti: uprobeMulti(s, call, v) };
      case BpfLinkType.BPF_LINK_TYPE_KPROBE_MULTI:
        return { ...head, kprobeMulti: kprobeMulti(s, call, v) };
      case BpfLinkType.BPF_LINK_TYPE_ITER:
        return { ...head, iter: iter(s, call) };
      default:
        return head;
    }
  });
}
