import type { BtfView } from '@bpfkit/kernel-api';
import { BtfField, FieldError, type BtfRecord } from './fields.js';

/**
 * Kernel structs a referenced kptr may point to: those with a registered destructor kfunc
 * (`register_btf_id_dtor_kfuncs`), including the two net/bpf/test_run.c registers for the selftests.
 */
const KPTR_DTOR_STRUCTS = new Set(['task_struct', 'cgroup', 'bpf_cpumask', 'bpf_crypto_ctx', 'prog_test_ref_kfunc', 'prog_test_member']);

/**
 * `btf_parse_kptr`'s lookup of each kptr's pointee among the kernel's structs by name: a program-local
 * type when there is none; a referenced kptr to a kernel struct needs its destructor kfunc (ENOENT
 * without one). Returns the offsets of the kptrs that point into the kernel. `vmlinux` is asked only
 * when there is a kptr (the kernel's BTF is parsed on first use).
 */
export function checkKptrTargets(rec: BtfRecord, btf: BtfView, vmlinux: () => BtfView | undefined): Set<number> {
  const kernelPointees = new Set<number>();
  for (const f of rec.fields) {
    if (f.kptrTypeId === undefined) continue;
    const name = btf.type(f.kptrTypeId)?.name ?? '';
    if (name === '' || (vmlinux()?.findAll(name, 'STRUCT').length ?? 0) === 0) continue;
    if (f.type === BtfField.KPTR_REF && !KPTR_DTOR_STRUCTS.has(name)) {
      throw new FieldError('ENOENT', `kernel struct ${name} has no destructor kfunc for a referenced kptr`);
    }
    kernelPointees.add(f.offset);
  }
  return kernelPointees;
}
