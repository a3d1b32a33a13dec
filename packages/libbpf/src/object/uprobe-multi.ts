import { BpfError } from '@bpfkit/kernel-api';
import { BPF_F_UPROBE_MULTI_RETURN, BpfAttachType as A, BpfCmd, encodeAttr } from '@bpfkit/uapi';
import { withScratch } from '../commands/scratch.js';
import type { LibbpfHost } from '../host.js';
import { resolveFullPath } from './binary-path.js';
import type { MultiAttachProgram } from './kprobe-multi.js';
import { elfResolvePatternOffsets, elfResolveSymsOffsets } from './uprobe-elf-multi.js';

/** Options of a multi-uprobe attach (libbpf `struct bpf_uprobe_multi_opts`); the count is the length of the array given. */
export interface UprobeMultiOptions {
  /** Function names of the binary, instead of a pattern (resolved from its symbols). */
  readonly syms?: readonly string[];
  /** File offsets, instead of a pattern or names. */
  readonly offsets?: readonly bigint[];
  /** USDT semaphore offsets, one per probe. */
  readonly refCtrOffsets?: readonly bigint[];
  /** `bpf_get_attach_cookie()` of each probe. */
  readonly cookies?: readonly bigint[];
  /** A uretprobe on every function (`BPF_F_UPROBE_MULTI_RETURN`). */
  readonly retprobe?: boolean;
  /** A uprobe session (BPF_TRACE_UPROBE_SESSION: entry and, unless the program returns 1, return); not with `retprobe`. */
  readonly session?: boolean;
  /** Reads the binary to resolve names or a pattern (else `host.readBinary`). */
  readonly readBinary?: (path: string) => Uint8Array;
}

const KNOWN = new Set(['syms', 'offsets', 'refCtrOffsets', 'cookies', 'retprobe', 'session', 'readBinary']);

function invalid(p: MultiAttachProgram, why: string): BpfError {
  return new BpfError('EINVAL', 'libbpf:uprobe-multi-opts', `prog '${p.name}': ${why}`);
}

function u64Array(values: readonly bigint[]): Uint8Array {
  const out = new Uint8Array(values.length * 8);
  const v = new DataView(out.buffer);
  values.forEach((x, i) => { v.setBigUint64(i * 8, BigInt.asUintN(64, x), true); });
  return out;
}

function reader(host: LibbpfHost, p: MultiAttachProgram, opts: UprobeMultiOptions, path: string): Uint8Array {
  const read = opts.readBinary ?? host.readBinary?.bind(host);
  if (read === undefined) throw new BpfError('EOPNOTSUPP', 'libbpf:attach-unsupported', `prog '${p.name}': reading ${path} to find its functions needs opts.readBinary`);
  return read(path);
}

/**
 * `bpf_program__attach_uprobe_multi`: one BPF_LINK_CREATE (BPF_TRACE_UPROBE_MULTI) on
 * many places of the binary at `path`, for process `pid` (-1 every process, 0 the
 * caller), named by a glob `funcPattern` (the functions of the ELF's `.symtab`, else
 * `.dynsym`; a path without `/` is searched as libbpf's `resolve_full_path` does) or by
 * `opts.syms` / `opts.offsets`. A pattern with arrays, names with offsets, neither, arrays
 * of other lengths, or a program not loaded are EINVAL. Returns the link fd.
 *
 * @example
 * const fd = attachUprobeMulti(host, prog, -1, '/usr/bin/bash', 'readline*', { readBinary: (p) => readFileSync(p) });
 */
export function attachUprobeMulti(host: LibbpfHost, p: MultiAttachProgram, pid: number, path: string, funcPattern: string | undefined, opts: UprobeMultiOptions = {}): number {
  for (const k of Object.keys(opts)) if (!KNOWN.has(k)) throw new TypeError(`attachUprobeMulti: unknown option ${k}`);
  if (p.fd < 0) throw new BpfError('EINVAL', 'libbpf:prog-not-loaded', `prog '${p.name}': can't attach BPF program without FD (was it loaded?)`);
  const { syms, offsets, refCtrOffsets, cookies } = opts;
  const cnt = syms?.length ?? offsets?.length ?? 0;
  if (funcPattern === undefined && cnt === 0) throw invalid(p, 'a pattern, syms or offsets is needed');
  if (funcPattern !== undefined && (syms !== undefined || offsets !== undefined || refCtrOffsets !== undefined || cookies !== undefined)) {
    throw invalid(p, 'a pattern excludes syms, offsets, refCtrOffsets and cookies');
  }
  if (funcPattern === undefined && (syms === undefined) === (offsets === undefined)) throw invalid(p, 'give syms or offsets, not both');
  for (const [what, a] of [['cookies', cookies], ['refCtrOffsets', refCtrOffsets]] as const) {
    if (a !== undefined && a.length !== cnt) throw invalid(p, `${a.length} ${what} for ${cnt} probes`);
  }
  if (opts.retprobe === true && opts.session === true) throw invalid(p, 'a session is not a retprobe');
  if (!Number.isInteger(pid) || pid < -1) throw invalid(p, `pid ${pid} is not -1, 0 or a process`);
  let binary = path;
  let resolved = offsets;
  if (funcPattern !== undefined) {
    if (!binary.includes('/')) binary = resolveFullPath(host, binary);
    resolved = elfResolvePatternOffsets(reader(host, p, opts, binary), binary, funcPattern);
  } else if (syms !== undefined) {
    resolved = elfResolveSymsOffsets(reader(host, p, opts, binary), binary, syms);
  }
  let filter = pid;
  if (filter === 0) {
    if (host.getpid === undefined) throw new BpfError('EOPNOTSUPP', 'libbpf:host-cannot', `prog '${p.name}': this host has no getpid() for pid 0`);
    filter = host.getpid();
  }
  const all = resolved ?? [];
  return withScratch(host, (s) => host.bpf(BpfCmd.BPF_LINK_CREATE, encodeAttr(BpfCmd.BPF_LINK_CREATE, {
    prog_fd: p.fd, target_fd: 0, attach_type: opts.session === true ? A.BPF_TRACE_UPROBE_SESSION : A.BPF_TRACE_UPROBE_MULTI,
    'uprobe_multi.path': s.cString(binary),
    'uprobe_multi.offsets': s.alloc(u64Array(all)),
    'uprobe_multi.ref_ctr_offsets': refCtrOffsets === undefined ? 0n : s.alloc(u64Array(refCtrOffsets)),
    'uprobe_multi.cookies': cookies === undefined ? 0n : s.alloc(u64Array(cookies)),
    'uprobe_multi.cnt': all.length,
    'uprobe_multi.flags': opts.retprobe === true ? BPF_F_UPROBE_MULTI_RETURN : 0,
    'uprobe_multi.pid': filter > 0 ? filter : 0,
  })));
}

/**
 * libbpf's `attach_uprobe_multi` for `u[ret]probe.multi[.s]/<path>:<pattern>` and
 * `uprobe.session[.s]/<path>:<pattern>` sections:
 * undefined for a section without a path (nothing to auto-attach), EINVAL for a path without `:<pattern>`.
 */
export function attachUprobeMultiSection(host: LibbpfHost, p: MultiAttachProgram & { readonly section: string }, readBinary: ((path: string) => Uint8Array) | undefined): number | undefined {
  const m = /^([^/]+)(?:\/([^:]+)(?::([^\n]+))?)?/.exec(p.section);
  const [, probeType = '', path, pattern] = m ?? [];
  // sscanf("%m[^/]/%m[^:]:%m[^\n]") read only the probe type: nothing to auto-attach.
  if (path === undefined) return undefined;
  if (pattern === undefined) throw new BpfError('EINVAL', 'libbpf:bad-uprobe-multi-section', `prog '${p.name}': invalid format of section definition '${p.section}'`);
  return attachUprobeMulti(host, p, -1, path, pattern, {
    retprobe: probeType.startsWith('uretprobe.multi'), session: probeType.startsWith('uprobe.session'), ...(readBinary === undefined ? {} : { readBinary }),
  });
}
