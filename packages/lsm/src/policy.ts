import {
  BpfError,
  type BpfTokenInfo,
  type Credentials,
  type LsmBpfObject,
  type LsmDenial,
  type LsmVerdict,
  type SecurityModule,
  type UserNamespace,
} from '@bpfkit/kernel-api';

/**
 * What a policy hook returns: nothing, `true` or {@link allow} to allow;
 * `false` (EPERM) or {@link deny} to refuse.
 */
// eslint-disable-next-line @typescript-eslint/no-invalid-void-type -- a hook body that returns nothing allows
export type PolicyResult = LsmDenial | boolean | undefined | void;

/** Every hook sees who is asking. */
export interface PolicyContext {
  readonly cred: Credentials;
}

/**
 * A security policy written in TypeScript. Each hook takes one context object
 * and is optional; a missing hook allows. A hook that throws denies (EPERM):
 * a broken policy fails closed.
 */
export interface BpfPolicy {
  /** Shown in denials and traces; default `policy`. */
  readonly name?: string;
  /** `security_capable`, after commoncap has granted `cap` over `ns`. */
  capable?(ctx: PolicyContext & { readonly ns: UserNamespace; readonly cap: number }): PolicyResult;
  /** `security_bpf`: every bpf() command before it runs. */
  bpf?(ctx: PolicyContext & { readonly cmd: number; readonly attr: Uint8Array; readonly kernel: boolean }): PolicyResult;
  /** `security_bpf_map_create`; `token` is undefined when none was used. */
  mapCreate?(ctx: PolicyContext & { readonly map: LsmBpfObject; readonly token: BpfTokenInfo | undefined; readonly kernel: boolean }): PolicyResult;
  /** `security_bpf_prog_load`; `prog.attachType` is the fixed-up expected attach type. */
  progLoad?(ctx: PolicyContext & { readonly prog: LsmBpfObject; readonly token: BpfTokenInfo | undefined; readonly kernel: boolean }): PolicyResult;
  /** `security_bpf_token_create`: the last check of BPF_TOKEN_CREATE. */
  tokenCreate?(ctx: PolicyContext & { readonly token: BpfTokenInfo }): PolicyResult;
  /** `security_bpf_token_cmd`: a denial makes the kernel ignore the token. */
  tokenCmd?(ctx: PolicyContext & { readonly token: BpfTokenInfo; readonly cmd: number }): PolicyResult;
  /** `security_bpf_token_capable`: a denial means the token grants no `cap`. */
  tokenCapable?(ctx: PolicyContext & { readonly token: BpfTokenInfo; readonly cap: number }): PolicyResult;
  /** `security_path_permission(MAY_ACCESS)` on the bpffs at token creation. */
  pathPermission?(ctx: PolicyContext & { readonly path: string }): PolicyResult;
  mapFree?(ctx: { readonly map: LsmBpfObject }): void;
  progFree?(ctx: { readonly prog: LsmBpfObject }): void;
  tokenFree?(ctx: { readonly token: BpfTokenInfo }): void;
}

const POLICY_KEYS = new Set([
  'name', 'capable', 'bpf', 'mapCreate', 'progLoad', 'tokenCreate', 'tokenCmd', 'tokenCapable', 'pathPermission',
  'mapFree', 'progFree', 'tokenFree',
]);

function verdictOf(name: string, hook: string, run: () => PolicyResult): LsmVerdict {
  let result: PolicyResult;
  try {
    result = run();
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    return { errno: 'EPERM', message: `policy '${name}' failed in ${hook} (${why}): denied`, module: name };
  }
  if (result === undefined || result === true) return undefined;
  if (result === false) return { errno: 'EPERM', message: `policy '${name}' refused ${hook}`, module: name };
  return { ...result, module: name };
}

/**
 * Turns a policy written as plain functions into a {@link SecurityModule} to
 * stack with `createSecurityStack`.
 *
 * @example
 * import { BpfProgType } from '@bpfkit/uapi';
 * const xdpOnly = createPolicyModule({
 *   name: 'xdp-only',
 *   progLoad: ({ prog, token }) =>
 *     token === undefined || prog.type === BpfProgType.BPF_PROG_TYPE_XDP
 *       ? allow
 *       : deny('EPERM', 'containers may load only xdp'),
 * });
 * const lsm = createSecurityStack([xdpOnly]);
 */
export function createPolicyModule(policy: BpfPolicy): SecurityModule {
  for (const key of Object.keys(policy)) {
    if (!POLICY_KEYS.has(key)) throw new BpfError('EINVAL', 'lsm:unknown-hook', `policy: '${key}' is not a policy hook`);
  }
  const name = policy.name ?? 'policy';
  const p = policy;
  const module: { -readonly [K in keyof SecurityModule]: SecurityModule[K] } = { name };
  if (p.capable) {
    const f = p.capable.bind(p);
    module.capable = (cred, ns, cap) => verdictOf(name, 'capable', () => f({ cred, ns, cap }));
  }
  if (p.bpf) {
    const f = p.bpf.bind(p);
    module.bpf = (cred, cmd, attr, kernel) => verdictOf(name, 'bpf', () => f({ cred, cmd, attr, kernel }));
  }
  if (p.mapCreate) {
    const f = p.mapCreate.bind(p);
    module.bpfMapCreate = (cred, map, token, kernel) => verdictOf(name, 'mapCreate', () => f({ cred, map, token, kernel }));
  }
  if (p.progLoad) {
    const f = p.progLoad.bind(p);
    module.bpfProgLoad = (cred, prog, token, kernel) => verdictOf(name, 'progLoad', () => f({ cred, prog, token, kernel }));
  }
  if (p.tokenCreate) {
    const f = p.tokenCreate.bind(p);
    module.bpfTokenCreate = (cred, token) => verdictOf(name, 'tokenCreate', () => f({ cred, token }));
  }
  if (p.tokenCmd) {
    const f = p.tokenCmd.bind(p);
    module.bpfTokenCmd = (cred, token, cmd) => verdictOf(name, 'tokenCmd', () => f({ cred, token, cmd }));
  }
  if (p.tokenCapable) {
    const f = p.tokenCapable.bind(p);
    module.bpfTokenCapable = (cred, token, cap) => verdictOf(name, 'tokenCapable', () => f({ cred, token, cap }));
  }
  if (p.pathPermission) {
    const f = p.pathPermission.bind(p);
    module.pathPermission = (cred, path) => verdictOf(name, 'pathPermission', () => f({ cred, path }));
  }
  if (p.mapFree) {
    const f = p.mapFree.bind(p);
    module.bpfMapFree = (map) => {
      f({ map });
    };
  }
  if (p.progFree) {
    const f = p.progFree.bind(p);
    module.bpfProgFree = (prog) => {
      f({ prog });
    };
  }
  if (p.tokenFree) {
    const f = p.tokenFree.bind(p);
    module.bpfTokenFree = (token) => {
      f({ token });
    };
  }
  return module;
}
