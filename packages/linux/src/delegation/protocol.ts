// The harness's private wire format between the parent (init userns) and the child entry.
// Child → parent: JSON lines on the child's fd 4 (a pipe). Parent → child: one-byte
// SOCK_SEQPACKET messages on fd 3, carrying an fd (SCM_RIGHTS) where noted.

/** fd numbers in the child, fixed by the spawn stdio array. */
export const CHILD_SOCK_FD = 3;
export const CHILD_EVENTS_FD = 4;

/** Parent → child bytes. */
export const MSG_MAPPED = 0x4d; // 'M': uid_map/gid_map are written (read by the shell wrapper)
export const MSG_MOUNT = 0x46; // 'F': carries the fsmount() fd
/** Child → parent byte carrying the fsopen() fd. */
export const MSG_FSCTX = 0x53; // 'S'

/** Env var through which the parent tells the child what to run. */
export const CHILD_SPEC_ENV = 'BPFKIT_DELEGATION_SPEC';

/** What the child entry needs to know, JSON in {@link CHILD_SPEC_ENV}. */
export interface ChildSpec {
  readonly moduleUrl: string;
  readonly args: unknown;
  readonly mountAt?: string;
  readonly cacheDir?: string;
  readonly compiler?: string;
}

/** A serialised error thrown by the child's module (or by the child entry itself). */
export interface ChildError {
  readonly name: string;
  readonly message: string;
  readonly code?: string;
  readonly reason?: string;
  readonly stack?: string;
  /** Where it failed: `setup` (before the module ran) or `module`. */
  readonly stage: 'setup' | 'module';
}

export type ChildEvent =
  | { readonly t: 'hello' }
  | { readonly t: 'fsctx' }
  | { readonly t: 'result'; readonly ok: true; readonly value: unknown }
  | { readonly t: 'result'; readonly ok: false; readonly error: ChildError };

// Linux ABI numbers used on both sides.
export const FSOPEN_CLOEXEC = 0x1;
export const FSMOUNT_CLOEXEC = 0x1;
export const FSCONFIG_SET_STRING = 1;
export const FSCONFIG_CMD_CREATE = 6;
export const SOCK_SEQPACKET = 5;
export const SOCK_CLOEXEC = 0o2000000;
export const MSG_DONTWAIT = 0x40;

/** A JS string as the NUL-terminated bytes the bridge takes. */
export function cstr(s: string): Uint8Array {
  return new TextEncoder().encode(`${s}\0`);
}
