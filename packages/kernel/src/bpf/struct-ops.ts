import type { BtfMemberView, BtfTypeView, BtfView } from '@bpfkit/kernel-api';
import type { KernelCore } from '../core.js';
import { kernelBtfOf } from '../btf/object.js';
import { BPF_DUMMY_OPS } from './bpf-dummy-ops.js';
import { TCP_CONGESTION_OPS } from './tcp-congestion-ops.js';

/** One member of a struct_ops struct, as the update walks them. */
export interface StructOpsMember {
  readonly index: number;
  readonly name: string;
  /** Byte offset inside the struct (`data`). */
  readonly offset: number;
  /** Byte size (8 for a function pointer). */
  readonly size: number;
  /** A function pointer (a BPF program may fill it). */
  readonly isFuncPtr: boolean;
  /** A pointer to `struct module` (the kernel fills `owner` itself). */
  readonly isModule: boolean;
}

/**
 * What a subsystem registers (`struct bpf_struct_ops`): the struct's name, the callbacks
 * it has no stub for, and its hooks. The hooks throw `BpfError` to refuse.
 */
export interface StructOpsDef {
  readonly name: string;
  /** Function-pointer members without a `cfi_stubs` entry: no program attaches there (ENOTSUPP). */
  readonly unsupported: readonly string[];
  /** `check_member`: the errno refusing a program for `member` (sleepable or not), undefined when it may attach. */
  readonly checkMember?: (member: string, sleepable: boolean) => 'EINVAL' | 'ENOTSUPP' | 'EOPNOTSUPP' | undefined;
  /** `init_member`: true when it took the member from the user's data (the generic check is skipped). */
  initMember(core: KernelCore, member: StructOpsMember, udata: Uint8Array): boolean;
  /** `validate` of the whole struct (the user's data, programs in its slots as non-zero). */
  validate(core: KernelCore, data: Uint8Array, members: readonly StructOpsMember[]): void;
  /** `reg` (a map without BPF_F_LINK registers at update). */
  reg(core: KernelCore, data: Uint8Array, members: readonly StructOpsMember[]): void;
  unreg(core: KernelCore, data: Uint8Array, members: readonly StructOpsMember[]): void;
}

/** `struct bpf_struct_ops_desc`: a registered struct_ops with its types in the kernel's BTF. */
export interface StructOpsDesc {
  readonly def: StructOpsDef;
  readonly typeId: number;
  readonly type: BtfTypeView;
  /** `bpf_struct_ops_<name>`, the map value. */
  readonly valueTypeId: number;
  readonly valueType: BtfTypeView;
  /** Where `data` starts in the value. */
  readonly dataOffset: number;
  readonly members: readonly StructOpsMember[];
}

/** The struct_ops the simulated kernel's subsystems register at boot. */
const DEFS: readonly StructOpsDef[] = [TCP_CONGESTION_OPS, BPF_DUMMY_OPS];

const descsOf = new WeakMap<BtfView, readonly StructOpsDesc[]>();

function funcProtoOf(btf: BtfView, typeId: number): BtfTypeView | undefined {
  const ptr = btf.resolve(typeId)?.type;
  if (ptr?.kind !== 'PTR') return undefined;
  const target = btf.resolve(ptr.type ?? 0)?.type;
  return target?.kind === 'FUNC_PROTO' ? target : undefined;
}

function isModulePtr(btf: BtfView, typeId: number): boolean {
  const ptr = btf.resolve(typeId)?.type;
  if (ptr?.kind !== 'PTR') return false;
  const target = btf.resolve(ptr.type ?? 0)?.type;
  return (target?.kind === 'STRUCT' || target?.kind === 'FWD') && target.name === 'module';
}

function memberOf(btf: BtfView, m: BtfMemberView, index: number): StructOpsMember {
  return {
    index,
    name: m.name,
    offset: m.bitsOffset / 8,
    size: btf.typeIdSize(m.type)?.size ?? 8,
    isFuncPtr: funcProtoOf(btf, m.type) !== undefined,
    isModule: isModulePtr(btf, m.type),
  };
}

/**
 * `bpf_struct_ops_desc_init` for each registered struct_ops: the struct and its
 * `bpf_struct_ops_<name>` value type (common header, then `data` of the struct) must
 * both be in the kernel's BTF, else that struct_ops is not registered.
 */
function initDescs(btf: BtfView): readonly StructOpsDesc[] {
  const out: StructOpsDesc[] = [];
  for (const def of DEFS) {
    const typeId = btf.findAll(def.name, 'STRUCT')[0];
    const valueTypeId = btf.findAll(`bpf_struct_ops_${def.name}`, 'STRUCT')[0];
    const type = typeId === undefined ? undefined : btf.type(typeId);
    const valueType = valueTypeId === undefined ? undefined : btf.type(valueTypeId);
    if (typeId === undefined || valueTypeId === undefined || type === undefined || valueType === undefined) continue;
    const [common, data] = valueType.members ?? [];
    if (valueType.members?.length !== 2 || common?.name !== 'common' || data?.name !== 'data' || data.type !== typeId) continue;
    out.push({
      def, typeId, type, valueTypeId, valueType, dataOffset: data.bitsOffset / 8,
      members: (type.members ?? []).map((m, i) => memberOf(btf, m, i)),
    });
  }
  return out;
}

/** The struct_ops registered against this BTF (vmlinux), computed once per BTF. */
export function structOpsDescs(btf: BtfView): readonly StructOpsDesc[] {
  let d = descsOf.get(btf);
  if (d === undefined) {
    d = initDescs(btf);
    descsOf.set(btf, d);
  }
  return d;
}

/** The kernel's vmlinux BTF (object id 1), if it has one. */
export function vmlinuxView(core: KernelCore): BtfView | undefined {
  return kernelBtfOf(core.objects.byId('btf', 1))?.view;
}

/**
 * `bpf_struct_ops_find_value`: the struct_ops whose map value type is `valueTypeId`.
 *
 * @example
 * const desc = findStructOpsByValue(vmlinux, attr.btf_vmlinux_value_type_id);
 */
export function findStructOpsByValue(btf: BtfView, valueTypeId: number): StructOpsDesc | undefined {
  return valueTypeId === 0 ? undefined : structOpsDescs(btf).find((d) => d.valueTypeId === valueTypeId);
}

/**
 * `bpf_struct_ops_find`: the struct_ops whose struct is `typeId` (a program's `attach_btf_id`).
 *
 * @example
 * const desc = findStructOps(vmlinux, attr.attach_btf_id);
 */
export function findStructOps(btf: BtfView, typeId: number): StructOpsDesc | undefined {
  return typeId === 0 ? undefined : structOpsDescs(btf).find((d) => d.typeId === typeId);
}
