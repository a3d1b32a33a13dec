import { BpfError, isBpfError } from '@bpfkit/kernel-api';
import { BpfAttachType as A, BpfProgType as P } from '@bpfkit/uapi';
import { bpfLinkCreate } from '../commands/obj.js';
import { bpfRawTracepointOpen } from '../commands/link.js';
import type { LibbpfHost } from '../host.js';

/** What {@link attachFd} needs of a program. */
export interface AttachableProgram {
  readonly name: string;
  readonly section: string;
  readonly progType: number;
  readonly expectedAttachType: number;
  readonly fd: number;
}

/** Options of `BpfProgram.attach` (libbpf `bpf_trace_opts` / `bpf_raw_tracepoint_opts`). */
export interface AttachOptions {
  /** `bpf_get_attach_cookie()` for tp_btf, fentry, fexit, fmod_ret, lsm and raw_tp programs. */
  readonly cookie?: bigint;
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
const UNSUPPORTED = [
  'kprobe', 'kretprobe', 'uprobe', 'uretprobe', 'ksyscall', 'kretsyscall', 'usdt', 'tp', 'tracepoint', 'iter', 'freplace',
  'kprobe.multi', 'kretprobe.multi', 'kprobe.session', 'uprobe.multi', 'uretprobe.multi', 'uprobe.session',
];

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
 * `bpf_program__attach`: the attach path libbpf's section definition gives the program —
 * raw_tp/raw_tracepoint(.w/.s) by the name after the slash, tp_btf/fentry/fexit/fmod_ret/lsm
 * through BPF_LINK_CREATE. Returns the link fd. Sections libbpf cannot auto-attach (xdp,
 * tc, cgroup_*, socket…, or a bare `raw_tp`) and the ones bpfkit's client does not attach
 * yet (tp/tracepoint, kprobe, uprobe, usdt, iter, freplace) are EOPNOTSUPP; a program not
 * loaded is EINVAL.
 */
export function attachFd(host: LibbpfHost, p: AttachableProgram, opts: AttachOptions = {}): number {
  const cookie = opts.cookie ?? 0n;
  if (p.progType === P.BPF_PROG_TYPE_RAW_TRACEPOINT || p.progType === P.BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE) {
    const tp = matchPrefix(p.section, RAW_TP_PREFIXES);
    if (tp === undefined) noAutoAttach(p, 'the section names no raw tracepoint');
    loaded(p);
    if (tp === '') noAutoAttach(p, 'a bare raw_tp section names no tracepoint to auto-attach to');
    return bpfRawTracepointOpen(host, p.fd, { tpName: tp, ...(cookie === 0n ? {} : { cookie }) });
  }
  const trace = (p.progType === P.BPF_PROG_TYPE_TRACING && TRACE_ATTACH.has(p.expectedAttachType)) ||
    (p.progType === P.BPF_PROG_TYPE_LSM && p.expectedAttachType === A.BPF_LSM_MAC);
  if (trace && matchPrefix(p.section, ['tp_btf', 'tp_btf.s', 'fentry', 'fentry.s', 'fexit', 'fexit.s', 'fmod_ret', 'fmod_ret.s', 'lsm', 'lsm.s']) !== undefined) {
    loaded(p);
    return attachBtfId(host, p, cookie);
  }
  const prefix = p.section.split('/')[0] ?? '';
  if (UNSUPPORTED.includes(prefix) || UNSUPPORTED.includes(prefix.replace(/\.s$/, ''))) {
    unsupported(p, `bpfkit's client does not attach ${prefix} programs yet`);
  }
  return noAutoAttach(p, 'libbpf has no auto-attach for this section (it needs a target: an interface, a cgroup, a socket…)');
}

function loaded(p: AttachableProgram): void {
  if (p.fd < 0) throw new BpfError('EINVAL', 'libbpf:prog-not-loaded', `prog '${p.name}': can't attach BPF program without FD (was it loaded?)`);
}
