import type {
  BpfFs,
  BpfTimerTable,
  ExecutionEngine,
  HelperRegistry,
  TestRunService,
  VmArena,
  BtfView,
  Capabilities,
  Clock,
  MapTypeRegistry,
  ProgTypeRegistry,
  Verifier,
  FileSystemType,
  SecurityStack,
  Sysctls,
  TokenService,
  Random,
  Tracer,
  UserMemory,
  UserNamespaces,
} from '@bpfkit/kernel-api';

/** The log a BTF load wrote, and what it parsed. */
export interface BtfLoadResult {
  readonly log: string;
  /** `btf_log_true_size`. */
  readonly logTrueSize: number;
  /** The parsed BTF, kept by the kernel's BTF object. */
  readonly btf: BtfView;
}

/**
 * BTF_LOAD's parse-and-validate step (`btf_parse`), as the kernel calls it once
 * the permission checks passed. Throws `BpfError` (EINVAL with the log, ENOSPC
 * when the log does not fit, E2BIG past the size limit).
 */
export interface BtfLoader {
  load(data: Uint8Array, log: { readonly level: number; readonly size: number }): BtfLoadResult;
}

/**
 * Everything {@link createKernel} wires: each subsystem behind its contract,
 * plus the environment seams. `@bpfkit/kernel/defaults` fills these with the
 * real subsystems.
 */
export interface KernelDeps {
  readonly userNamespaces: UserNamespaces;
  readonly capabilities: Capabilities;
  readonly security: SecurityStack;
  readonly token: TokenService;
  readonly bpffs: BpfFs;
  readonly maps: MapTypeRegistry;
  readonly progs: ProgTypeRegistry;
  readonly verifier: Verifier;
  readonly btf: BtfLoader;
  /** More file system types for fsopen()/mount(2) besides `bpf`. */
  readonly fileSystems?: readonly FileSystemType[];
  readonly tracer?: Tracer;
  /** `ktime_get_boottime_ns()` (default `systemClock`): `/proc/uptime`, a program's load time. */
  readonly clock?: Clock;
  /** `get_random_u32()` (default `seededRandom(0)`, so runs replay). */
  readonly random?: Random;
  /** Simulated CPUs (for per-CPU maps). Default 1. */
  readonly cpus?: number;
  /** Address space for each new task; default: a fresh {@link createUserMemory}. */
  readonly memory?: () => UserMemory;
  /**
   * The init task's permitted/effective sets. Default: every capability. The
   * token corpus ran without CAP_SYS_RESOURCE (`0x1fffeffffff`).
   */
  readonly initCaps?: bigint;
  /**
   * The vmlinux BTF (BTF object id 1), read the first time something needs it
   * (attach targets, kernel kptr types). Default: no types beyond void.
   */
  readonly vmlinuxBtf?: () => BtfView | undefined;
  /** The build configuration text (`/boot/config-$(uname -r)`), for libbpf's `.kconfig` externs; none by default. */
  readonly kernelConfig?: string;
  /**
   * The raw bytes of that BTF, which BPF_OBJ_GET_INFO_BY_FD copies out (clients read the
   * kernel's types through bpf() alone). Absent: the info reports 0 bytes.
   */
  readonly vmlinuxBtfBytes?: () => Uint8Array | undefined;
  /** Initial sysctl values (default `kernel.unprivileged_bpf_disabled` = 2, as measured). */
  readonly sysctls?: Partial<Sysctls>;
  /**
   * The simulated machine's memory, where maps keep their values and programs
   * run. The same arena the map types were created on. Without it a map is
   * created without its live half and element commands fail with ENOTSUPP.
   */
  readonly arena?: VmArena;
  /** Runs loaded programs (interpreter or JIT). Without it programs load but cannot run (test runs: ENOTSUPP). */
  readonly engine?: ExecutionEngine;
  /** The helpers and kfuncs runs may call. */
  readonly helpers?: HelperRegistry;
  /** `BPF_PROG_TEST_RUN` per program type. Without it test runs fail with ENOTSUPP. */
  readonly testRun?: TestRunService;
  /**
   * `bpf_timer` state, shared with the map types (which free timers with their
   * elements). Without it the timer helpers return -EOPNOTSUPP. Timers due by
   * the clock fire at the next `bpf()` call's entry.
   */
  readonly timers?: BpfTimerTable;
}
