import { BpfError, isBpfError } from '@bpfkit/kernel-api';
import { Errno, type ErrnoName } from '@bpfkit/uapi';
import { bpfTokenCreate } from './commands/btf.js';
import type { LibbpfHost } from './host.js';

/** libbpf's `BPF_FS_DEFAULT_PATH`. */
export const BPF_FS_DEFAULT_PATH = '/sys/fs/bpf';
const O_DIRECTORY = 0o200000;

/** Where a token comes from: libbpf 1.5+'s rule. */
export interface TokenSource {
  /** The bpffs path to use, or undefined when tokens are off (`''`). */
  readonly path: string | undefined;
  /** True when the path was asked for (option or environment): then a failure is an error. */
  readonly mandatory: boolean;
}

/**
 * Resolves the token path as libbpf does: `tokenPath` option, else
 * `LIBBPF_BPF_TOKEN_PATH`, else `/sys/fs/bpf`; an empty string disables tokens.
 *
 * @example
 * resolveTokenPath({ env: { LIBBPF_BPF_TOKEN_PATH: '' } }); // { path: undefined, mandatory: true }
 */
export function resolveTokenPath(opts: { readonly tokenPath?: string | undefined; readonly env?: Readonly<Record<string, string | undefined>> | undefined }): TokenSource {
  const asked = opts.tokenPath ?? opts.env?.LIBBPF_BPF_TOKEN_PATH;
  if (asked === '') return { path: undefined, mandatory: true };
  if (asked !== undefined) return { path: asked, mandatory: true };
  return { path: BPF_FS_DEFAULT_PATH, mandatory: false };
}

/**
 * Creates the object's BPF token (libbpf `bpf_object_prepare_token`): opens the bpffs
 * path and calls BPF_TOKEN_CREATE. With the default path every failure is silent (no
 * token); with an asked-for path it throws the failure.
 *
 * @example
 * const tokenFd = prepareToken(task, resolveTokenPath({ tokenPath: '/run/bpffs' })); // fd, or throws
 */
export function prepareToken(host: LibbpfHost, source: TokenSource): number | undefined {
  if (source.path === undefined) return undefined;
  const path = source.path;
  const fail = (e: unknown, what: string): number | undefined => {
    if (!source.mandatory) return undefined;
    if (isBpfError(e)) throw new BpfError(e.code, e.reason, `failed to ${what} BPF token path '${path}': ${e.message}`, { cause: e });
    const code = e instanceof Error && 'code' in e && typeof e.code === 'string' && e.code in Errno ? (e.code as ErrnoName) : 'EINVAL';
    throw new BpfError(code, 'libbpf:token-path', `failed to ${what} BPF token path '${path}': ${String(e)}`, { cause: e });
  };
  if (host.open === undefined) {
    return fail(new BpfError('EOPNOTSUPP', 'libbpf:no-open', 'the host cannot open paths'), 'open');
  }
  let bpffsFd: number;
  try {
    bpffsFd = host.open(path, O_DIRECTORY);
  } catch (e) {
    return fail(e, 'open');
  }
  try {
    return bpfTokenCreate(host, bpffsFd);
  } catch (e) {
    return fail(e, 'create a token from');
  } finally {
    host.close(bpffsFd);
  }
}
