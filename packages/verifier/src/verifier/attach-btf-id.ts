import type { BtfTypeView, BtfView } from '@bpfkit/kernel-api';
import { BPF_F_SLEEPABLE, BpfAttachType as A, BpfProgType as P } from '@bpfkit/uapi';
import type { AttachFunc, CheckedRequest } from './checked-request.js';
import { fail, refuse, type VerifierLog } from './log.js';

/** `MAX_BPF_FUNC_ARGS`. */
const MAX_BPF_FUNC_ARGS = 12;

/** `btf_type_resolve_func_ptr`: the prototype a function-pointer member points to. */
function funcPtrProto(btf: BtfView, typeId: number): BtfTypeView | undefined {
  const ptr = btf.resolve(typeId)?.type;
  if (ptr?.kind !== 'PTR') return undefined;
  const target = btf.resolve(ptr.type ?? 0)?.type;
  return target?.kind === 'FUNC_PROTO' ? target : undefined;
}

/**
 * `check_struct_ops_btf_id`: a GPL-compatible license, a registered struct_ops type, a member
 * index inside it that is a function pointer the subsystem has a stub for and lets this
 * program stand for.
 */
function checkStructOps(log: VerifierLog, req: CheckedRequest, sleepable: boolean): AttachFunc {
  if (!req.gplCompatible) fail(log, 'EINVAL', 'struct-ops-license', 'struct ops programs must have a GPL compatible license');
  const target = req.attach;
  const btf = target?.btf;
  if (target === undefined || target.btfId === 0 || btf === undefined) return refuse('ENOTSUPP', 'struct-ops-btf-id', 'struct_ops programs need attach_btf_id');
  const ops = target.structOps;
  const type = btf.type(target.btfId);
  if (ops === undefined || type === undefined) return fail(log, 'ENOTSUPP', 'struct-ops-unknown', `attach_btf_id ${String(target.btfId)} is not a supported struct`);
  const idx = req.expectedAttachType;
  const member = type.members?.[idx];
  if (member === undefined) return fail(log, 'EINVAL', 'struct-ops-member', `attach to invalid member idx ${String(idx)} of struct ${ops.name}`);
  const proto = funcPtrProto(btf, member.type);
  if (proto === undefined) return fail(log, 'EINVAL', 'struct-ops-member', `attach to invalid member ${member.name}(@idx ${String(idx)}) of struct ${ops.name}`);
  const refused = ops.unsupportedMembers.includes(member.name) ? 'ENOTSUPP' : ops.checkMember?.(member.name, sleepable);
  if (refused !== undefined) fail(log, refused, 'struct-ops-unsupported', `attach to unsupported member ${member.name} of struct ${ops.name}`);
  return { btf, protoId: proto.id, name: member.name };
}

/** `can_be_sleepable`: fentry/fexit/fmod_ret and iterators, LSM, kprobe (for uprobes) and struct_ops. */
function canBeSleepable(progType: number, attachType: number): boolean {
  if (progType === P.BPF_PROG_TYPE_TRACING) {
    return attachType === A.BPF_TRACE_FENTRY || attachType === A.BPF_TRACE_FEXIT || attachType === A.BPF_MODIFY_RETURN || attachType === A.BPF_TRACE_ITER;
  }
  return progType === P.BPF_PROG_TYPE_LSM || progType === P.BPF_PROG_TYPE_KPROBE || progType === P.BPF_PROG_TYPE_STRUCT_OPS;
}

/**
 * The start of `bpf_check_attach_target` for targets in the kernel's BTF: the type exists,
 * has a name and is of the kind the attach type needs (FUNC with a FUNC_PROTO, a `btf_trace_`
 * typedef, a `bpf_lsm_` hook). Targets in other BPF programs are not modelled.
 */
function checkKernelTarget(log: VerifierLog, req: CheckedRequest): AttachFunc | undefined {
  const target = req.attach;
  const btf = target?.btf;
  const id = target?.btfId ?? 0;
  if (btf === undefined || id === 0) return fail(log, 'EINVAL', 'attach-btf-id', 'Tracing programs must provide btf_id');
  const type = btf.type(id);
  if (type === undefined) return fail(log, 'EINVAL', 'attach-btf-id', `attach_btf_id ${String(id)} is invalid`);
  const name = type.name;
  if (name === '') fail(log, 'EINVAL', 'attach-btf-id', `attach_btf_id ${String(id)} doesn't have a name`);
  const progType = req.progType;
  if (progType === P.BPF_PROG_TYPE_EXT) fail(log, 'EINVAL', 'attach-btf-id', 'Cannot replace kernel functions');
  if (req.expectedAttachType === A.BPF_TRACE_RAW_TP) {
    if (type.kind !== 'TYPEDEF') fail(log, 'EINVAL', 'attach-btf-id', `attach_btf_id ${String(id)} is not a typedef`);
    if (!name.startsWith('btf_trace_')) fail(log, 'EINVAL', 'attach-btf-id', `attach_btf_id ${String(id)} points to wrong type name ${name}`);
    const ptr = btf.type(type.type ?? 0);
    const proto = ptr?.kind === 'PTR' ? btf.type(ptr.type ?? 0) : undefined;
    if (proto?.kind !== 'FUNC_PROTO') return refuse('EINVAL', 'attach-btf-id', `${name} is not a pointer to a function prototype`);
    // tp_btf: the tracepoint's arguments are the context (`btf_ctx_access`), as BTF pointers where they point to structs.
    return progType === P.BPF_PROG_TYPE_TRACING ? { btf, protoId: proto.id, name: name.slice('btf_trace_'.length), btfTrace: true } : undefined;
  }
  if (type.kind !== 'FUNC') fail(log, 'EINVAL', 'attach-btf-id', `attach_btf_id ${String(id)} is not a function`);
  const proto = btf.type(type.type ?? 0);
  if (proto?.kind !== 'FUNC_PROTO') return refuse('EINVAL', 'attach-btf-id', `${name} has no function prototype`);
  const nargs = proto.params?.length ?? 0;
  if (nargs > MAX_BPF_FUNC_ARGS) fail(log, 'EINVAL', 'attach-btf-id', `The function ${name} has ${String(nargs)} arguments. Too many.`);
  if (progType === P.BPF_PROG_TYPE_LSM) {
    if (!req.gplCompatible) fail(log, 'EINVAL', 'lsm-license', 'LSM programs must have a GPL compatible license');
    if (!name.startsWith('bpf_lsm_')) fail(log, 'EINVAL', 'lsm-hook', `attach_btf_id ${String(id)} points to wrong type name ${name}`);
  }
  // An iterator's context is its target's arguments (`btf_ctx_access`): the verifier types them from the prototype.
  if (progType === P.BPF_PROG_TYPE_TRACING && req.expectedAttachType === A.BPF_TRACE_ITER) return { btf, protoId: proto.id, name };
  return undefined;
}

/**
 * `check_attach_btf_id`: syscall programs must be sleepable and only the types
 * `can_be_sleepable` names may be; struct_ops programs get their member's prototype,
 * tracing, LSM and freplace programs their target's.
 *
 * @example
 * const attachFunc = checkAttachBtfId(log, req); // "Syscall programs can only be sleepable"
 */
export function checkAttachBtfId(log: VerifierLog, req: CheckedRequest): AttachFunc | undefined {
  const progType = req.progType;
  const sleepable = (req.progFlags & BPF_F_SLEEPABLE) !== 0;
  if (progType === P.BPF_PROG_TYPE_SYSCALL) {
    if (sleepable) return undefined;
    return fail(log, 'EINVAL', 'syscall-not-sleepable', 'Syscall programs can only be sleepable');
  }
  if (sleepable && !canBeSleepable(progType, req.expectedAttachType)) {
    fail(log, 'EINVAL', 'not-sleepable', 'Only fentry/fexit/fmod_ret, lsm, iter, uprobe, and struct_ops programs can be sleepable');
  }
  if (progType === P.BPF_PROG_TYPE_STRUCT_OPS) return checkStructOps(log, req, sleepable);
  if (progType !== P.BPF_PROG_TYPE_TRACING && progType !== P.BPF_PROG_TYPE_LSM && progType !== P.BPF_PROG_TYPE_EXT) return undefined;
  if (req.attach?.dstProg === true) return undefined;
  return checkKernelTarget(log, req);
}
