import {
  BpfError, PERF_ATTR_SIZE, PERF_ATTR_SIZE_VER0, PERF_FORMAT_MAX, PERF_SAMPLE_MAX, PerfAttrFlag as F, PerfAttrOffset as O,
} from '@bpfkit/kernel-api';
import { PAGE_SIZE } from './ring.js';

/** `PERF_SAMPLE_WEIGHT` and `PERF_SAMPLE_WEIGHT_STRUCT`, which exclude each other. */
const PERF_SAMPLE_WEIGHT = 1n << 14n;
const PERF_SAMPLE_WEIGHT_STRUCT = 1n << 24n;
/** Sample fields whose companion attr fields `perf_copy_attr` validates. */
const PERF_SAMPLE_BRANCH_STACK = 1n << 11n;
const PERF_SAMPLE_REGS_USER = 1n << 12n;
const PERF_SAMPLE_STACK_USER = 1n << 13n;
const PERF_SAMPLE_REGS_INTR = 1n << 18n;
/** `PERF_SAMPLE_BRANCH_MAX` on 6.18 and the privilege-level bits (`PERF_SAMPLE_BRANCH_PLM_ALL`). */
const PERF_SAMPLE_BRANCH_MAX = 1n << 20n;
const PERF_SAMPLE_BRANCH_PLM_ALL = 7n;
/** `perf_event_attr.enable_on_exec`. */
const ENABLE_ON_EXEC = 1n << 12n;

/** The `perf_event_attr` fields the simulated kernel acts on, as `perf_copy_attr` left them. */
export interface PerfAttr {
  readonly type: number;
  readonly size: number;
  readonly config: bigint;
  /** `config1` (a kprobe's `kprobe_func` or a uprobe's `uprobe_path` pointer) and `config2` (their `probe_offset`, or `kprobe_addr`). */
  readonly config1: bigint;
  readonly config2: bigint;
  readonly samplePeriod: bigint;
  readonly sampleType: bigint;
  readonly readFormat: bigint;
  readonly flags: bigint;
  /** `aux_action`: aux_start_paused (bit 0), aux_pause (1), aux_resume (2). */
  readonly auxAction: number;
  readonly has: (flag: bigint) => boolean;
}

/** `perf_copy_attr`'s E2BIG, after it wrote its own `sizeof(struct perf_event_attr)` into the caller's `size`. */
function tooBig(bytes: Uint8Array, message: string): BpfError {
  new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).setUint32(O.size, PERF_ATTR_SIZE, true);
  return new BpfError('E2BIG', 'perf:attr-size', message);
}

/**
 * `perf_copy_attr`: the size rules (0 means `PERF_ATTR_SIZE_VER0`; below it
 * or above a page, or a longer struct with non-zero bytes past the kernel's,
 * is E2BIG with the kernel's size written back), reading past the caller's
 * bytes is EFAULT, then the reserved fields, the sample fields' companions
 * (branch and register masks, user stack size) and the flag combinations (EINVAL).
 */
export function copyPerfAttr(bytes: Uint8Array): PerfAttr {
  if (bytes.length < O.size + 4) throw new BpfError('EFAULT', 'perf:attr-fault', `perf_event_attr: ${bytes.length} bytes do not reach the size field`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let size = view.getUint32(O.size, true);
  if (size === 0) size = PERF_ATTR_SIZE_VER0;
  if (size < PERF_ATTR_SIZE_VER0 || size > PAGE_SIZE) throw tooBig(bytes, `perf_event_attr size ${size} is not in ${PERF_ATTR_SIZE_VER0}..${PAGE_SIZE}`);
  if (bytes.length < size) throw new BpfError('EFAULT', 'perf:attr-fault', `perf_event_attr size ${size} reaches past the ${bytes.length} bytes given`);
  if (size > PERF_ATTR_SIZE && bytes.subarray(PERF_ATTR_SIZE, size).some((b) => b !== 0)) {
    throw tooBig(bytes, `perf_event_attr: bytes past the kernel's ${PERF_ATTR_SIZE} are not zero`);
  }
  // A short struct reads as zero past its size.
  const own = new Uint8Array(PERF_ATTR_SIZE);
  own.set(bytes.subarray(0, Math.min(size, PERF_ATTR_SIZE)));
  const v = new DataView(own.buffer);
  const u64 = (off: number): bigint => v.getBigUint64(off, true);
  const flags = u64(O.flags);
  const has = (flag: bigint): boolean => (flags & flag) !== 0n;
  const attr: PerfAttr = {
    type: v.getUint32(O.type, true), size, config: u64(O.config), config1: u64(O.config1), config2: u64(O.config2), samplePeriod: u64(O.samplePeriod),
    sampleType: u64(O.sampleType), readFormat: u64(O.readFormat), flags, auxAction: v.getUint32(O.auxAction, true), has,
  };
  const invalid = (reason: `perf:${string}`, message: string): BpfError => new BpfError('EINVAL', reason, message);
  if ((flags & F.reserved1) !== 0n || v.getUint16(O.reserved2, true) !== 0 || (v.getUint32(O.auxAction, true) >>> 3) !== 0) {
    throw invalid('perf:attr-reserved', 'perf_event_attr: a reserved field is not zero');
  }
  if (attr.sampleType >= BigInt(PERF_SAMPLE_MAX)) throw invalid('perf:sample-type', `sample_type 0x${attr.sampleType.toString(16)} has unknown bits`);
  if (attr.readFormat >= BigInt(PERF_FORMAT_MAX)) throw invalid('perf:read-format', `read_format 0x${attr.readFormat.toString(16)} has unknown bits`);
  const sample = (bit: bigint): boolean => (attr.sampleType & bit) !== 0n;
  if (sample(PERF_SAMPLE_BRANCH_STACK)) {
    const mask = u64(O.branchSampleType);
    if (mask >= PERF_SAMPLE_BRANCH_MAX || (mask & ~PERF_SAMPLE_BRANCH_PLM_ALL) === 0n) {
      throw invalid('perf:branch-sample-type', `branch_sample_type 0x${mask.toString(16)} asks for no branch type or unknown bits`);
    }
  }
  if (sample(PERF_SAMPLE_REGS_USER) && u64(O.sampleRegsUser) === 0n) throw invalid('perf:sample-regs-user', 'PERF_SAMPLE_REGS_USER with no registers');
  if (sample(PERF_SAMPLE_STACK_USER)) {
    const size = v.getUint32(O.sampleStackUser, true);
    if (size >= 0xffff || size % 8 !== 0) throw invalid('perf:sample-stack-user', `sample_stack_user ${size} is not below 65535 and 8-byte aligned`);
  }
  if (sample(PERF_SAMPLE_REGS_INTR) && u64(O.sampleRegsIntr) === 0n) throw invalid('perf:sample-regs-intr', 'PERF_SAMPLE_REGS_INTR with no registers');
  if ((attr.sampleType & PERF_SAMPLE_WEIGHT) !== 0n && (attr.sampleType & PERF_SAMPLE_WEIGHT_STRUCT) !== 0n) {
    throw invalid('perf:sample-weight', 'PERF_SAMPLE_WEIGHT and PERF_SAMPLE_WEIGHT_STRUCT exclude each other');
  }
  if (!has(F.inherit) && has(F.inheritThread)) throw invalid('perf:inherit-thread', 'inherit_thread needs inherit');
  if (has(F.removeOnExec) && has(ENABLE_ON_EXEC)) throw invalid('perf:remove-on-exec', 'remove_on_exec and enable_on_exec exclude each other');
  if (has(F.sigtrap) && !has(F.removeOnExec)) throw invalid('perf:sigtrap', 'sigtrap needs remove_on_exec');
  return attr;
}
