import type { BtfView, VerifierRequest } from '@bpfkit/kernel-api';
import { fail, type VerifierLog } from './log.js';
import { pointer, type RegState } from './state.js';

/** The DATASEC holding the kernel's per-CPU variables. */
const PERCPU_SECTION = '.data..percpu';

/**
 * `check_pseudo_btf_id` and `__check_pseudo_btf_id`: a `BPF_PSEUDO_BTF_ID` load names a kernel
 * variable or function by its vmlinux BTF id (`imm`; a module's BTF by the fd in the second
 * half, which the simulated kernel has none of). It must be a VAR or a FUNC that kallsyms
 * knows. Returns the register the load gives: a function's address is read-only memory of
 * size 0; a per-CPU variable a `percpu_ptr_` to its type (for bpf_this_cpu_ptr / bpf_per_cpu_ptr);
 * another variable is read-only memory of its type's size, or a BTF pointer to its struct.
 */
export function checkPseudoBtfId(log: VerifierLog, req: VerifierRequest, id: number, btfFd: number): RegState {
  // No module BTF is ever loaded here, so any fd is not one.
  if (btfFd !== 0) fail(log, 'EINVAL', 'ksym-btf-fd', 'invalid module BTF object FD specified.');
  const btf = req.vmlinuxBtf?.();
  if (btf === undefined) {
    fail(log, 'EINVAL', 'ksym-no-btf', 'kernel is missing BTF, make sure CONFIG_DEBUG_INFO_BTF=y is specified in Kconfig.');
  }
  const t = btf.type(id);
  if (t === undefined) fail(log, 'ENOENT', 'ksym-btf-id', `ldimm64 insn specifies invalid btf_id ${String(id)}.`);
  if (t.kind !== 'VAR' && t.kind !== 'FUNC') fail(log, 'EINVAL', 'ksym-kind', `pseudo btf_id ${String(id)} in ldimm64 isn't KIND_VAR or KIND_FUNC`);
  const name = t.name ?? '';
  if (req.kernelSymbol?.(name) === undefined) fail(log, 'ENOENT', 'ksym-address', `ldimm64 failed to find the address for kernel symbol '${name}'.`);
  if (t.kind === 'FUNC') return pointer('mem', 0, { valueSize: 0, rdonly: true });
  // A per-CPU variable is only reached through bpf_this_cpu_ptr / bpf_per_cpu_ptr: its type as the VAR names it.
  if (isPercpu(btf, id)) return pointer('ptr_', 0, { btf, btfId: t.type ?? 0, percpu: true });
  const target = btf.resolve(t.type ?? 0);
  if (target?.type.kind === 'STRUCT') return pointer('ptr_', 0, { btf, btfId: target.id });
  const sized = btf.typeIdSize(t.type ?? 0);
  if (sized === undefined) {
    fail(log, 'EINVAL', 'ksym-size', `ldimm64 unable to resolve the size of type '${target?.type.name ?? ''}': -22`);
  }
  return pointer('mem', 0, { valueSize: sized.size, rdonly: true });
}

/** `find_btf_percpu_datasec` and its search: the variable is one of the per-CPU section's. */
function isPercpu(btf: BtfView, id: number): boolean {
  const sec = btf.findAll(PERCPU_SECTION, 'DATASEC')[0];
  const vars = sec === undefined ? undefined : btf.type(sec)?.vars;
  return vars?.some((v) => v.type === id) === true;
}
