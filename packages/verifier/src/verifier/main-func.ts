import type { BtfTypeView, BtfView } from '@bpfkit/kernel-api';
import type { CheckedRequest } from './checked-request.js';
import type { VerifierLog } from './log.js';
import { kindStr, skipModifiers } from './btf-walk.js';

const BTF_FUNC_GLOBAL = 1;
const MAX_ARGS = 5;

function hasArgTag(btf: BtfView, fnId: number, arg: number): boolean {
  for (let id = 1; id < btf.nrTypes; id++) {
    const t = btf.type(id);
    if (t?.kind === 'DECL_TAG' && t.type === fnId && t.componentIdx === arg && t.name.startsWith('arg:')) return true;
  }
  return false;
}

/** What `btf_prepare_func_args` logs about the main program's prototype, if anything. */
function mainFuncComplaint(btf: BtfView, fn: BtfTypeView): string | undefined {
  const proto = btf.type(fn.type ?? 0);
  if (proto?.kind !== 'FUNC_PROTO') return undefined;
  const params = proto.params ?? [];
  if (params.length > MAX_ARGS) return `Global function ${fn.name}() with ${String(params.length)} > ${String(MAX_ARGS)} args. Buggy compiler.`;
  const ret = skipModifiers(btf, proto.type ?? 0);
  if (ret?.kind !== 'INT' && ret?.kind !== 'ENUM' && ret?.kind !== 'ENUM64') {
    return `Global function ${fn.name}() doesn't return scalar. Only those are supported.`;
  }
  for (let i = 0; i < params.length; i++) {
    // Tagged arguments (arg:ctx, arg:trusted…) follow their tags; not judged here.
    if (hasArgTag(btf, fn.id, i)) return undefined;
    const t = skipModifiers(btf, params[i]?.type ?? 0);
    if (t?.kind === 'INT' || t?.kind === 'ENUM' || t?.kind === 'ENUM64') continue;
    if (t?.kind !== 'PTR') return `Arg#${String(i)} type ${kindStr(t)} in ${fn.name}() is not supported yet.`;
    // A pointer to something without a size is neither the context nor memory the verifier could size.
    const target = skipModifiers(btf, t.type ?? 0);
    if (target === undefined || target.kind === 'VOID' || target.kind === 'FWD' || target.kind === 'FUNC_PROTO') {
      return `arg#${String(i)} reference type('${kindStr(target)} ${target?.name ?? ''}') size cannot be determined: -22`;
    }
    // Pointers to structs: the context, or memory of the struct's size.
  }
  return undefined;
}

/**
 * `do_check_common` for the main program: when it has BTF func_info, `btf_prepare_func_args`
 * reads its prototype, and for a global FUNC logs what it cannot take (a return type that is
 * not a scalar, more than five arguments, an argument of an unsupported kind, a pointer to
 * something without a size such as `void *`). The main program is verified all the same,
 * with R1 its context: the kernel only marks its BTF unreliable.
 *
 * @example
 * logMainFuncArgs(log, req); // "Global function kit_cong_avoid() doesn't return scalar. Only those are supported."
 */
export function logMainFuncArgs(log: VerifierLog, req: CheckedRequest): void {
  // `bpf_log`: at every level but 0 (a successful pass erases it again at levels 1 and stats).
  if (log.level === 0) return;
  const fi = req.funcInfo?.[0];
  const btf = req.btf;
  if (fi === undefined || btf === undefined || fi.insnOff !== 0 || fi.linkage !== BTF_FUNC_GLOBAL) return;
  const fn = btf.type(fi.typeId);
  if (fn?.kind !== 'FUNC') return;
  const complaint = mainFuncComplaint(btf, fn);
  if (complaint !== undefined) log.line(complaint);
}
