import { BpfError, isBpfError } from '@bpfkit/kernel-api';
import { BPF_F_KPROBE_MULTI_RETURN, BpfAttachType as A, BpfCmd, encodeAttr } from '@bpfkit/uapi';
import { withScratch } from '../commands/scratch.js';
import type { LibbpfHost } from '../host.js';
import { resolveKprobeMultiPattern } from './kprobe-resolve.js';

/** Options of a multi-kprobe attach (libbpf `struct bpf_kprobe_multi_opts`); the count is the length of the array given. */
export interface KprobeMultiOptions {
  /** Kernel function names, instead of a pattern (the kernel resolves them). */
  readonly syms?: readonly string[];
  /** Kernel addresses, instead of a pattern or names. */
  readonly addrs?: readonly bigint[];
  /** `bpf_get_attach_cookie()` of each function, in the order of `syms` or `addrs`. */
  readonly cookies?: readonly bigint[];
  /** A kretprobe on every function (`BPF_F_KPROBE_MULTI_RETURN`). */
  readonly retprobe?: boolean;
  /** With a pattern: exactly one function must match (EINVAL otherwise). */
  readonly uniqueMatch?: boolean;
  /** A kprobe session (BPF_TRACE_KPROBE_SESSION: the program runs at entry and, unless it returns 1, at return); not with `retprobe`. */
  readonly session?: boolean;
}

/** What the attach needs of a program. */
export interface MultiAttachProgram {
  readonly name: string;
  readonly fd: number;
}

const KNOWN = new Set(['syms', 'addrs', 'cookies', 'retprobe', 'uniqueMatch', 'session']);

function invalid(p: MultiAttachProgram, why: string): BpfError {
  return new BpfError('EINVAL', 'libbpf:kprobe-multi-opts', `prog '${p.name}': ${why}`);
}

function u64Array(values: readonly bigint[]): Uint8Array {
  const out = new Uint8Array(values.length * 8);
  const v = new DataView(out.buffer);
  values.forEach((x, i) => { v.setBigUint64(i * 8, BigInt.asUintN(64, x), true); });
  return out;
}

/**
 * `bpf_program__attach_kprobe_multi_opts`: one BPF_LINK_CREATE (BPF_TRACE_KPROBE_MULTI)
 * on many kernel functions, named by a glob `pattern` (resolved as
 * {@link resolveKprobeMultiPattern} does; a pattern without `*` or `?` is passed to the
 * kernel as one name) or by `opts.syms` / `opts.addrs`. Pattern and arrays together, names
 * and addresses together, neither, cookies of another length, or a program not loaded
 * are EINVAL; a name the kernel cannot find (its ESRCH) is ENOENT, as libbpf reports it.
 * Kernels without `CONFIG_FPROBE` refuse the link with EOPNOTSUPP. Returns the link fd.
 *
 * @example
 * const fd = attachKprobeMulti(host, prog, 'do_sys_open*', { retprobe: true });
 */
export function attachKprobeMulti(host: LibbpfHost, p: MultiAttachProgram, pattern: string | undefined, opts: KprobeMultiOptions = {}): number {
  for (const k of Object.keys(opts)) if (!KNOWN.has(k)) throw new TypeError(`attachKprobeMulti: unknown option ${k}`);
  if (p.fd < 0) throw new BpfError('EINVAL', 'libbpf:prog-not-loaded', `prog '${p.name}': can't attach BPF program without FD (was it loaded?)`);
  const { syms, addrs, cookies } = opts;
  if (pattern === undefined && addrs === undefined && syms === undefined) throw invalid(p, 'a pattern, syms or addrs is needed');
  if (pattern !== undefined && (addrs !== undefined || syms !== undefined || cookies !== undefined)) throw invalid(p, 'a pattern excludes syms, addrs and cookies');
  const cnt = syms?.length ?? addrs?.length ?? 0;
  if (pattern === undefined && cnt === 0) throw invalid(p, 'syms or addrs must not be empty');
  if (pattern === undefined && opts.uniqueMatch === true) throw invalid(p, 'uniqueMatch needs a pattern');
  if (addrs !== undefined && syms !== undefined) throw invalid(p, 'syms and addrs exclude each other');
  if (cookies !== undefined && cookies.length !== cnt) throw invalid(p, `${cookies.length} cookies for ${cnt} functions`);
  let names = syms;
  let resolved = addrs;
  if (pattern !== undefined && !/[*?]/.test(pattern) && opts.uniqueMatch !== true) {
    names = [pattern];
  } else if (pattern !== undefined) {
    resolved = resolveKprobeMultiPattern(host, pattern);
    if (opts.uniqueMatch === true && resolved.length !== 1) {
      throw invalid(p, `failed to find a unique match for '${pattern}' (${resolved.length} matches)`);
    }
  }
  if (opts.retprobe === true && opts.session === true) throw invalid(p, 'a session is not a retprobe');
  const count = names?.length ?? resolved?.length ?? 0;
  try {
    return withScratch(host, (s) => {
      const symPtrs = names === undefined ? 0n : s.alloc(u64Array(names.map((n) => s.cString(n))));
      return host.bpf(BpfCmd.BPF_LINK_CREATE, encodeAttr(BpfCmd.BPF_LINK_CREATE, {
        prog_fd: p.fd, target_fd: 0, attach_type: opts.session === true ? A.BPF_TRACE_KPROBE_SESSION : A.BPF_TRACE_KPROBE_MULTI,
        'kprobe_multi.flags': opts.retprobe === true ? BPF_F_KPROBE_MULTI_RETURN : 0,
        'kprobe_multi.cnt': count,
        'kprobe_multi.syms': symPtrs,
        'kprobe_multi.addrs': resolved === undefined ? 0n : s.alloc(u64Array(resolved)),
        'kprobe_multi.cookies': cookies === undefined ? 0n : s.alloc(u64Array(cookies)),
      }));
    });
  } catch (e) {
    if (isBpfError(e) && e.code === 'ESRCH') {
      throw new BpfError('ENOENT', 'libbpf:kprobe-multi-no-symbol', `prog '${p.name}': failed to attach: a function is not in the kernel (${e.message})`, { cause: e });
    }
    throw e;
  }
}

/**
 * libbpf's `attach_kprobe_multi` and `attach_kprobe_session` for `kprobe.multi/<pattern>`,
 * `kretprobe.multi/<pattern>` and `kprobe.session/<pattern>` sections: the pattern is the
 * leading run of `[a-zA-Z0-9_.*?]` (none is EINVAL). Returns undefined for the bare
 * sections, which name nothing to auto-attach to.
 */
export function attachKprobeMultiSection(host: LibbpfHost, p: MultiAttachProgram & { readonly section: string }, kind: 'entry' | 'return' | 'session', rest: string): number | undefined {
  if (rest === '') return undefined;
  const m = /^[a-zA-Z0-9_.*?]+/.exec(rest);
  if (m === null) throw new BpfError('EINVAL', 'libbpf:bad-kprobe-multi-section', `prog '${p.name}': kprobe ${kind === 'session' ? 'session' : 'multi'} pattern is invalid: ${rest}`);
  return attachKprobeMulti(host, p, m[0], kind === 'session' ? { session: true } : { retprobe: kind === 'return' });
}
