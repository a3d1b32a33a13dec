import { BpfError } from '@bpfkit/kernel-api';
import { putAttrU32 } from '../../bpf/check.js';
import type { SyscallContext } from '../../task/syscall-context.js';

const PAGE_SIZE = 4096;

/**
 * `bpf_check_uarg_tail_zero` on an info buffer: more than a page is E2BIG; a
 * buffer longer than the kernel's struct must be zero past it (E2BIG, EFAULT
 * when unreadable). Returns `min(sizeof(struct), info_len)`.
 */
export function infoTailZero(task: SyscallContext, uinfo: bigint, size: number, infoLen: number): number {
  if (infoLen > PAGE_SIZE) throw new BpfError('E2BIG', 'info:too-long', `info_len ${infoLen} is more than a page`);
  if (infoLen <= size) return infoLen;
  const tail = task.memory.read(uinfo + BigInt(size), infoLen - size);
  const at = tail.findIndex((b) => b !== 0);
  if (at >= 0) throw new BpfError('E2BIG', 'info:tail-not-zero', `info byte ${size + at} is past this kernel's struct (${size} bytes) and not zero`);
  return size;
}

/** The caller's first `len` bytes of the info struct (the kernel reads its in-fields from them). */
export function readUserInfo(task: SyscallContext, uinfo: bigint, len: number): Uint8Array {
  return task.memory.read(uinfo, len);
}

/** Copies the filled struct back (`len` bytes) and writes `info_len` into the attr. */
export function finishInfo(task: SyscallContext, uattr: Uint8Array, uinfo: bigint, bytes: Uint8Array, len: number): void {
  task.memory.write(uinfo, bytes.subarray(0, len));
  putAttrU32(uattr, 'info', 'info_len', len);
}

/** The object name as the 16-byte, NUL-padded array of the info structs. */
export function nameBytes(name: string): Uint8Array {
  const out = new Uint8Array(16);
  for (let i = 0; i < Math.min(15, name.length); i++) out[i] = name.charCodeAt(i) & 0xff;
  return out;
}
