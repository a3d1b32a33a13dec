import { parseBtf, type Btf } from '@bpfkit/btf';
import { BpfCmd, encodeGetIdAttr, encodeInfoAttr } from '@bpfkit/uapi';
import type { CaseRunner } from './runner.js';

/**
 * The kernel's own BTF (object id 1) read through bpf(), as CO-RE clients read
 * it: `BTF_GET_FD_BY_ID`, then `OBJ_GET_INFO_BY_FD` twice (size, then bytes).
 * Undefined when the kernel has none.
 */
export function kernelBtf(r: CaseRunner): Btf | undefined {
  let fd: number;
  try {
    fd = r.own(r.sys.bpf(BpfCmd.BPF_BTF_GET_FD_BY_ID, encodeGetIdAttr({ start_id: 1 })));
  } catch {
    return undefined;
  }
  const head = r.mem(32);
  r.sys.bpf(BpfCmd.BPF_OBJ_GET_INFO_BY_FD, encodeInfoAttr({ bpf_fd: fd, info_len: 32, info: head }));
  const size = new DataView(r.read(head, 32).buffer).getUint32(8, true);
  const data = r.mem(size);
  const info = new Uint8Array(32);
  const dv = new DataView(info.buffer);
  dv.setBigUint64(0, data, true);
  dv.setUint32(8, size, true);
  r.sys.bpf(BpfCmd.BPF_OBJ_GET_INFO_BY_FD, encodeInfoAttr({ bpf_fd: fd, info_len: 32, info: r.mem(info) }));
  const btf = parseBtf(r.read(data, size));
  r.close(fd);
  return btf;
}
