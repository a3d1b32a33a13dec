import { BpfError, type VerifierAttachTarget, type VerifierBtfFd, type VerifierProgBtf, type VerifierUserRecords } from '@bpfkit/kernel-api';
import { BpfProgType, type ProgLoadAttrDecoded } from '@bpfkit/uapi';
import { putAttrU32, traceCheck } from '../bpf/check.js';
import { findStructOps } from '../bpf/struct-ops.js';
import { kernelBtfOf, type KernelBtf } from '../btf/object.js';
import type { SyscallContext } from '../task/syscall-context.js';

/** `btf_get_by_fd` for `prog_btf_fd`: the BTF object, or the lookup's errno (the verifier reports it). */
function progBtfFd(task: SyscallContext, fd: number): VerifierBtfFd {
  const e = task.fdTable.get(fd);
  const open = e !== undefined && !e.file.opath;
  const btf = open ? kernelBtfOf(e.file.payload.object) : undefined;
  traceCheck(task.core, 'btf_get_by_fd', btf !== undefined, open ? 'EINVAL' : 'EBADF', {
    pass: `prog_btf_fd ${fd} is a BTF object`,
    fail: open ? `prog_btf_fd ${fd} is not a BTF object` : `prog_btf_fd ${fd} is not an open fd`,
  });
  if (btf === undefined) return { errno: open ? 'EINVAL' : 'EBADF' };
  return { btf: btf.view, isKernel: btf.isKernel };
}

/** Records at `addr` in the caller's memory, read as the verifier asks; the corrected rec size goes to `uattr`. */
function userRecords(task: SyscallContext, addr: bigint, count: number, recSize: number, putRecSize: (size: number) => void): VerifierUserRecords {
  return {
    count,
    recSize,
    read(offset, length) {
      try {
        return task.memory.read(addr + BigInt(offset), length);
      } catch (e) {
        if (e instanceof BpfError && e.code === 'EFAULT') return undefined;
        throw e;
      }
    },
    putRecSize(size) {
      putRecSize(size);
      return true;
    },
  };
}

/**
 * The program's BTF and func_info/line_info as the verifier checks them
 * (`check_btf_info_early`, `check_btf_info`): undefined when the load gives neither.
 */
export function verifierProgBtf(task: SyscallContext, attr: ProgLoadAttrDecoded, uattr: Uint8Array): VerifierProgBtf | undefined {
  if (attr.func_info_cnt === 0 && attr.line_info_cnt === 0) return undefined;
  return {
    btfFd: progBtfFd(task, attr.prog_btf_fd),
    funcInfo: userRecords(task, attr.func_info, attr.func_info_cnt, attr.func_info_rec_size, (size) => {
      putAttrU32(uattr, 'prog_load', 'func_info_rec_size', size);
    }),
    lineInfo: userRecords(task, attr.line_info, attr.line_info_cnt, attr.line_info_rec_size, (size) => {
      putAttrU32(uattr, 'prog_load', 'line_info_rec_size', size);
    }),
  };
}

/**
 * The attach target as `check_attach_btf_id` sees it: the id, the kernel BTF it is in,
 * whether `attach_prog_fd` named a program, and for struct_ops the registered struct_ops
 * that id names (`bpf_struct_ops_find`).
 */
export function verifierAttachTarget(progType: number, attachBtfId: number, attachBtf: KernelBtf | undefined, dstProg: boolean): VerifierAttachTarget {
  const desc = progType === BpfProgType.BPF_PROG_TYPE_STRUCT_OPS && attachBtf !== undefined ? findStructOps(attachBtf.view, attachBtfId) : undefined;
  return {
    btfId: attachBtfId,
    dstProg,
    ...(attachBtf === undefined ? {} : { btf: attachBtf.view }),
    ...(desc === undefined ? {} : {
      structOps: { name: desc.def.name, unsupportedMembers: desc.def.unsupported, ...(desc.def.checkMember === undefined ? {} : { checkMember: desc.def.checkMember }) },
    }),
  };
}
