import { readFileSync } from 'node:fs';
import { BpfError } from '@bpfkit/kernel-api';
import { BPF_LOG_SIZE_MAX, BpfCmd, attrField, attrGroup } from '@bpfkit/uapi';
import type { LinuxUserMemory } from './memory.js';

/** A pointer the kernel writes through, and what bounds the write (a length field, or unknown). */
interface OutPointer {
  readonly ptr: string;
  /** Length field in bytes; `prog_cnt` counts u32 ids. Undefined: the size depends on the object (a map value). */
  readonly len?: string;
  readonly scale?: number;
  /** The kernel refuses a length above this before writing anything (log buffers: BPF_LOG_SIZE_MAX). */
  readonly refusedAbove?: number;
}

// The attr fields through which bpf() writes back into the caller's memory.
const OUT_POINTERS: ReadonlyMap<number, readonly OutPointer[]> = new Map<number, readonly OutPointer[]>([
  [BpfCmd.BPF_MAP_LOOKUP_ELEM, [{ ptr: 'value' }]],
  [BpfCmd.BPF_MAP_LOOKUP_AND_DELETE_ELEM, [{ ptr: 'value' }]],
  [BpfCmd.BPF_MAP_GET_NEXT_KEY, [{ ptr: 'next_key' }]],
  [BpfCmd.BPF_PROG_LOAD, [{ ptr: 'log_buf', len: 'log_size', refusedAbove: BPF_LOG_SIZE_MAX }]],
  [BpfCmd.BPF_BTF_LOAD, [{ ptr: 'btf_log_buf', len: 'btf_log_size', refusedAbove: BPF_LOG_SIZE_MAX }]],
  [BpfCmd.BPF_OBJ_GET_INFO_BY_FD, [{ ptr: 'info', len: 'info_len' }]],
  [BpfCmd.BPF_PROG_TEST_RUN, [{ ptr: 'data_out', len: 'data_size_out' }, { ptr: 'ctx_out', len: 'ctx_size_out' }]],
  [BpfCmd.BPF_PROG_QUERY, [{ ptr: 'prog_ids', len: 'prog_cnt', scale: 4 }]],
  [BpfCmd.BPF_TASK_FD_QUERY, [{ ptr: 'buf', len: 'buf_len' }]],
  [BpfCmd.BPF_MAP_LOOKUP_BATCH, [{ ptr: 'keys' }, { ptr: 'values' }, { ptr: 'out_batch' }]],
  [BpfCmd.BPF_MAP_LOOKUP_AND_DELETE_BATCH, [{ ptr: 'keys' }, { ptr: 'values' }, { ptr: 'out_batch' }]],
  [BpfCmd.BPF_PROG_STREAM_READ_BY_FD, [{ ptr: 'stream_buf', len: 'stream_buf_len' }]],
]);

/** A numeric attr field of `cmd` by name (0 when the attr is too short or the field unknown). */
export function readField(cmd: number, attr: Uint8Array, name: string): bigint {
  const group = attrGroup(cmd);
  const field = group === undefined ? undefined : attrField(group, name);
  if (field === undefined) return 0n;
  const width = field.type === 'u64' || field.type === 's64' ? 8 : 4;
  if (field.offset + width > attr.length) return 0n;
  const view = new DataView(attr.buffer, attr.byteOffset, attr.byteLength);
  return width === 8 ? view.getBigUint64(field.offset, true) : BigInt(view.getUint32(field.offset, true));
}

/** True when some byte of `[addr, addr + length)` lies in a mapping of this process (/proc/self/maps). */
function touchesMappedMemory(addr: bigint, length: bigint): boolean {
  const end = addr + length;
  for (const line of readFileSync('/proc/self/maps', 'utf8').split('\n')) {
    const m = /^([0-9a-f]+)-([0-9a-f]+) /.exec(line);
    if (m?.[1] === undefined || m[2] === undefined) continue;
    if (addr < BigInt(`0x${m[2]}`) && end > BigInt(`0x${m[1]}`)) return true;
  }
  return false;
}

/**
 * Refuses (EFAULT) an attr whose out-pointer would make the kernel write into
 * this process's memory outside the caller's allocations: in C that is the
 * caller's bug; here it would corrupt Node's heap. Unmapped addresses pass:
 * the kernel answers EFAULT (or an earlier errno) for them itself, so the
 * observable behaviour stays the kernel's.
 */
export function checkOutPointers(cmd: number, attr: Uint8Array, memory: LinuxUserMemory): void {
  for (const out of OUT_POINTERS.get(cmd) ?? []) {
    const addr = readField(cmd, attr, out.ptr);
    if (addr === 0n) continue;
    const length = out.len === undefined ? 1n : readField(cmd, attr, out.len) * BigInt(out.scale ?? 1);
    if (out.len !== undefined && length === 0n) continue; // nothing to write
    if (out.refusedAbove !== undefined && length > BigInt(out.refusedAbove)) continue;
    if (length <= 0x7fff_ffffn && memory.owner(addr, Number(length)) !== undefined) continue;
    if (touchesMappedMemory(addr, length)) {
      throw new BpfError('EFAULT', 'linux:unowned-pointer',
        `${out.ptr} 0x${addr.toString(16)} (${length} bytes) is not inside an allocation of syscall.memory`);
    }
  }
}
