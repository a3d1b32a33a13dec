import { isBpfError } from '@bpfkit/kernel-api';
import { BpfAttachType as A, BpfCmd, BpfProgType as P, encodeAttr } from '@bpfkit/uapi';
import { bpfProgLoad } from '../commands/prog.js';
import { withScratch } from '../commands/scratch.js';
import type { LibbpfHost } from '../host.js';

const RET0 = Uint8Array.from([0xb7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]);
/** `r0 = bpf_get_attach_cookie(ctx); exit`. */
const COOKIE_PROG = Uint8Array.from([0x85, 0, 0, 0, 174, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]);

const multiCache = new WeakMap<LibbpfHost, boolean>();
const cookieCache = new WeakMap<LibbpfHost, boolean>();

function errnoOf(fn: () => void): string | undefined {
  try {
    fn();
    return undefined;
  } catch (e) {
    if (!isBpfError(e)) throw e;
    return e.code;
  }
}

/**
 * libbpf's `FEAT_UPROBE_MULTI_LINK` probe: a uprobe_multi link on `/` is EBADF where the
 * kernel has such links, and with pid -1 EINVAL where its pid filtering is the fixed one.
 * Cached per host.
 */
export function supportsUprobeMultiLink(host: LibbpfHost): boolean {
  const cached = multiCache.get(host);
  if (cached !== undefined) return cached;
  let ok = false;
  let progFd = -1;
  try {
    progFd = bpfProgLoad(host, { progType: P.BPF_PROG_TYPE_KPROBE, insns: RET0, license: 'GPL', expectedAttachType: A.BPF_TRACE_UPROBE_MULTI }).fd;
    const link = (pid: number): string | undefined => errnoOf(() => {
      withScratch(host, (s) => {
        const offsets = s.alloc(8);
        host.close(host.bpf(BpfCmd.BPF_LINK_CREATE, encodeAttr(BpfCmd.BPF_LINK_CREATE, {
          prog_fd: progFd, target_fd: 0xffff_ffff, attach_type: A.BPF_TRACE_UPROBE_MULTI,
          'uprobe_multi.path': s.cString('/'), 'uprobe_multi.offsets': offsets, 'uprobe_multi.cnt': 1, 'uprobe_multi.pid': pid >>> 0,
        })));
      });
    });
    ok = link(0) === 'EBADF' && link(-1) === 'EINVAL';
  } catch (e) {
    if (!isBpfError(e)) throw e;
  } finally {
    if (progFd >= 0) host.close(progFd);
  }
  multiCache.set(host, ok);
  return ok;
}

/** libbpf's `FEAT_BPF_COOKIE` probe: a tracepoint program calling `bpf_get_attach_cookie` loads. Cached per host. */
export function supportsBpfCookie(host: LibbpfHost): boolean {
  const cached = cookieCache.get(host);
  if (cached !== undefined) return cached;
  let ok = false;
  try {
    host.close(bpfProgLoad(host, { progType: P.BPF_PROG_TYPE_TRACEPOINT, insns: COOKIE_PROG, license: 'GPL' }).fd);
    ok = true;
  } catch (e) {
    if (!isBpfError(e)) throw e;
  }
  cookieCache.set(host, ok);
  return ok;
}
