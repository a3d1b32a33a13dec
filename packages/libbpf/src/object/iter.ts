import { BpfError } from '@bpfkit/kernel-api';
import { BpfAttachType as A, BpfCmd, encodeAttr } from '@bpfkit/uapi';
import { withScratch } from '../commands/scratch.js';
import type { LibbpfHost } from '../host.js';
import type { MultiAttachProgram } from './kprobe-multi.js';

/**
 * What an iterator walks (`union bpf_iter_link_info`, libbpf `bpf_iter_attach_opts.link_info`):
 * one map's elements (`bpf_map_elem`, `bpf_sk_storage_map`…), a cgroup walk, or one task / process.
 * Empty for iterators over everything (`bpf_map`, `bpf_prog`, `task` of every process).
 */
export interface IterAttachOptions {
  /** `map.map_fd`. */
  readonly mapFd?: number;
  /** `cgroup.order` (`enum bpf_cgroup_iter_order`), `cgroup.cgroup_fd`, `cgroup.cgroup_id`. */
  readonly cgroupOrder?: number;
  readonly cgroupFd?: number;
  readonly cgroupId?: bigint;
  /** `task.tid`, `task.pid`, `task.pid_fd`. */
  readonly tid?: number;
  readonly pid?: number;
  readonly pidFd?: number;
}

/** `sizeof(union bpf_iter_link_info)`. */
const LINK_INFO_SIZE = 16;
const GROUPS: readonly (readonly (keyof IterAttachOptions)[])[] = [['mapFd'], ['cgroupOrder', 'cgroupFd', 'cgroupId'], ['tid', 'pid', 'pidFd']];

function linkInfo(opts: IterAttachOptions): Uint8Array | undefined {
  const keys = Object.keys(opts) as (keyof IterAttachOptions)[];
  for (const k of keys) if (!GROUPS.some((g) => g.includes(k))) throw new TypeError(`attachIter: unknown option ${k}`);
  if (keys.length === 0) return undefined;
  const groups = GROUPS.filter((g) => keys.some((k) => g.includes(k)));
  if (groups.length > 1) throw new TypeError('attachIter: a map, a cgroup and a task exclude each other');
  const out = new Uint8Array(LINK_INFO_SIZE);
  const v = new DataView(out.buffer);
  v.setUint32(0, (opts.mapFd ?? opts.cgroupOrder ?? opts.tid ?? 0) >>> 0, true);
  v.setUint32(4, (opts.cgroupFd ?? opts.pid ?? 0) >>> 0, true);
  if (opts.cgroupId !== undefined) v.setBigUint64(8, BigInt.asUintN(64, opts.cgroupId), true);
  else v.setUint32(8, (opts.pidFd ?? 0) >>> 0, true);
  return out;
}

/**
 * `bpf_program__attach_iter`: BPF_LINK_CREATE with BPF_TRACE_ITER for a loaded
 * `iter/<target>` program, with `union bpf_iter_link_info` when `opts` names a map,
 * cgroup or task. Returns the link fd; {@link bpfIterCreate} then opens a reading of it.
 *
 * @example
 * const linkFd = attachIter(host, prog, { mapFd: counts.fd });
 */
export function attachIter(host: LibbpfHost, p: MultiAttachProgram, opts: IterAttachOptions = {}): number {
  const info = linkInfo(opts);
  if (p.fd < 0) throw new BpfError('EINVAL', 'libbpf:prog-not-loaded', `prog '${p.name}': can't attach BPF program without FD (was it loaded?)`);
  return withScratch(host, (s) => host.bpf(BpfCmd.BPF_LINK_CREATE, encodeAttr(BpfCmd.BPF_LINK_CREATE, {
    prog_fd: p.fd, target_fd: 0, attach_type: A.BPF_TRACE_ITER,
    ...(info === undefined ? {} : { iter_info: s.alloc(info), iter_info_len: info.length }),
  })));
}

/**
 * BPF_ITER_CREATE (libbpf `bpf_iter_create`): a new fd whose reads run the iterator link's program.
 *
 * @example
 * const fd = bpfIterCreate(sys, linkFd);
 */
export function bpfIterCreate(host: LibbpfHost, linkFd: number): number {
  return host.bpf(BpfCmd.BPF_ITER_CREATE, encodeAttr(BpfCmd.BPF_ITER_CREATE, { link_fd: linkFd }));
}

/** Bytes asked of each `read` of an iterator (the kernel's seq_file hands out at most a page or so each time). */
const READ_CHUNK = 8192;

/**
 * Reads an iterator fd to its end (`read` until it returns nothing), as a program using
 * libbpf does with `read(iter_fd, …)`. The host must be able to `read`.
 *
 * @example
 * const text = new TextDecoder().decode(readIterFd(host, bpfIterCreate(host, linkFd)));
 */
export function readIterFd(host: LibbpfHost, iterFd: number): Uint8Array {
  const read = host.read?.bind(host);
  if (read === undefined) throw new BpfError('EOPNOTSUPP', 'libbpf:host-cannot', 'this host has no read(): an iterator cannot be read through it');
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const chunk = read(iterFd, READ_CHUNK);
    if (chunk.length === 0) break;
    chunks.push(chunk);
    total += chunk.length;
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
