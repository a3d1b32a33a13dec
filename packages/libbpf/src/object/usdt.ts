import { BpfError, isBpfError } from '@bpfkit/kernel-api';
import { bpfMapUpdateElem } from '../commands/map.js';
import type { LibbpfHost } from '../host.js';
import { attachPerfEvent, type PerfAttachment } from './attach-perf.js';
import { resolveFullPath } from './binary-path.js';
import type { MultiAttachProgram } from './kprobe-multi.js';
import { openProbeEvent } from './perf-probe.js';
import { attachUprobeMulti } from './uprobe-multi.js';
import { collectUsdtTargets } from './usdt-notes.js';
import { usdtSpec } from './usdt-spec.js';
import { supportsBpfCookie, supportsUprobeMultiLink } from './usdt-features.js';

const REF_CTR_FORMAT = '/sys/bus/event_source/devices/uprobe/format/ref_ctr_offset';

/**
 * libbpf's `usdt_manager` of one object: its `__bpf_usdt_specs` map (spec id → `struct
 * __bpf_usdt_spec`) and the spec ids links hold, handed back when they close.
 */
export class UsdtManager {
  #next = 0;
  readonly #free: number[] = [];

  /** `specsMapFd` and its `max_entries` (the most spec ids there can be). */
  constructor(readonly specsMapFd: number, readonly specsMaxEntries: number) {}

  /** A free spec id: one given back first, else the next (E2BIG past the map's size). */
  allocate(): number {
    const reused = this.#free.pop();
    if (reused !== undefined) return reused;
    if (this.#next >= this.specsMaxEntries) throw new BpfError('E2BIG', 'libbpf:usdt-specs-full', `usdt: no spec id left in __bpf_usdt_specs (max_entries ${this.specsMaxEntries})`);
    return this.#next++;
  }

  release(ids: readonly number[]): void {
    this.#free.push(...ids);
  }
}

/** Options of a USDT attach (libbpf `struct bpf_usdt_opts`, plus how to read the binary). */
export interface UsdtOptions {
  /** What `bpf_usdt_cookie()` returns in the program. */
  readonly cookie?: bigint;
  readonly readBinary?: (path: string) => Uint8Array;
}

/**
 * A USDT attachment: the link fd (the uprobe_multi link, or the first probe site's perf
 * link), and `cleanup`, to run once that fd is closed: it closes the other sites' links
 * and events and hands the spec ids back.
 */
export interface UsdtAttachment {
  readonly fd: number;
  readonly cleanup: () => void;
}

function u32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n >>> 0, true);
  return b;
}

/**
 * `bpf_program__attach_usdt`: finds the `provider:name` probes in the `.note.stapsdt` of
 * the binary at `path` (a name without `/` is searched for), writes one
 * `struct __bpf_usdt_spec` per distinct argument string into the manager's specs map,
 * and puts the program on every probe site with the spec id as its cookie: one
 * uprobe_multi link where the kernel has them (libbpf's FEAT_UPROBE_MULTI_LINK; the
 * program was then loaded for BPF_TRACE_UPROBE_MULTI), else one uprobe perf event per
 * site. No such probe is ENOENT; a semaphore without kernel refcounting, or a kernel
 * without BPF cookies (libbpf's IP-to-spec map), is EOPNOTSUPP here.
 *
 * @example
 * const a = attachUsdt(host, prog, man, -1, '/usr/bin/python3', 'python', 'function__entry');
 */
export function attachUsdt(host: LibbpfHost, p: MultiAttachProgram, man: UsdtManager, pid: number, path: string, provider: string, name: string, opts: UsdtOptions = {}): UsdtAttachment {
  if (p.fd < 0) throw new BpfError('EINVAL', 'libbpf:prog-not-loaded', `prog '${p.name}': can't attach BPF program without FD (was it loaded?)`);
  const binary = path.includes('/') ? path : resolveFullPath(host, path);
  const read = opts.readBinary ?? host.readBinary?.bind(host);
  if (read === undefined) throw new BpfError('EOPNOTSUPP', 'libbpf:attach-unsupported', `prog '${p.name}': reading ${binary} for its USDT notes needs opts.readBinary`);
  if (!supportsBpfCookie(host)) throw new BpfError('EOPNOTSUPP', 'libbpf:usdt-no-cookie', 'usdt: the kernel has no BPF cookies; the IP-to-spec-id fallback is not supported by bpfkit\'s client');
  const filter = pid < 0 ? -1 : pid === 0 ? (host.getpid?.() ?? 0) : pid;
  const targets = collectUsdtTargets(read(binary), binary, provider, name);
  if (targets.length === 0) throw new BpfError('ENOENT', 'libbpf:usdt-not-found', `usdt: no '${provider}:${name}' probe in '${binary}'`);
  if (targets.some((t) => t.semaOff !== 0n) && !semaphoreRefcounting(host)) {
    throw new BpfError('EOPNOTSUPP', 'libbpf:usdt-semaphore', `usdt: kernel doesn't support USDT semaphore refcounting for '${provider}:${name}' in '${binary}'`);
  }
  const ids: number[] = [];
  const perf: PerfAttachment[] = [];
  const undo = (): void => {
    for (const a of perf.splice(0)) closeAttachment(host, a);
    man.release(ids.splice(0));
  };
  try {
    const bySpec = new Map<string, number>();
    const cookies = targets.map((t) => {
      const known = bySpec.get(t.args);
      if (known !== undefined) return known;
      const id = man.allocate();
      ids.push(id);
      bySpec.set(t.args, id);
      bpfMapUpdateElem(host, man.specsMapFd, u32(id), usdtSpec(t.args, opts.cookie ?? 0n));
      return id;
    });
    if (supportsUprobeMultiLink(host)) {
      const fd = attachUprobeMulti(host, p, filter, binary, undefined, {
        offsets: targets.map((t) => t.relIp), refCtrOffsets: targets.map((t) => t.semaOff), cookies: cookies.map(BigInt),
      });
      return { fd, cleanup: undo };
    }
    targets.forEach((t, i) => {
      const ev = openProbeEvent(host, { kind: 'uprobe', retprobe: false, name: binary, offset: t.relIp, pid: filter, refCtrOffset: t.semaOff });
      perf.push(attachPerfEvent(host, p, ev, BigInt(cookies[i] ?? 0)));
    });
    const first = perf.shift();
    if (first === undefined) throw new BpfError('ENOENT', 'libbpf:usdt-not-found', `usdt: no '${provider}:${name}' probe in '${binary}'`);
    return {
      fd: first.fd,
      cleanup: () => {
        if (first.perfFd !== first.fd) host.close(first.perfFd);
        undo();
      },
    };
  } catch (e) {
    undo();
    throw e;
  }
}

function closeAttachment(host: LibbpfHost, a: PerfAttachment): void {
  host.close(a.fd);
  if (a.perfFd !== a.fd) host.close(a.perfFd);
}

function semaphoreRefcounting(host: LibbpfHost): boolean {
  if (host.access === undefined) return false;
  try {
    host.access(REF_CTR_FORMAT, 0);
    return true;
  } catch (e) {
    if (!isBpfError(e)) throw e;
    return false;
  }
}
