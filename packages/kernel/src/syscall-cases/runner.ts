import { isBpfError, type BpfSyscall, type MemoryMapping } from '@bpfkit/kernel-api';

/**
 * A kernel whose caller can also map map fds (`Task`, `LinuxSyscall`).
 *
 * @example
 * const sys: BpfSyscall & MmapCapable = kernel.init;
 */
export interface MmapCapable {
  mmap(fd: number, length: number, prot: number, flags: number, offset?: number): MemoryMapping;
  munmap(mapping: MemoryMapping): void;
}

function mmapCapable(sys: BpfSyscall): (BpfSyscall & MmapCapable) | undefined {
  const s = sys as BpfSyscall & Partial<MmapCapable>;
  return typeof s.mmap === 'function' && typeof s.munmap === 'function' ? (s as BpfSyscall & MmapCapable) : undefined;
}

/** A JSON value an observation may hold. */
export type Observed = null | boolean | number | string | readonly Observed[] | { readonly [k: string]: Observed };

/** One step's outcome: success (with what it produced) or the errno. */
export interface Observation {
  readonly step: string;
  readonly result: Observed;
}

/** Why a step failed, for the simulated kernel's side of a comparison (not part of the recorded answers). */
export interface FailureReason {
  readonly step: string;
  readonly errno: string;
  readonly reason: string;
}

/**
 * Runs the steps of one case on one kernel and records what each step gave.
 * Memory it hands out and fds it records are released by {@link finish}, so
 * a case leaves nothing behind on either kernel.
 *
 * @example
 * const r = new CaseRunner(kernel.init, 2);
 * const fd = r.call('create', BpfCmd.BPF_MAP_CREATE, attr); // records { ok: true }
 * r.finish();
 */
export class CaseRunner {
  readonly observations: Observation[] = [];
  readonly failures: FailureReason[] = [];
  readonly #addrs: bigint[] = [];
  readonly #fds: number[] = [];
  readonly #mappings: MemoryMapping[] = [];

  constructor(
    readonly sys: BpfSyscall,
    /** Possible CPUs: per-CPU values are this many 8-byte-rounded slots. */
    readonly cpus: number,
  ) {}

  /** Copies bytes (or zeroed bytes) into the kernel's user memory; freed at the end of the case. */
  mem(init: Uint8Array | number): bigint {
    const size = typeof init === 'number' ? Math.max(1, init) : Math.max(1, init.length);
    const bytes = typeof init === 'number' ? new Uint8Array(size) : init.length === 0 ? new Uint8Array(1) : init;
    const addr = this.sys.memory.alloc(bytes);
    this.#addrs.push(addr);
    return addr;
  }

  read(addr: bigint, length: number): Uint8Array {
    return this.sys.memory.read(addr, length);
  }

  /** Keeps `fd` to close at the end of the case. */
  own(fd: number): number {
    this.#fds.push(fd);
    return fd;
  }

  /** Closes an fd the case owns, now. */
  close(fd: number): void {
    const i = this.#fds.indexOf(fd);
    if (i >= 0) this.#fds.splice(i, 1);
    this.sys.close(fd);
  }

  record(step: string, result: Observed): void {
    this.observations.push({ step, result });
  }

  /**
   * One `bpf()` call: records `{ ok: true, ...more() }` or `{ errno }`.
   * Returns the syscall's return value, or undefined when it failed.
   */
  call(step: string, cmd: number, attr: Uint8Array, more?: (ret: number) => Record<string, Observed>): number | undefined {
    let ret: number;
    try {
      ret = this.sys.bpf(cmd, attr);
    } catch (e) {
      if (!isBpfError(e)) throw e;
      this.failures.push({ step, errno: e.code, reason: e.reason });
      this.record(step, { errno: e.code, ...(more === undefined ? {} : this.#after(more, -1)) });
      return undefined;
    }
    this.record(step, { ok: true, ...(more === undefined ? {} : this.#after(more, ret)) });
    return ret;
  }

  #after(more: (ret: number) => Record<string, Observed>, ret: number): Record<string, Observed> {
    try {
      return more(ret);
    } catch (e) {
      if (!isBpfError(e)) throw e;
      return { readFailed: e.code };
    }
  }

  /**
   * `mmap()` of a map fd: records `{ ok: true }` or `{ errno }` and returns the
   * mapping (unmapped at the end of the case). Throws when the kernel offers no mmap.
   */
  mmap(step: string, fd: number, length: number, prot: number, flags: number, offset = 0): MemoryMapping | undefined {
    const mapper = mmapCapable(this.sys);
    if (mapper === undefined) throw new TypeError('this BpfSyscall has no mmap');
    try {
      const m = mapper.mmap(fd, length, prot, flags, offset);
      this.#mappings.push(m);
      this.record(step, { ok: true });
      return m;
    } catch (e) {
      if (!isBpfError(e)) throw e;
      this.failures.push({ step, errno: e.code, reason: e.reason });
      this.record(step, { errno: e.code });
      return undefined;
    }
  }

  /** `munmap()` now. */
  munmap(m: MemoryMapping): void {
    const i = this.#mappings.indexOf(m);
    if (i >= 0) this.#mappings.splice(i, 1);
    mmapCapable(this.sys)?.munmap(m);
  }

  /** Frees the case's memory and closes its fds. */
  finish(): void {
    for (const m of this.#mappings.splice(0)) mmapCapable(this.sys)?.munmap(m);
    for (const fd of this.#fds.splice(0).reverse()) {
      try {
        this.sys.close(fd);
      } catch {
        // already closed by the case itself
      }
    }
    for (const a of this.#addrs.splice(0)) this.sys.memory.free(a);
  }
}

/**
 * A syscall-level case: a sequence of `bpf()` calls whose every outcome is recorded.
 *
 * @example
 * const c: SyscallCase = { name: 'freeze twice', run: (r) => { freeze(r, 'first', fd); freeze(r, 'again', fd); } };
 */
export interface SyscallCase {
  readonly name: string;
  run(r: CaseRunner): void;
}

/** What one case gave on one kernel. */
export interface CaseResult {
  readonly observations: readonly Observation[];
  readonly failures: readonly FailureReason[];
}

/**
 * Runs `c` on `sys` and returns its observations.
 *
 * @example
 * const res = runSyscallCase(createLinuxSyscall(), MAP_OP_CASES[0], 2);
 * res.observations; // [{ step: 'create', result: { ok: true } }, …]
 */
export function runSyscallCase(sys: BpfSyscall, c: SyscallCase, cpus: number): CaseResult {
  const r = new CaseRunner(sys, cpus);
  try {
    c.run(r);
  } finally {
    r.finish();
  }
  return { observations: r.observations, failures: r.failures };
}
