import { BpfError, type BtfView } from '@bpfkit/kernel-api';
import { BpfAttachType as A, BpfProgType as P } from '@bpfkit/uapi';
import type { KernelBtf } from '../btf/object.js';
import { findStructOps, memberFuncProto } from '../bpf/struct-ops.js';
import { verifierFail } from './prog-btf.js';

/** What `check_attach_btf_id` looks at. */
export interface AttachTarget {
  readonly progType: number;
  readonly expectedAttachType: number;
  readonly attachBtfId: number;
  /** `prog->aux->attach_btf`: vmlinux, a module's BTF, or none. */
  readonly attachBtf: KernelBtf | undefined;
  /** `attach_prog_fd` named a program (freplace / fentry on a BPF program). */
  readonly hasDstProg: boolean;
  readonly gplCompatible: boolean;
  /** BPF_F_SLEEPABLE was given. */
  readonly sleepable?: boolean;
}

/** `MAX_BPF_FUNC_ARGS`. */
const MAX_BPF_FUNC_ARGS = 12;

/** What `check_attach_btf_id` gives the verifier: the function the program stands for, in the kernel's BTF. */
export interface AttachFunc {
  readonly btf: BtfView;
  /** `prog->aux->attach_func_proto`. */
  readonly protoId: number;
  /** `prog->aux->attach_func_name` (the member's name for struct_ops). */
  readonly name: string;
  /** A raw tracepoint's typedef: the prototype's first argument is not in the context. */
  readonly btfTrace?: boolean;
}

/**
 * `check_struct_ops_btf_id`: a GPL-compatible license, a registered struct_ops type, a member
 * index inside it that is a function pointer the subsystem has a stub for.
 */
function checkStructOps(t: AttachTarget): AttachFunc {
  if (!t.gplCompatible) verifierFail('EINVAL', 'struct-ops-license', 'struct ops programs must have a GPL compatible license\n');
  const btf = t.attachBtf;
  if (t.attachBtfId === 0 || btf === undefined) throw new BpfError('ENOTSUPP', 'verifier:struct-ops-btf-id', 'struct_ops programs need attach_btf_id');
  const desc = findStructOps(btf.view, t.attachBtfId);
  if (desc === undefined) return verifierFail('ENOTSUPP', 'struct-ops-unknown', `attach_btf_id ${t.attachBtfId} is not a supported struct\n`);
  const idx = t.expectedAttachType;
  const name = desc.def.name;
  const member = desc.members[idx];
  if (member === undefined) return verifierFail('EINVAL', 'struct-ops-member', `attach to invalid member idx ${idx} of struct ${name}\n`);
  const proto = memberFuncProto(btf.view, desc, idx);
  if (proto === undefined) return verifierFail('EINVAL', 'struct-ops-member', `attach to invalid member ${member.name}(@idx ${idx}) of struct ${name}\n`);
  if (desc.def.unsupported.includes(member.name)) verifierFail('ENOTSUPP', 'struct-ops-unsupported', `attach to unsupported member ${member.name} of struct ${name}\n`);
  return { btf: btf.view, protoId: proto.id, name: member.name };
}

/** `can_be_sleepable`: fentry/fexit/fmod_ret and iterators, LSM, kprobe (for uprobes) and struct_ops. */
function canBeSleepable(t: AttachTarget): boolean {
  if (t.progType === P.BPF_PROG_TYPE_TRACING) {
    const eat = t.expectedAttachType;
    return eat === A.BPF_TRACE_FENTRY || eat === A.BPF_TRACE_FEXIT || eat === A.BPF_MODIFY_RETURN || eat === A.BPF_TRACE_ITER;
  }
  return t.progType === P.BPF_PROG_TYPE_LSM || t.progType === P.BPF_PROG_TYPE_KPROBE || t.progType === P.BPF_PROG_TYPE_STRUCT_OPS;
}

/**
 * The start of `check_attach_btf_id` / `bpf_check_attach_target` (kernel/bpf/verifier.c)
 * for kernel targets: the type exists, has a name, is of the kind the attach type needs
 * (FUNC with a FUNC_PROTO, a `btf_trace_` typedef, a `bpf_lsm_` hook); struct_ops programs
 * get their member's prototype. First, syscall programs must be sleepable and only the types
 * `can_be_sleepable` names may be. Targets in other BPF programs are not modelled.
 */
export function checkAttachTarget(t: AttachTarget): AttachFunc | undefined {
  if (t.progType === P.BPF_PROG_TYPE_SYSCALL) {
    if (t.sleepable === true) return undefined;
    return verifierFail('EINVAL', 'syscall-not-sleepable', 'Syscall programs can only be sleepable\n');
  }
  if (t.sleepable === true && !canBeSleepable(t)) {
    verifierFail('EINVAL', 'not-sleepable', 'Only fentry/fexit/fmod_ret, lsm, iter, uprobe, and struct_ops programs can be sleepable\n');
  }
  if (t.progType === P.BPF_PROG_TYPE_STRUCT_OPS) return checkStructOps(t);
  if (t.progType !== P.BPF_PROG_TYPE_TRACING && t.progType !== P.BPF_PROG_TYPE_LSM && t.progType !== P.BPF_PROG_TYPE_EXT) return;
  if (t.hasDstProg) return;
  const btf = t.attachBtf;
  if (btf === undefined || t.attachBtfId === 0) return verifierFail('EINVAL', 'attach-btf-id', 'Tracing programs must provide btf_id\n');
  const type = btf.view.type(t.attachBtfId);
  if (type === undefined) return verifierFail('EINVAL', 'attach-btf-id', `attach_btf_id ${t.attachBtfId} is invalid\n`);
  const name = type.name;
  if (name === '') verifierFail('EINVAL', 'attach-btf-id', `attach_btf_id ${t.attachBtfId} doesn't have a name\n`);
  if (t.progType === P.BPF_PROG_TYPE_EXT) verifierFail('EINVAL', 'attach-btf-id', 'Cannot replace kernel functions\n');
  if (t.expectedAttachType === A.BPF_TRACE_RAW_TP) {
    if (type.kind !== 'TYPEDEF') verifierFail('EINVAL', 'attach-btf-id', `attach_btf_id ${t.attachBtfId} is not a typedef\n`);
    if (!name.startsWith('btf_trace_')) verifierFail('EINVAL', 'attach-btf-id', `attach_btf_id ${t.attachBtfId} points to wrong type name ${name}\n`);
    const ptr = btf.view.type(type.type ?? 0);
    const proto = ptr?.kind === 'PTR' ? btf.view.type(ptr.type ?? 0) : undefined;
    if (proto?.kind !== 'FUNC_PROTO') throw new BpfError('EINVAL', 'verifier:attach-btf-id', `${name} is not a pointer to a function prototype`);
    // tp_btf: the tracepoint's arguments are the context (`btf_ctx_access`), as BTF pointers where they point to structs.
    return t.progType === P.BPF_PROG_TYPE_TRACING ? { btf: btf.view, protoId: proto.id, name: name.slice('btf_trace_'.length), btfTrace: true } : undefined;
  }
  if (type.kind !== 'FUNC') verifierFail('EINVAL', 'attach-btf-id', `attach_btf_id ${t.attachBtfId} is not a function\n`);
  const proto = btf.view.type(type.type ?? 0);
  if (proto?.kind !== 'FUNC_PROTO') throw new BpfError('EINVAL', 'verifier:attach-btf-id', `${name} has no function prototype`);
  if ((proto.params?.length ?? 0) > MAX_BPF_FUNC_ARGS) {
    verifierFail('EINVAL', 'attach-btf-id', `The function ${name} has ${proto.params?.length ?? 0} arguments. Too many.\n`);
  }
  if (t.progType === P.BPF_PROG_TYPE_LSM) {
    if (!t.gplCompatible) verifierFail('EINVAL', 'lsm-license', 'LSM programs must have a GPL compatible license\n');
    if (!name.startsWith('bpf_lsm_')) verifierFail('EINVAL', 'lsm-hook', `attach_btf_id ${t.attachBtfId} points to wrong type name ${name}\n`);
  }
  // An iterator's context is its target's arguments (`btf_ctx_access`): the verifier types them from the prototype.
  if (t.progType === P.BPF_PROG_TYPE_TRACING && t.expectedAttachType === A.BPF_TRACE_ITER) return { btf: btf.view, protoId: proto.id, name };
  return undefined;
}
