import { BpfError } from '@bpfkit/kernel-api';
import type { BpfObject } from '../../bpf/objects.js';
import { kernelBtfOf } from '../../btf/object.js';
import type { SyscallContext } from '../../task/syscall-context.js';
import { BPF_BTF_INFO, InfoStruct } from './layout.js';
import { finishInfo, infoTailZero, readUserInfo } from './user-info.js';

/**
 * `bpf_btf_get_info_by_fd` + `btf_get_info_by_fd`: the tail check, the
 * caller's struct read in, the raw BTF copied to `btf` (up to `btf_size`),
 * `btf_size` set to the full size, the name copied to `name` (`name` and
 * `name_len` together or not at all: EINVAL; a short buffer gets a truncated,
 * NUL-terminated name and ENOSPC once everything else is written).
 */
export function btfGetInfo(task: SyscallContext, obj: BpfObject, uinfo: bigint, infoLen: number, uattr: Uint8Array): number {
  const btf = kernelBtfOf(obj);
  const len = infoTailZero(task, uinfo, BPF_BTF_INFO.size, infoLen);
  const info = new InfoStruct(BPF_BTF_INFO, readUserInfo(task, uinfo, len));
  const data = btf?.data ?? new Uint8Array(0);
  info.set('id', obj.id);
  const room = info.getU32('btf_size');
  task.memory.write(info.get('btf'), data.subarray(0, Math.min(room, data.length)));
  info.set('btf_size', data.length);
  info.set('kernel_btf', btf?.isKernel === true ? 1 : 0);
  const uname = info.get('name');
  const unameLen = info.getU32('name_len');
  if ((uname === 0n) !== (unameLen === 0)) throw new BpfError('EINVAL', 'info:btf-name', 'name and name_len go together');
  const name = new TextEncoder().encode(obj.name);
  info.set('name_len', name.length);
  let nospc = false;
  if (uname !== 0n) {
    if (unameLen >= name.length + 1) {
      const z = new Uint8Array(name.length + 1);
      z.set(name);
      task.memory.write(uname, z);
    } else {
      task.memory.write(uname, name.subarray(0, unameLen - 1));
      task.memory.write(uname + BigInt(unameLen - 1), new Uint8Array(1));
      nospc = true;
    }
  }
  finishInfo(task, uattr, uinfo, info.bytes, len);
  if (nospc) throw new BpfError('ENOSPC', 'info:btf-name-too-long', `name_len ${unameLen} is too short for "${obj.name}"`);
  return 0;
}
