import { BpfError } from '@bpfkit/kernel-api';
import { BPF_F_TOKEN_FD, BpfCmd, Capability, decodeBtfLoadAttr, decodeGetIdAttr } from '@bpfkit/uapi';
import { check, checkAttr, flagsDetail, putAttrU32 } from '../bpf/check.js';
import { requireTokenCapable } from '../bpf/token-fd.js';
import type { SyscallContext } from '../task/syscall-context.js';
import { FieldError, userBtf } from '../btf/object.js';
import { installObjectFd } from './fd-install.js';
import { vmlinuxView } from '../bpf/struct-ops.js';
import { runWithLog, userLog } from './log.js';

/** `BTF_MAX_SIZE`. */
const BTF_MAX_SIZE = 16 * 1024 * 1024;

/** BPF_BTF_LOAD: flags, token (delegate_cmds only), token-capable(CAP_BPF), then `btf_new_fd`. */
export function btfLoad(task: SyscallContext, bytes: Uint8Array, uattr: Uint8Array): number {
  const core = task.core;
  checkAttr(core, BpfCmd.BPF_BTF_LOAD, bytes);
  const attr = decodeBtfLoadAttr(bytes);
  const flags = attr.btf_flags;
  check(core, 'btf_load:btf_flags', (flags & ~BPF_F_TOKEN_FD) === 0, 'EINVAL', 'btf:flags', flagsDetail('btf_flags', flags, flags));
  requireTokenCapable(task, 'btf_load:CAP_BPF', (flags & BPF_F_TOKEN_FD) !== 0, attr.btf_token_fd, BpfCmd.BPF_BTF_LOAD,
    Capability.CAP_BPF, 'caps:missing-CAP_BPF', 'BTF_LOAD needs CAP_BPF');
  const size = attr.btf_size;
  check(core, 'btf_parse:size', size <= BTF_MAX_SIZE, 'E2BIG', 'btf:too-big', {
    pass: `btf_size ${size} ≤ ${BTF_MAX_SIZE}`,
    fail: `btf_size ${size} > ${BTF_MAX_SIZE}`,
  });
  const log = userLog(task, attr.btf_log_level, attr.btf_log_size, attr.btf_log_buf);
  const data = task.memory.read(attr.btf, size);
  const res = runWithLog(log, (n) => { putAttrU32(uattr, 'btf_load', 'btf_log_true_size', n); }, () =>
    core.tracer.group('btf_parse', () => {
      const parsed = core.deps.btf.load(data, { level: log.level, size: log.size });
      try {
        return { ...parsed, kernelBtf: userBtf(parsed.btf, data, () => vmlinuxView(core)) };
      } catch (e) {
        if (!(e instanceof FieldError)) throw e;
        // btf_parse_struct_metas fails the load after the types were logged, adding no line of its own.
        throw new BpfError(e.errno, 'btf:struct-meta', e.message, { log: parsed.log });
      }
    }));
  const obj = core.objects.create('btf', core.objects.nextId('btf'), '', res.kernelBtf);
  return installObjectFd(task, 'bpf-btf', obj, 0);
}

/** BPF_BTF_GET_FD_BY_ID: token-capable(CAP_SYS_ADMIN), then the id lookup (ENOENT). */
export function btfGetFdById(task: SyscallContext, bytes: Uint8Array): number {
  const core = task.core;
  checkAttr(core, BpfCmd.BPF_BTF_GET_FD_BY_ID, bytes);
  const attr = decodeGetIdAttr(bytes);
  const openFlags = attr.open_flags;
  check(core, 'btf_get_fd_by_id:open_flags', (openFlags & ~BPF_F_TOKEN_FD) === 0, 'EINVAL', 'btf:open-flags', flagsDetail('open_flags', openFlags, openFlags));
  requireTokenCapable(task, 'btf_get_fd_by_id:CAP_SYS_ADMIN', (openFlags & BPF_F_TOKEN_FD) !== 0, attr.fd_by_id_token_fd,
    BpfCmd.BPF_BTF_GET_FD_BY_ID, Capability.CAP_SYS_ADMIN, 'caps:missing-CAP_SYS_ADMIN', 'BTF_GET_FD_BY_ID needs CAP_SYS_ADMIN');
  const id = attr.btf_id;
  const obj = core.objects.byId('btf', id);
  check(core, 'btf_get_fd_by_id:id', obj !== undefined, 'ENOENT', 'btf:no-such-id', {
    pass: `BTF object ${id} exists`,
    fail: `no BTF object with id ${id}`,
  });
  if (obj === undefined) throw new BpfError('ENOENT', 'btf:no-such-id', `no BTF object with id ${id}`);
  return installObjectFd(task, 'bpf-btf', obj.get(), 0);
}
