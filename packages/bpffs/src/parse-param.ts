import {
  BpfError,
  INVALID_ID,
  NO_TRACE,
  S_IALLUGO,
  type CapabilityChecker,
  type Credentials,
  type DelegateKind,
  type FsContext,
  type FsParameter,
  type Tracer,
  type UserNamespaces,
} from '@bpfkit/kernel-api';
import { Capability } from '@bpfkit/uapi';
import { parseDelegateOption } from './delegate-option.js';
import { fsParse, invalfc, parseSourceParam, type FsParameterSpec } from './fs-parser.js';
import { contextOptions } from './mount-opts.js';

type Opt = 'uid' | 'gid' | 'mode' | DelegateKind;

/** `bpf_fs_parameters`: uid/gid are `fsparam_u32` (base 0), mode `fsparam_u32oct`, delegate_* strings. */
export const BPF_FS_PARAMETERS: readonly FsParameterSpec<Opt>[] = [
  { name: 'uid', type: 'u32', opt: 'uid' },
  { name: 'gid', type: 'u32', opt: 'gid' },
  { name: 'mode', type: 'u32oct', opt: 'mode' },
  { name: 'delegate_cmds', type: 'string', opt: 'cmds' },
  { name: 'delegate_maps', type: 'string', opt: 'maps' },
  { name: 'delegate_progs', type: 'string', opt: 'progs' },
  { name: 'delegate_attachs', type: 'string', opt: 'attachs' },
];

/** What `bpf_parse_param` needs from the rest of the kernel. */
export interface ParseParamDeps {
  readonly userNamespaces: UserNamespaces;
  readonly capabilities: CapabilityChecker;
  readonly tracer?: Tracer;
}

/**
 * `bpf_parse_param`: one fsconfig()/mount(2) option, run as `caller`.
 * Unknown keys are ignored (after the VFS's `source` handling); uid/gid are
 * read in the caller's userns and must map into the fs_context's; a nonzero
 * delegate mask needs `capable(CAP_SYS_ADMIN)` (init userns, effective set) of
 * the caller, checked after the value parsed.
 */
export function bpfParseParam(deps: ParseParamDeps, ctx: FsContext, param: FsParameter, caller: Credentials): void {
  const opts = contextOptions(ctx);
  const result = fsParse(ctx, BPF_FS_PARAMETERS, param);
  if (result === undefined) {
    // Traditionally bpffs ignored every unknown option, and still does.
    parseSourceParam(ctx, param);
    return;
  }
  const tracer = deps.tracer ?? NO_TRACE;
  switch (result.opt) {
    case 'uid':
    case 'gid': {
      const kind = result.opt;
      const kid = deps.userNamespaces.mapDown(caller.userNs, kind, result.uint32);
      // The id must exist in the caller's userns and be representable in the file system's.
      if (kid === INVALID_ID || deps.userNamespaces.mapUp(ctx.userNs, kind, kid) === INVALID_ID) {
        throw invalfc(ctx, `bpffs:unmapped-${kind}`, `Bad value for '${param.key}'`);
      }
      if (kind === 'uid') opts.uid = kid;
      else opts.gid = kid;
      return;
    }
    case 'mode':
      opts.mode = result.uint32 & S_IALLUGO;
      return;
    case 'cmds':
    case 'maps':
    case 'progs':
    case 'attachs': {
      const kind = result.opt;
      const value = result.string;
      const mask = parseDelegateOption(kind, value);
      if (mask !== 0n) {
        const ok = deps.capabilities.nsCapable(caller, deps.userNamespaces.init, Capability.CAP_SYS_ADMIN, tracer);
        tracer.step({
          check: 'bpffs:delegate-needs-capable',
          outcome: ok ? 'pass' : 'fail',
          detail: `delegate_${kind}=${value} needs CAP_SYS_ADMIN in the initial user namespace (capable()): ${ok ? 'held' : 'missing'} in the caller`,
          ...(ok ? {} : { errno: 'EPERM' as const, hint: 'only a process with CAP_SYS_ADMIN in the init userns may set delegate_* options' }),
        });
        if (!ok) {
          throw new BpfError('EPERM', 'bpffs:delegate-needs-cap-sys-admin', `setting delegate_${kind} needs CAP_SYS_ADMIN in the initial user namespace`);
        }
      }
      opts.delegate[kind] |= mask;
      return;
    }
  }
}
