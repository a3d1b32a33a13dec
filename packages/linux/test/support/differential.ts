import { closeSync, openSync } from 'node:fs';
import { isBpfError, type BpfSyscall } from '@bpfkit/kernel-api';
import { BpfCmd, encodeBtfLoadAttr, encodeGetIdAttr } from '@bpfkit/uapi';

/** A kernel to run cases on: its syscall seam, and how to get a plain file fd there. */
export interface Backend {
  readonly name: string;
  readonly sys: BpfSyscall;
  /** open(path, O_RDONLY) in the backend's process; returns an fd usable inside attrs. */
  open(path: string): number;
  closeFile(fd: number): void;
}

/** What a case builder may use: user memory (freed after the case) and files (closed after). */
export interface CaseEnv {
  /** Copies bytes (or allocates zeroed bytes) into the backend's memory; returns the address. */
  bytes(init: Uint8Array | number): bigint;
  /** An fd of `path`, opened in the backend. */
  open(path: string): number;
  /** A BTF object loaded from `blob` in the backend (closed after the case). */
  btf(blob: Uint8Array): number;
  /** An fd of a BPF object made by one `bpf()` call in the backend (closed after the case). */
  object(cmd: number, attr: Uint8Array): number;
}

/** One `bpf()` call, built per backend so pointers and fds are the backend's own. */
export interface DiffCase {
  readonly name: string;
  readonly cmd: number;
  attr(env: CaseEnv): Uint8Array;
}

/** The part of a result both kernels must agree on: success, or the errno. */
export type Outcome = { readonly ok: true } | { readonly ok: false; readonly errno: string; readonly reason: string; readonly message: string };

export function describe(o: Outcome): string {
  return o.ok ? 'ok' : `${o.errno} (${o.reason}: ${o.message.split('\n')[0] ?? ''})`;
}

export function linuxBackend(sys: BpfSyscall): Backend {
  return { name: 'linux', sys, open: (path) => openSync(path, 'r'), closeFile: (fd) => { closeSync(fd); } };
}

/** Runs one case; closes the fd it returned and frees/closes everything the builder made. */
export function runCase(backend: Backend, c: DiffCase): Outcome {
  const addrs: bigint[] = [];
  const files: number[] = [];
  const objects: number[] = [];
  const env: CaseEnv = {
    bytes(init) {
      const a = backend.sys.memory.alloc(init);
      addrs.push(a);
      return a;
    },
    open(path) {
      const fd = backend.open(path);
      files.push(fd);
      return fd;
    },
    object(cmd, attr) {
      const fd = backend.sys.bpf(cmd, attr);
      objects.push(fd);
      return fd;
    },
    btf(blob) {
      const addr = env.bytes(blob);
      return env.object(BpfCmd.BPF_BTF_LOAD, encodeBtfLoadAttr({ btf: addr, btf_size: blob.length }));
    },
  };
  try {
    const fd = backend.sys.bpf(c.cmd, c.attr(env));
    if (fd > 0) backend.sys.close(fd);
    return { ok: true };
  } catch (e) {
    if (!isBpfError(e)) throw e;
    return { ok: false, errno: e.code, reason: e.reason, message: e.message };
  } finally {
    for (const a of addrs) backend.sys.memory.free(a);
    for (const fd of files) backend.closeFile(fd);
    for (const fd of objects) backend.sys.close(fd);
  }
}

/** The kernel's own BTF (id 1) as an fd, through BPF_BTF_GET_FD_BY_ID. */
export function vmlinuxBtfFd(env: CaseEnv): number {
  return env.object(BpfCmd.BPF_BTF_GET_FD_BY_ID, encodeGetIdAttr({ btf_id: 1 }));
}

/** Both outcomes of a case and whether they agree (same success, or same errno). */
export interface Comparison {
  readonly linux: Outcome;
  readonly simulated: Outcome;
  readonly same: boolean;
}

export function compareCase(linux: Backend, simulated: Backend, c: DiffCase): Comparison {
  const l = runCase(linux, c);
  const s = runCase(simulated, c);
  const same = l.ok ? s.ok : !s.ok && s.errno === l.errno;
  return { linux: l, simulated: s, same };
}
