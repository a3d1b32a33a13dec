import type { ErrnoName } from '@bpfkit/uapi';
import type { Credentials, UserNamespace } from './creds.js';
import type { BpfTokenInfo } from './token.js';

/** A denial from a security module; `undefined` means "allowed". */
export interface LsmDenial {
  readonly errno: ErrnoName;
  /** Why, for `token explain` (the kernel itself says nothing). */
  readonly message?: string;
  /** The module that denied; the stack fills it in when a hook leaves it out. */
  readonly module?: string;
}

/** What a hook returns: `undefined` to allow, a denial to refuse. */
export type LsmVerdict = LsmDenial | undefined;

/** The object a map/prog hook sees. */
export interface LsmBpfObject {
  readonly kind: 'map' | 'prog';
  /** Map type or prog type number. */
  readonly type: number;
  /** For programs: `expected_attach_type` after the kernel's fix-ups. */
  readonly attachType?: number;
  readonly name: string;
}

/**
 * One Linux security module: the BPF-related hooks of `security/security.c`.
 * Every hook is optional; a missing hook allows. Hooks run in stack order and
 * the first denial wins, as `call_int_hook` does.
 */
export interface SecurityModule {
  readonly name: string;
  /** `security_capable`: runs after commoncap's own check has passed. */
  capable?(cred: Credentials, ns: UserNamespace, cap: number): LsmVerdict;
  /** `security_bpf`: every bpf() call, before the command runs. */
  bpf?(cred: Credentials, cmd: number, attr: Uint8Array, kernel: boolean): LsmVerdict;
  /** `security_bpf_map_create`: the token is `undefined` when none was used (or it was dropped). */
  bpfMapCreate?(cred: Credentials, map: LsmBpfObject, token: BpfTokenInfo | undefined, kernel: boolean): LsmVerdict;
  /** `security_bpf_prog_load`. */
  bpfProgLoad?(cred: Credentials, prog: LsmBpfObject, token: BpfTokenInfo | undefined, kernel: boolean): LsmVerdict;
  /** `security_bpf_token_create`: the last check of BPF_TOKEN_CREATE. */
  bpfTokenCreate?(cred: Credentials, token: BpfTokenInfo): LsmVerdict;
  /** `security_bpf_token_cmd`: inside `bpf_token_allow_cmd`; a denial silently drops the token. */
  bpfTokenCmd?(cred: Credentials, token: BpfTokenInfo, cmd: number): LsmVerdict;
  /** `security_bpf_token_capable`: after the namespace check passed, with a token only. */
  bpfTokenCapable?(cred: Credentials, token: BpfTokenInfo, cap: number): LsmVerdict;
  /** `security_path_permission`-like check on the bpffs path at token creation (MAY_ACCESS). */
  pathPermission?(cred: Credentials, path: string): LsmVerdict;
  bpfMapFree?(map: LsmBpfObject): void;
  bpfProgFree?(prog: LsmBpfObject): void;
  bpfTokenFree?(token: BpfTokenInfo): void;
}

/** Hook names, for iteration and tracing. */
export type LsmHookName = Exclude<keyof SecurityModule, 'name'>;

/** The stacked modules, called in order; first denial wins. */
export interface SecurityStack {
  readonly modules: readonly SecurityModule[];
  capable(cred: Credentials, ns: UserNamespace, cap: number): LsmVerdict;
  bpf(cred: Credentials, cmd: number, attr: Uint8Array, kernel: boolean): LsmVerdict;
  bpfMapCreate(cred: Credentials, map: LsmBpfObject, token: BpfTokenInfo | undefined, kernel: boolean): LsmVerdict;
  bpfProgLoad(cred: Credentials, prog: LsmBpfObject, token: BpfTokenInfo | undefined, kernel: boolean): LsmVerdict;
  bpfTokenCreate(cred: Credentials, token: BpfTokenInfo): LsmVerdict;
  bpfTokenCmd(cred: Credentials, token: BpfTokenInfo, cmd: number): LsmVerdict;
  bpfTokenCapable(cred: Credentials, token: BpfTokenInfo, cap: number): LsmVerdict;
  pathPermission(cred: Credentials, path: string): LsmVerdict;
  bpfMapFree(map: LsmBpfObject): void;
  bpfProgFree(prog: LsmBpfObject): void;
  bpfTokenFree(token: BpfTokenInfo): void;
}
