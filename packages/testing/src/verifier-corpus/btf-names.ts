import type { BtfView } from '@bpfkit/kernel-api';
import { BpfAttachType } from '@bpfkit/uapi';

/** `BTF_KIND_*` numbers the corpus writes as `btf_kind`, by the names `BtfTypeView.kind` uses. */
const KIND_NAMES: Readonly<Record<number, string>> = {
  1: 'INT', 2: 'PTR', 3: 'ARRAY', 4: 'STRUCT', 5: 'UNION', 6: 'ENUM', 7: 'FWD', 8: 'TYPEDEF', 9: 'VOLATILE',
  10: 'CONST', 11: 'RESTRICT', 12: 'FUNC', 13: 'FUNC_PROTO', 14: 'VAR', 15: 'DATASEC', 16: 'FLOAT', 17: 'DECL_TAG',
  18: 'TYPE_TAG', 19: 'ENUM64',
};

/**
 * The id of `name` in the vmlinux BTF (of `kind`, a `BTF_KIND_*` number or
 * name, when given), as libbpf's `btf__find_by_name_kind` finds it; undefined
 * when absent.
 */
export function vmlinuxId(btf: BtfView | undefined, name: string, kind?: number | string): number | undefined {
  if (btf === undefined) return undefined;
  const kindName = typeof kind === 'number' ? KIND_NAMES[kind] : kind;
  return btf.findAll(name, kindName)[0];
}

/**
 * libbpf's attach-target name rules: raw tracepoints resolve `btf_trace_<name>`
 * (a TYPEDEF), LSM programs `bpf_lsm_<name>`, iterators `bpf_iter_<name>`, the
 * rest the FUNC of that name.
 */
export function attachTargetId(btf: BtfView | undefined, name: string, attachType: number): number | undefined {
  if (attachType === BpfAttachType.BPF_TRACE_RAW_TP) return vmlinuxId(btf, `btf_trace_${name}`, 'TYPEDEF');
  if (attachType === BpfAttachType.BPF_LSM_MAC) return vmlinuxId(btf, `bpf_lsm_${name}`, 'FUNC');
  if (attachType === BpfAttachType.BPF_TRACE_ITER) return vmlinuxId(btf, `bpf_iter_${name}`, 'FUNC');
  return vmlinuxId(btf, name, 'FUNC');
}
