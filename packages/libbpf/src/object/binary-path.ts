import { BpfError, isBpfError } from '@bpfkit/kernel-api';
import type { LibbpfHost } from '../host.js';

/** `access(2)` modes. */
const R_OK = 4;
const X_OK = 1;
/** libbpf's `arch_specific_lib_paths()` on x86-64. */
const ARCH_LIB_PATH = '/lib/x86_64-linux-gnu';

/**
 * libbpf's `resolve_full_path` for a uprobe binary named without a `/`: a shared
 * library (`.so` at the end, or `.so.` inside) is looked for, readable, in
 * `LD_LIBRARY_PATH`, `/usr/lib64:/usr/lib` and the architecture's library folder; anything
 * else, readable and executable, in `PATH` then `/usr/bin:/usr/sbin`. The first hit
 * (`faccessat(AT_EACCESS)` through `host.access`) wins; none is ENOENT. Environment
 * variables come from `host.getenv` (unset without it).
 *
 * @example
 * resolveFullPath(host, 'libc.so.6'); // '/lib/x86_64-linux-gnu/libc.so.6'
 */
export function resolveFullPath(host: LibbpfHost, file: string): string {
  const access = host.access?.bind(host);
  if (access === undefined) throw new BpfError('EOPNOTSUPP', 'libbpf:host-cannot', `this host has no access(): '${file}' cannot be searched for; give a path`);
  const lib = file.endsWith('.so') || file.includes('.so.');
  const lists = lib
    ? [host.getenv?.('LD_LIBRARY_PATH'), '/usr/lib64:/usr/lib', ARCH_LIB_PATH]
    : [host.getenv?.('PATH'), '/usr/bin:/usr/sbin'];
  const mode = lib ? R_OK : R_OK | X_OK;
  for (const list of lists) {
    if (list === undefined) continue;
    for (const dir of list.split(':')) {
      if (dir === '') continue;
      const candidate = `${dir}/${file}`;
      try {
        access(candidate, mode);
        return candidate;
      } catch (e) {
        if (!isBpfError(e)) throw e;
      }
    }
  }
  throw new BpfError('ENOENT', 'libbpf:binary-not-found', `failed to resolve full path for '${file}'`);
}
