import { BpfError, type CtxAccessResult, type HelperPrivileges, type ProgAttachInfo, type ProgCapability, type ProgTypeDescriptor } from '@bpfkit/kernel-api';
import { bpfProgTypeTable, enumShortName } from '@bpfkit/uapi';
import { readInsideCtx } from './ctx-access.js';
import { helperAllowed } from './helpers.js';

/** Context size assumed for program types whose struct is not modelled. */
export const DEFAULT_CTX_SIZE = 256;
/** `BTF_MAX_TYPE`. */
const BTF_MAX_TYPE = 0x000fffff;
/** Program types whose load may name a BTF attach target (`attach_btf_id`). */
const BTF_ATTACH_TYPES = new Set([26, 27, 28, 29]);

/** What one prog-type file declares. */
export interface ProgTypeSpec {
  readonly type: number;
  /** Capabilities beyond the sysctl check; socket_filter and cgroup_skb need none. */
  readonly capabilities: readonly ProgCapability[];
  /** False when the reference kernel was built without the type. */
  readonly supported?: boolean;
  /** Attach types `bpf_prog_load_check_attach` accepts; undefined accepts any, `[0]` only 0. */
  readonly attachTypes?: readonly number[];
  /** `bpf_prog_load_fixup_attach_type`. */
  readonly fixupAttachType?: (expectedAttachType: number) => number;
  /** Helper table row used when the type itself was not measured (e.g. lsm → tracing). */
  readonly helperFallback?: string;
  /** `check_return_code` range per attach type; undefined when any value is fine. */
  readonly returnRange?: (expectedAttachType: number) => { readonly min: number; readonly max: number } | undefined;
  /** `is_valid_access` of the type's context struct; undefined: aligned reads inside `ctxSize` bytes. */
  readonly isValidAccess?: (off: number, size: number, write: boolean, expectedAttachType: number, privileges: HelperPrivileges) => CtxAccessResult;
  /** Size of the context struct when no `isValidAccess` is given (default 256). */
  readonly ctxSize?: number;
}

function refuse(message: string): never {
  throw new BpfError('EINVAL', 'verifier:bad-attach', message);
}

/** `bpf_prog_load_check_attach` for the BTF part, shared by every type. */
function checkBtfAttach(type: number, attach: ProgAttachInfo): void {
  if (attach.attachBtfId !== 0) {
    if (attach.attachBtfId > BTF_MAX_TYPE) refuse('attach_btf_id is above BTF_MAX_TYPE');
    if (!attach.hasAttachBtf && !attach.hasDstProg) refuse('attach_btf_id without a BTF object or target program');
    if (!BTF_ATTACH_TYPES.has(type)) refuse('only tracing, lsm, struct_ops and ext programs take attach_btf_id');
  }
  if (attach.hasAttachBtf && (attach.attachBtfId === 0 || attach.hasDstProg)) refuse('attach_btf_obj_fd needs attach_btf_id and no target program');
  if (attach.hasDstProg && type !== 26 && type !== 28) refuse('only tracing and ext programs take attach_prog_fd');
}

/** Freezes a spec into a {@link ProgTypeDescriptor}. */
export function defineProgType(spec: ProgTypeSpec): ProgTypeDescriptor {
  const name = enumShortName(bpfProgTypeTable, spec.type) ?? `type${String(spec.type)}`;
  return Object.freeze({
    type: spec.type,
    name,
    capabilities: Object.freeze([...spec.capabilities]),
    supported: spec.supported ?? true,
    fixupAttachType: spec.fixupAttachType ?? ((eat: number) => eat),
    checkAttach(expectedAttachType: number, attach: ProgAttachInfo): void {
      checkBtfAttach(spec.type, attach);
      if (spec.attachTypes !== undefined && !spec.attachTypes.includes(expectedAttachType)) {
        refuse(`${name} programs cannot have expected_attach_type ${String(expectedAttachType)}`);
      }
    },
    isHelperAllowed: (funcId: number, eat: number, privileges: HelperPrivileges) => helperAllowed(spec.type, eat, funcId, privileges, spec.helperFallback),
    returnRange: spec.returnRange ?? (() => undefined),
    isValidAccess: spec.isValidAccess ?? readInsideCtx(spec.ctxSize ?? DEFAULT_CTX_SIZE),
  });
}
