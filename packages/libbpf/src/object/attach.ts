import { BpfError, isBpfError } from '@bpfkit/kernel-api';
import { BpfAttachType as A, BpfProgType as P } from '@bpfkit/uapi';
import { bpfLinkCreate } from '../commands/obj.js';
import { bpfRawTracepointOpen } from '../commands/link.js';
import type { LibbpfHost } from '../host.js';
import { attachKprobe, attachKsyscall, attachTracepoint, attachUprobe } from './attach-perf.js';
import { resolveFullPath } from './binary-path.js';
import { attachIter } from './iter.js';
import { attachKprobeMultiSection } from './kprobe-multi.js';
import { elfFindFuncOffset } from './uprobe-elf.js';
import { attachUprobeMultiSection } from './uprobe-multi.js';
import { attachUsdt, type UsdtManager } from './usdt.js';

/** What {@link attachFd} needs of a program. */
export interface AttachableProgram {
  readonly name: string;
  readonly section: string;
  readonly progType: number;
  readonly expectedAttachType: number;
  readonly fd: number;
  /** The object's USDT manager (its `__bpf_usdt_specs` map), made on first use; usdt sections need it. */
  readonly usdtManager?: () => UsdtManager;
}

/** Options of `BpfProgram.attach` (libbpf `bpf_trace_opts` / `bpf_raw_tracepoint_opts` / `bpf_tracepoint_opts` / `bpf_kprobe_opts`). */
export interface AttachOptions {
  /** `bpf_get_attach_cookie()` for tp_btf, fentry, fexit, fmod_ret, lsm, raw_tp, tracepoint, kprobe and uprobe programs. */
  readonly cookie?: bigint;
  /**
   * Reads a uprobe's binary (libbpf opens it itself; bpfkit's client reads no files of its
   * own): `uprobe/<path>:<function>` sections need it to find the function's file offset.
   */
  readonly readBinary?: (path: string) => Uint8Array;
}

/** What an attach made: the fd the link closes, and for perf-event attaches the event's fd (the same fd when attached by ioctl). */
export interface AttachResult {
  readonly fd: number;
  readonly perfFd?: number;
  /** Runs once the link's fds are closed (removes a legacy kprobe event). */
  readonly cleanup?: () => void;
}

/** `sec_name_match_prefix`: what follows `prefix/` in the section (`''` for the bare prefix), or undefined. */
function matchPrefix(section: string, prefixes: readonly string[]): string | undefined {
  for (const p of prefixes) {
    if (section === p) return '';
    if (section.startsWith(`${p}/`)) return section.slice(p.length + 1);
  }
  return undefined;
}

const RAW_TP_PREFIXES = ['raw_tp', 'raw_tracepoint', 'raw_tp.w', 'raw_tracepoint.w', 'raw_tp.s', 'raw_tracepoint.s'];
const TRACE_ATTACH = new Set<number>([A.BPF_TRACE_RAW_TP, A.BPF_TRACE_FENTRY, A.BPF_TRACE_FEXIT, A.BPF_MODIFY_RETURN]);
/** Section prefixes libbpf attaches by itself but bpfkit's client does not yet. */
const UNSUPPORTED = ['freplace'];

/** Reason of the EOPNOTSUPP for sections libbpf does not auto-attach (a skeleton's attach skips them). */
export const NO_AUTO_ATTACH = 'libbpf:no-auto-attach';

function noAutoAttach(p: AttachableProgram, why: string): never {
  throw new BpfError('EOPNOTSUPP', NO_AUTO_ATTACH, `prog '${p.name}' (section '${p.section}'): ${why}`);
}

function unsupported(p: AttachableProgram, why: string): never {
  throw new BpfError('EOPNOTSUPP', 'libbpf:attach-unsupported', `prog '${p.name}' (section '${p.section}'): ${why}`);
}

/**
 * `bpf_program__attach_btf_id`: BPF_LINK_CREATE with the program's expected attach type,
 * falling back to BPF_RAW_TRACEPOINT_OPEN on EINVAL without a cookie, as libbpf's
 * `bpf_link_create` does for kernels older than link-based tracing attach.
 */
function attachBtfId(host: LibbpfHost, p: AttachableProgram, cookie: bigint): number {
  try {
    return bpfLinkCreate(host, p.fd, 0, p.expectedAttachType, cookie === 0n ? {} : { cookie });
  } catch (e) {
    if (!isBpfError(e) || e.code !== 'EINVAL' || cookie !== 0n) throw e;
    return bpfRawTracepointOpen(host, p.fd);
  }
}

/**
 * libbpf's `attach_tp`: `tp/<category>/<name>` or `tracepoint/<category>/<name>` (a bare
 * `tp`/`tracepoint` has nothing to auto-attach; a name without its category is EINVAL).
 */
function attachTp(host: LibbpfHost, p: AttachableProgram, rest: string, cookie: bigint): AttachResult {
  if (rest === '') noAutoAttach(p, 'a bare tp/tracepoint section names no tracepoint to auto-attach to');
  const slash = rest.indexOf('/');
  if (slash < 0) throw new BpfError('EINVAL', 'libbpf:bad-tp-section', `prog '${p.name}': section '${p.section}' is not tp/<category>/<name>`);
  const a = attachTracepoint(host, p, rest.slice(0, slash), rest.slice(slash + 1), cookie);
  return { fd: a.fd, perfFd: a.perfFd };
}

/** `sscanf("%li")`: a C integer, decimal, hex (0x) or octal (0). */
const C_LONG = /^[-+]?(?:0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)/;

/**
 * libbpf's `attach_kprobe`: `kprobe/<func>[+<offset>]` or `kretprobe/<func>` (bare
 * sections have nothing to auto-attach; a name that does not start with
 * `[a-zA-Z0-9_.]` is EINVAL, as are a negative offset and a kretprobe offset).
 */
function attachKprobeSection(host: LibbpfHost, p: AttachableProgram, retprobe: boolean, rest: string, cookie: bigint): AttachResult {
  if (rest === '') noAutoAttach(p, `a bare ${retprobe ? 'kretprobe' : 'kprobe'} section names no function to auto-attach to`);
  const m = /^([a-zA-Z0-9_.]+)(.*)$/s.exec(rest);
  if (m === null) throw new BpfError('EINVAL', 'libbpf:bad-kprobe-section', `prog '${p.name}': kprobe name is invalid: ${rest}`);
  const func = m[1] ?? '';
  const tail = m[2] ?? '';
  const off = tail.startsWith('+') ? C_LONG.exec(tail.slice(1))?.[0] : undefined;
  let offset = 0n;
  if (off !== undefined) {
    const neg = off.startsWith('-');
    const digits = off.replace(/^[-+]/, '');
    const v = /^0[0-7]+$/.test(digits) ? BigInt(`0o${digits.slice(1)}`) : BigInt(digits);
    if (neg && v !== 0n) throw new BpfError('EINVAL', 'libbpf:kprobe-offset', `prog '${p.name}': kprobe offset must be a non-negative integer: -${v}`);
    offset = v;
  }
  if (retprobe && offset !== 0n) throw new BpfError('EINVAL', 'libbpf:kretprobe-offset', `prog '${p.name}': kretprobes do not support offset specification`);
  return attachKprobe(host, p, func, offset, retprobe, cookie);
}

/** `sscanf("+%li%n")` of a uprobe function's `+offset` suffix: the offset when the suffix is all of it. */
function uprobeOffset(func: string): { name: string; offset: bigint } {
  const plus = func.lastIndexOf('+');
  if (plus < 0) return { name: func, offset: 0n };
  const tail = func.slice(plus + 1);
  const m = C_LONG.exec(tail);
  if (m === null || m[0].length !== tail.length) return { name: func, offset: 0n };
  const neg = m[0].startsWith('-');
  const digits = m[0].replace(/^[-+]/, '');
  const v = /^0[0-7]+$/.test(digits) ? BigInt(`0o${digits.slice(1)}`) : BigInt(digits);
  return { name: func.slice(0, plus), offset: BigInt.asUintN(64, neg ? -v : v) };
}

/**
 * libbpf's `attach_uprobe`: `u[ret]probe[.s]/<binary>:<function>[+<offset>]` (a bare
 * section has nothing to auto-attach; one without `:<function>` is EINVAL, as is a
 * uretprobe offset). A binary named without a `/` is searched for as libbpf's
 * `resolve_full_path` does (see {@link resolveFullPath}); it is read through
 * `opts.readBinary` (else `host.readBinary`; EOPNOTSUPP with neither) to find the function's file offset.
 */
function attachUprobeSection(host: LibbpfHost, p: AttachableProgram, opts: AttachOptions, cookie: bigint): AttachResult {
  const m = /^([^/]+)(?:\/([^:]+)(?::(.+))?)?/s.exec(p.section);
  const [, probeType = '', binary, func] = m ?? [];
  if (binary === undefined) noAutoAttach(p, `a bare ${probeType} section names no binary to auto-attach to`);
  if (func === undefined) throw new BpfError('EINVAL', 'libbpf:bad-uprobe-section', `prog '${p.name}': section '${p.section}' missing ':function[+offset]' specification`);
  const retprobe = probeType === 'uretprobe' || probeType === 'uretprobe.s';
  const { name, offset } = uprobeOffset(func);
  if (retprobe && offset !== 0n) throw new BpfError('EINVAL', 'libbpf:uretprobe-offset', `prog '${p.name}': uretprobes do not support offset specification`);
  if (binary.includes('!/')) unsupported(p, 'uprobes in zip archives are not supported by bpfkit\'s client');
  const path = binary.includes('/') ? binary : resolveFullPath(host, binary);
  const read = opts.readBinary ?? host.readBinary?.bind(host);
  if (read === undefined) unsupported(p, `reading ${path} to find '${name}' needs opts.readBinary`);
  const symOff = elfFindFuncOffset(read(path), path, name);
  return attachUprobe(host, p, path, BigInt.asUintN(64, symOff + offset), retprobe, cookie);
}

/**
 * `bpf_program__attach`: the attach path libbpf's section definition gives the program —
 * raw_tp/raw_tracepoint(.w/.s) by the name after the slash, tp_btf/fentry/fexit/fmod_ret/lsm
 * through BPF_LINK_CREATE, tp/tracepoint, kprobe/kretprobe, ksyscall/kretsyscall and uprobe/uretprobe (see
 * `attachUprobeSection` for its limits) through a perf event (BPF_PERF_EVENT link, or
 * PERF_EVENT_IOC_SET_BPF on kernels without perf links). Sections libbpf cannot
 * auto-attach (xdp, tc, cgroup_*, socket…, or a bare `raw_tp`, `tp`, `kprobe` or
 * `uprobe`) and the one bpfkit's client does not attach yet (freplace) are EOPNOTSUPP; `usdt/<binary>:<provider>:<name>` goes through
 * {@link attachUsdt}; a program not loaded is EINVAL. `kprobe.multi/<glob>`,
 * `uprobe.multi/<path>:<glob>` (and their ret forms) and `iter/<target>` make one
 * BPF_LINK_CREATE each (see {@link attachMultiSection}).
 */
export function attachProgram(host: LibbpfHost, p: AttachableProgram, opts: AttachOptions = {}): AttachResult {
  const cookie = opts.cookie ?? 0n;
  if (p.progType === P.BPF_PROG_TYPE_RAW_TRACEPOINT || p.progType === P.BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE) {
    const tp = matchPrefix(p.section, RAW_TP_PREFIXES);
    if (tp === undefined) noAutoAttach(p, 'the section names no raw tracepoint');
    loaded(p);
    if (tp === '') noAutoAttach(p, 'a bare raw_tp section names no tracepoint to auto-attach to');
    return { fd: bpfRawTracepointOpen(host, p.fd, { tpName: tp, ...(cookie === 0n ? {} : { cookie }) }) };
  }
  const trace = (p.progType === P.BPF_PROG_TYPE_TRACING && TRACE_ATTACH.has(p.expectedAttachType)) ||
    (p.progType === P.BPF_PROG_TYPE_LSM && p.expectedAttachType === A.BPF_LSM_MAC);
  if (trace && matchPrefix(p.section, ['tp_btf', 'tp_btf.s', 'fentry', 'fentry.s', 'fexit', 'fexit.s', 'fmod_ret', 'fmod_ret.s', 'lsm', 'lsm.s']) !== undefined) {
    loaded(p);
    return { fd: attachBtfId(host, p, cookie) };
  }
  const tp = matchPrefix(p.section, ['tp', 'tracepoint']);
  if (tp !== undefined) return attachTp(host, p, tp, cookie);
  const kprobe = matchPrefix(p.section, ['kprobe']);
  if (kprobe !== undefined) return attachKprobeSection(host, p, false, kprobe, cookie);
  const kretprobe = matchPrefix(p.section, ['kretprobe']);
  if (kretprobe !== undefined) return attachKprobeSection(host, p, true, kretprobe, cookie);
  if (matchPrefix(p.section, ['uprobe', 'uretprobe', 'uprobe.s', 'uretprobe.s']) !== undefined) return attachUprobeSection(host, p, opts, cookie);
  const multi = attachMultiSection(host, p, opts);
  if (multi !== undefined) return multi;
  for (const [prefix, retprobe] of [['ksyscall', false], ['kretsyscall', true]] as const) {
    const syscall = matchPrefix(p.section, [prefix]);
    if (syscall === undefined) continue;
    if (syscall === '') noAutoAttach(p, `a bare ${prefix} section names no syscall to auto-attach to`);
    return attachKsyscall(host, p, syscall, retprobe, cookie);
  }
  const prefix = p.section.split('/')[0] ?? '';
  if (UNSUPPORTED.includes(prefix) || UNSUPPORTED.includes(prefix.replace(/\.s$/, ''))) {
    unsupported(p, `bpfkit's client does not attach ${prefix} programs yet`);
  }
  return noAutoAttach(p, 'libbpf has no auto-attach for this section (it needs a target: an interface, a cgroup, a socket…)');
}

function noCookie(p: AttachableProgram, cookie: bigint | undefined): void {
  if (cookie !== undefined) {
    throw new BpfError('EINVAL', 'libbpf:multi-cookie', `prog '${p.name}': section '${p.section}' takes no single cookie (give one per function to attachKprobeMulti or attachUprobeMulti)`);
  }
}

/**
 * The sections attached by one BPF_LINK_CREATE of their own kind: `k[ret]probe.multi/<glob>`
 * and `kprobe.session/<glob>` (libbpf's `attach_kprobe_multi`, `attach_kprobe_session`),
 * `u[ret]probe.multi[.s]/<path>:<glob>` and `uprobe.session[.s]/…` (`attach_uprobe_multi`)
 * and `iter[.s]/<target>` (`attach_iter`, no link info). Undefined for other sections.
 */
function attachMultiSection(host: LibbpfHost, p: AttachableProgram, opts: AttachOptions): AttachResult | undefined {
  for (const [prefix, kind] of [['kprobe.multi', 'entry'], ['kretprobe.multi', 'return'], ['kprobe.session', 'session']] as const) {
    const rest = matchPrefix(p.section, [prefix]);
    if (rest === undefined) continue;
    noCookie(p, opts.cookie);
    const fd = attachKprobeMultiSection(host, p, kind, rest);
    if (fd === undefined) noAutoAttach(p, `a bare ${prefix} section names no functions to auto-attach to`);
    return { fd };
  }
  if (matchPrefix(p.section, ['uprobe.multi', 'uretprobe.multi', 'uprobe.multi.s', 'uretprobe.multi.s', 'uprobe.session', 'uprobe.session.s']) !== undefined) {
    noCookie(p, opts.cookie);
    const fd = attachUprobeMultiSection(host, p, opts.readBinary);
    if (fd === undefined) noAutoAttach(p, 'a uprobe.multi section without a path names nothing to auto-attach to');
    return { fd };
  }
  if (matchPrefix(p.section, ['usdt', 'usdt.s']) !== undefined) return attachUsdtSection(host, p, opts);
  if (matchPrefix(p.section, ['iter', 'iter.s']) !== undefined) {
    noCookie(p, opts.cookie);
    return { fd: attachIter(host, p) };
  }
  return undefined;
}

/**
 * libbpf's `attach_usdt`: `usdt/<binary>:<provider>:<name>` (a bare `usdt` names nothing
 * to auto-attach to; anything else, `usdt.s/…` included as libbpf reads it with
 * `sscanf("usdt/%m[^:]:%m[^:]:%m[^:]")`, is EINVAL), any process, cookie 0.
 */
function attachUsdtSection(host: LibbpfHost, p: AttachableProgram, opts: AttachOptions): AttachResult {
  if (p.section === 'usdt') noAutoAttach(p, 'a bare usdt section names no probe to auto-attach to');
  noCookie(p, opts.cookie);
  const m = /^usdt\/([^:]+):([^:]+):([^:]+)/.exec(p.section);
  if (m === null) throw new BpfError('EINVAL', 'libbpf:bad-usdt-section', `invalid section '${p.section}', expected SEC("usdt/<path>:<provider>:<name>")`);
  loaded(p);
  const man = p.usdtManager?.();
  if (man === undefined) unsupported(p, 'a usdt attach needs the program\'s object (its __bpf_usdt_specs map)');
  const a = attachUsdt(host, p, man, -1, m[1] ?? '', m[2] ?? '', m[3] ?? '', opts.readBinary === undefined ? {} : { readBinary: opts.readBinary });
  return { fd: a.fd, cleanup: a.cleanup };
}

/**
 * {@link attachProgram}'s link fd alone (the perf event of a BPF_PERF_EVENT link stays
 * open until the process closes it: use `attachProgram` to close both).
 */
export function attachFd(host: LibbpfHost, p: AttachableProgram, opts: AttachOptions = {}): number {
  return attachProgram(host, p, opts).fd;
}

function loaded(p: AttachableProgram): void {
  if (p.fd < 0) throw new BpfError('EINVAL', 'libbpf:prog-not-loaded', `prog '${p.name}': can't attach BPF program without FD (was it loaded?)`);
}
