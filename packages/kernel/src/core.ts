import {
  NO_TRACE,
  type BpfMap,
  type Clock,
  type Credentials,
  type FileSystemType,
  type OpenFileKind,
  type ProgramImage,
  type Random,
  type Tracer,
  type UserNamespace,
} from '@bpfkit/kernel-api';
import { Capability } from '@bpfkit/uapi';
import { BpfError } from '@bpfkit/kernel-api';
import type { MapRecord } from './bpf/map-record.js';
import { ObjectRegistry } from './bpf/objects.js';
import type { KernelDeps } from './deps.js';
import { seededRandom, systemClock } from './env.js';
import { KFile, type FilePayload } from './fs/file.js';
import { IdAllocator } from './ids.js';
import type { TaskImpl } from './task/task.js';

/** Kernel-wide state shared by every task: deps, IDRs, live files, sysctls. */
export class KernelCore {
  readonly tracer: Tracer;
  readonly clock: Clock;
  readonly random: Random;
  /** The clock at boot: `/proc/uptime` counts from here. */
  readonly bootNs: bigint;
  readonly objects = new ObjectRegistry();
  readonly fileIds = new IdAllocator(1);
  readonly mountIds = new IdAllocator(21);
  readonly mntNsIds = new IdAllocator(1);
  readonly sbIds = new IdAllocator(1);
  readonly inoIds = new IdAllocator(1000);
  readonly pids = new IdAllocator(1);
  readonly liveFiles = new Set<KFile>();
  readonly fsTypes = new Map<string, FileSystemType>();
  readonly tasks = new Map<number, TaskImpl>();
  /** The `task_struct` images BTF pointers reach, by pid (see `bpf/task-structs.ts`). */
  readonly taskStructs = new Map<number, number>();
  /** Live maps by {@link BpfMap.address}: what `mapAt` answers helpers that get a map pointer. */
  readonly liveMaps = new Map<number, BpfMap>();
  /** The kernel's record of each live map (what `map->usercnt` is read from). */
  readonly mapRecords = new WeakMap<BpfMap, MapRecord>();
  /** The id of the program each loaded image belongs to (a tail call's target, as a helper sees it). */
  readonly progIdsByImage = new WeakMap<ProgramImage, number>();
  /** `bpf_trace_printk` output not yet read from `trace_pipe`. */
  readonly traceLines: string[] = [];
  /** Open BPF_ENABLE_STATS fds: programs count their runs while any is open (`bpf_stats_enabled_key`). */
  statsEnabled = 0;
  /** Live mmaps of BPF maps, for leak accounting. */
  mappings = 0;
  /** `num_possible_cpus()`. */
  readonly cpus: number;
  unprivilegedBpfDisabled: number;

  constructor(readonly deps: KernelDeps) {
    this.tracer = deps.tracer ?? NO_TRACE;
    this.clock = deps.clock ?? systemClock;
    this.random = deps.random ?? seededRandom(0);
    this.bootNs = this.clock.nowNs();
    this.cpus = deps.cpus ?? 1;
    this.unprivilegedBpfDisabled = deps.sysctls?.['kernel.unprivileged_bpf_disabled'] ?? 2;
    this.fsTypes.set(deps.bpffs.name, deps.bpffs);
    for (const t of deps.fileSystems ?? []) this.fsTypes.set(t.name, t);
  }

  /**
   * A write of `kernel.unprivileged_bpf_disabled` (`bpf_unpriv_handler`):
   * CAP_SYS_ADMIN in init, 0..2, and 1 is a one-way switch.
   */
  setUnprivBpfDisabled(value: number, writer: Credentials): void {
    if (!this.capable(writer, Capability.CAP_SYS_ADMIN)) {
      throw new BpfError('EPERM', 'sysctl:needs-cap-sys-admin', 'writing kernel.unprivileged_bpf_disabled needs CAP_SYS_ADMIN');
    }
    if (!Number.isInteger(value) || value < 0 || value > 2) {
      throw new BpfError('EINVAL', 'sysctl:out-of-range', `kernel.unprivileged_bpf_disabled takes 0..2, not ${value}`);
    }
    if (this.unprivilegedBpfDisabled === 1 && value !== 1) {
      throw new BpfError('EPERM', 'sysctl:locked', 'kernel.unprivileged_bpf_disabled=1 cannot be undone');
    }
    this.unprivilegedBpfDisabled = value;
  }

  get initUserNs(): UserNamespace {
    return this.deps.userNamespaces.init;
  }

  /** `ns_capable()`: `cap_capable` then the LSM `capable` hook, traced (the caps subsystem does both). */
  nsCapable(cred: Credentials, ns: UserNamespace, cap: number): boolean {
    return this.deps.capabilities.nsCapable(cred, ns, cap, this.tracer);
  }

  /** `capable()`: `ns_capable` over the initial user namespace. */
  capable(cred: Credentials, cap: number): boolean {
    return this.nsCapable(cred, this.initUserNs, cap);
  }

  /** A new open file with no references yet; the first fd install takes one. */
  newFile(kind: OpenFileKind, opath: boolean, flags: number, payload: FilePayload, onRelease?: (f: KFile) => void): KFile {
    const f = new KFile(this.fileIds.alloc(), kind, opath, flags, payload, (dead) => {
      this.liveFiles.delete(dead);
      // The file's own release (a map's user reference) runs while it still holds its object.
      onRelease?.(dead);
      dead.payload.object?.put();
    });
    this.liveFiles.add(f);
    return f;
  }
}
