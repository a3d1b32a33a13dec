import type { BtfTypeView, BtfView, CtxAccessResult } from '@bpfkit/kernel-api';
import type { AttachFunc } from './checked-request.js';
import type { VerifierLog } from './log.js';
import { kindStr, skipModifiers } from './btf-walk.js';

/** `MAX_BPF_FUNC_ARGS`: the context of a BTF-attached program is this many u64 slots. */
const MAX_BPF_FUNC_ARGS = 12;
const DENIED: CtxAccessResult = { ok: false };
const SCALAR: CtxAccessResult = { ok: true, regType: 'scalar' };

/** The bytes one argument (or the return value) takes in the context: a pointer 8, else its size rounded up to 8. */
function slotBytes(t: BtfTypeView | undefined): number {
  if (t?.kind === 'PTR') return 8;
  return Math.ceil((t?.size ?? 0) / 8) * 8;
}

/** `get_ctx_arg_idx`: which argument `off` falls in; the return value's slot is `nargs`, past it `nargs + 1`. */
function ctxArgIdx(btf: BtfView, proto: BtfTypeView, off: number): number {
  const params = proto.params ?? [];
  let end = 0;
  for (let i = 0; i < params.length; i++) {
    end += slotBytes(skipModifiers(btf, params[i]?.type ?? 0));
    if (off < end) return i;
  }
  end += slotBytes(skipModifiers(btf, proto.type ?? 0));
  return off < end ? params.length : params.length + 1;
}

/**
 * `bpf_tracing_btf_ctx_access` for struct_ops programs (`bpf_tracing_ctx_access`, then
 * `btf_ctx_access`): aligned reads of the u64 slots that hold the member prototype's
 * arguments. An integer, enum or struct argument reads as a scalar at any size; a pointer
 * needs 8 bytes, and a `void *` or integer pointer reads as a scalar. A pointer to a struct
 * is `PTR_TO_BTF_ID` on Linux; BTF pointers are not modelled yet, so it reads as a scalar
 * here too. The kernel's reasons are logged before the caller's "invalid bpf_context access".
 *
 * @example
 * btfCtxAccess(log, { btf, protoId, name: 'cong_avoid' }, 24, 8, false); // logs "func 'cong_avoid' doesn't have 5-th argument"
 */
export function btfCtxAccess(log: VerifierLog, fn: AttachFunc, off: number, size: number, write: boolean): CtxAccessResult {
  if (off < 0 || off >= 8 * MAX_BPF_FUNC_ARGS || write || off % size !== 0) return DENIED;
  const say = (s: string): CtxAccessResult => {
    if (log.verbose) log.line(s);
    return DENIED;
  };
  const name = fn.name;
  if (off % 8 !== 0) return say(`func '${name}' offset ${String(off)} is not multiple of 8`);
  const proto = fn.btf.type(fn.protoId);
  if (proto?.kind !== 'FUNC_PROTO') return SCALAR;
  const nargs = proto.params?.length ?? 0;
  const arg = ctxArgIdx(fn.btf, proto, off);
  // The return value's slot is readable only by fexit/LSM-style attach types, which struct_ops members are not.
  if (arg >= nargs) return say(`func '${name}' doesn't have ${String(arg + 1)}-th argument`);
  const t = skipModifiers(fn.btf, proto.params?.[arg]?.type ?? 0);
  if ((t?.kind === 'INT' && (t.size ?? 0) <= 8) || t?.kind === 'ENUM' || t?.kind === 'ENUM64' || t?.kind === 'STRUCT' || t?.kind === 'UNION') return SCALAR;
  if (t?.kind !== 'PTR') {
    return say(`func '${name}' arg${String(arg)} '${t?.name ?? ''}' has type ${kindStr(t)}. Only pointer access is allowed`);
  }
  if (size !== 8) return say(`func '${name}' size ${String(size)} must be 8`);
  // `void *` and integer pointers are scalars on Linux too; struct pointers would be PTR_TO_BTF_ID.
  return SCALAR;
}

/**
 * Whether the program's attach prototype returns nothing (`!attach_func_proto->type`):
 * such a struct_ops program's R0 is not looked at when it exits.
 *
 * @example
 * if (attachReturnsVoid(env.req.attachFunc)) return;
 */
export function attachReturnsVoid(fn: AttachFunc | undefined): boolean {
  if (fn === undefined) return false;
  const proto = fn.btf.type(fn.protoId);
  return proto?.kind === 'FUNC_PROTO' && (proto.type ?? 0) === 0;
}
