/**
 * `perf_event_open()` as far as BPF uses it: the `perf_event_attr` and
 * `perf_event_mmap_page` byte layouts (x86-64), the constants libbpf's perf
 * buffer passes, and the contract between a perf event and the perf event
 * array slot that holds it.
 */

/** `enum perf_type_id`: `PERF_TYPE_SOFTWARE`. */
export const PERF_TYPE_SOFTWARE = 1;
/** `enum perf_sw_ids`: `PERF_COUNT_SW_BPF_OUTPUT`, the event `bpf_perf_event_output` writes to. */
export const PERF_COUNT_SW_BPF_OUTPUT = 10;
/** `PERF_COUNT_SW_MAX` on 6.18 (the first software event id that does not exist). */
export const PERF_COUNT_SW_MAX = 12;
/** `PERF_SAMPLE_RAW`: the sample carries the raw bytes a program gave. */
export const PERF_SAMPLE_RAW = 1 << 10;
/** `PERF_SAMPLE_MAX` on 6.18: sample_type bits at or above it are EINVAL. */
export const PERF_SAMPLE_MAX = 2 ** 25;
/** `PERF_FORMAT_MAX` on 6.18. */
export const PERF_FORMAT_MAX = 1 << 5;
/** `perf_event_open()` flags. */
export const PERF_FLAG_FD_NO_GROUP = 1;
export const PERF_FLAG_FD_OUTPUT = 2;
export const PERF_FLAG_PID_CGROUP = 4;
export const PERF_FLAG_FD_CLOEXEC = 8;
/** `PERF_EVENT_IOC_ENABLE` / `PERF_EVENT_IOC_DISABLE` (`_IO('$', 0)`, `_IO('$', 1)`). */
export const PERF_EVENT_IOC_ENABLE = 0x2400;
export const PERF_EVENT_IOC_DISABLE = 0x2401;
/** `PERF_IOC_FLAG_GROUP`: apply an ioctl to the whole group. */
export const PERF_IOC_FLAG_GROUP = 1;
/** `PERF_ATTR_SIZE_VER0`: the smallest `attr.size` (0 means this size). */
export const PERF_ATTR_SIZE_VER0 = 64;
/** `sizeof(struct perf_event_attr)` on 6.18 (`PERF_ATTR_SIZE_VER8`). */
export const PERF_ATTR_SIZE = 136;

/** Byte offsets of the `perf_event_attr` fields bpfkit reads or writes. */
export const PerfAttrOffset = {
  type: 0,
  size: 4,
  config: 8,
  samplePeriod: 16,
  sampleType: 24,
  readFormat: 32,
  /** The u64 of bit fields: disabled (bit 0), inherit (1), … freq (10) … */
  flags: 40,
  wakeupEvents: 48,
  bpType: 52,
  config1: 56,
  config2: 64,
  branchSampleType: 72,
  sampleRegsUser: 80,
  sampleStackUser: 88,
  clockid: 92,
  sampleRegsIntr: 96,
  auxWatermark: 104,
  sampleMaxStack: 108,
  reserved2: 110,
  auxSampleSize: 112,
  auxAction: 116,
  sigData: 120,
  config3: 128,
} as const;

/** Bits of `perf_event_attr`'s flag word that bpfkit looks at. */
export const PerfAttrFlag = {
  disabled: 1n << 0n,
  inherit: 1n << 1n,
  pinned: 1n << 2n,
  exclusive: 1n << 3n,
  excludeKernel: 1n << 5n,
  freq: 1n << 10n,
  watermark: 1n << 14n,
  sampleIdAll: 1n << 18n,
  namespaces: 1n << 28n,
  auxOutput: 1n << 31n,
  inheritThread: 1n << 35n,
  removeOnExec: 1n << 36n,
  sigtrap: 1n << 37n,
  /** `__reserved_1`: bits 38 to 63 must be zero. */
  reserved1: ~((1n << 38n) - 1n) & 0xffff_ffff_ffff_ffffn,
} as const;

/** `struct perf_event_mmap_page`: the first page of a perf event mapping. */
export const PerfMmapPage = {
  version: 0,
  compatVersion: 4,
  capabilities: 40,
  /** `size`: bytes of the header before its reserved area (96). */
  size: 72,
  /** Where the producer has written up to (bytes, never wrapped). */
  dataHead: 1024,
  /** Where the consumer has read up to; user space writes it. */
  dataTail: 1032,
  /** Where the data ring starts in the mapping (one page in). */
  dataOffset: 1040,
  /** Bytes in the data ring (a power of two number of pages). */
  dataSize: 1048,
} as const;

/** `struct perf_event_header.type` values in a perf ring. */
export const PERF_RECORD_LOST = 2;
export const PERF_RECORD_SAMPLE = 9;
/** `PERF_RECORD_MISC_KERNEL`: a sample from kernel context, as every BPF output is. */
export const PERF_RECORD_MISC_KERNEL = 1;

/**
 * A perf event as a `BPF_MAP_TYPE_PERF_EVENT_ARRAY` slot sees it (the
 * `bpf_event_entry` the kernel made from the fd user space wrote): what
 * `bpf_perf_event_output` checks, then the write into its ring.
 *
 * @example
 * const ev = slot.target as PerfEventOutput;
 * if (!ev.bpfOutput) return -EINVAL;
 * if (ev.oncpu !== cpu) return -EOPNOTSUPP;
 * return ev.outputRaw(bytes.subarray(addr, addr + size)); // 0 or -ENOSPC
 */
export interface PerfEventOutput {
  /** `attr.type == PERF_TYPE_SOFTWARE && attr.config == PERF_COUNT_SW_BPF_OUTPUT`. */
  readonly bpfOutput: boolean;
  /** `event->oncpu`: the CPU the event is active on, or -1 while disabled. */
  readonly oncpu: number;
  /**
   * `perf_event_output()` of a `PERF_RECORD_SAMPLE` with `raw` as its raw
   * data: 0, or -ENOSPC when the event has no ring (never mmapped) or the
   * ring has no room (the record is counted lost).
   */
  outputRaw(raw: Uint8Array): number;
}
