import { decodeBtf, type Btf } from '@bpfkit/btf';
import { BpfError, isBpfError } from '@bpfkit/kernel-api';
import { bpfBtfGetFdById, bpfBtfGetNextId } from '../commands/obj.js';
import { bpfBtfGetInfoByFd } from '../commands/info.js';
import type { LibbpfHost } from '../host.js';

/**
 * The running kernel's vmlinux BTF, found through `bpf()` alone: BTF ids in order,
 * the first kernel BTF named `vmlinux`, its raw bytes decoded. Works the same on the
 * simulated kernel and on Linux.
 *
 * @example
 * const vmlinux = findVmlinuxBtf(task); // Btf with task_struct, …
 */
export function findVmlinuxBtf(host: LibbpfHost, tokenFd?: number): Btf {
  for (let id = bpfBtfGetNextId(host, 0); id !== null; id = bpfBtfGetNextId(host, id)) {
    let fd: number;
    try {
      fd = bpfBtfGetFdById(host, id, tokenFd);
    } catch (e) {
      if (isBpfError(e, 'ENOENT')) continue;
      throw e;
    }
    try {
      const info = bpfBtfGetInfoByFd(host, fd);
      if (!info.kernelBtf || info.name !== 'vmlinux') continue;
      const data = bpfBtfGetInfoByFd(host, fd, true).data;
      if (data === undefined || data.length === 0) {
        throw new BpfError('ESRCH', 'libbpf:no-vmlinux-btf', `kernel BTF 'vmlinux' (id ${String(id)}) gives no raw data through BPF_OBJ_GET_INFO_BY_FD; pass targetBtf`);
      }
      return decodeBtf(data);
    } finally {
      host.close(fd);
    }
  }
  throw new BpfError('ESRCH', 'libbpf:no-vmlinux-btf', 'failed to find the kernel\'s vmlinux BTF through BPF_BTF_GET_NEXT_ID');
}
