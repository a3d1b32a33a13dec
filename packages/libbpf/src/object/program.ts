import { BpfError } from '@bpfkit/kernel-api';
import type { LineInfo, ProgramSpec } from '@bpfkit/elf';
import { bpfProgGetInfoByFd, type ProgInfo } from '../commands/info.js';
import { bpfProgTestRun, type TestRunOptions, type TestRunResult } from '../commands/prog.js';
import type { LibbpfHost } from '../host.js';
import { attachProgram, type AttachOptions } from './attach.js';
import { attachIter, type IterAttachOptions } from './iter.js';
import { attachKprobeMulti, type KprobeMultiOptions } from './kprobe-multi.js';
import { attachUprobeMulti, type UprobeMultiOptions } from './uprobe-multi.js';
import { attachUsdt, type UsdtManager, type UsdtOptions } from './usdt.js';
import { BpfLink } from './link.js';
import { attachTypeStr, progTypeStr } from './names.js';

/** One `ld_imm64` of a submitted program that refers to a map. @example { insn: 6, kind: 'map_fd', map: 'counts' } */
export interface MapRef {
  /** Slot index in the submitted program. */
  readonly insn: number;
  readonly kind: 'map_fd' | 'map_value';
  /** The map's name (`bpf_map__name`). */
  readonly map: string;
  /** Offset in the value, for `map_value`. */
  readonly valueOff?: number;
}

/** What one program load attempt did (filled on success and on failure). @example prog.loadRecord?.verifiedInsns; */
export interface LoadRecord {
  readonly loaded: boolean;
  /** The instructions submitted (subprograms appended, relocated, fds in the imms). */
  readonly insns: Uint8Array;
  /** The same with every fd imm and kernel BTF id zeroed (map refs, BTF object fds, kfunc and ksym ids): stable across runs and kernels. */
  readonly insnsNoFds: Uint8Array;
  /** Slots submitted. */
  readonly insnCnt: number;
  readonly mapRefs: readonly MapRef[];
  /** The verifier log: of the load at the asked level, or of the level-1 retry after a failure. */
  readonly log: string;
  /** The log of the first attempt when a failure was retried at level 1. */
  readonly firstLog?: string;
  /** The errno name of a failed load. */
  readonly errno?: string;
  /** `bpf_prog_info.verified_insns` after a successful load. */
  readonly verifiedInsns?: number;
  /** CO-RE log lines (libbpf style). */
  readonly coreLog: readonly string[];
  /** Source lines of the submitted program (`insnOff` counts its slots, subprograms appended). */
  readonly lineInfo: readonly LineInfo[];
}

/**
 * One program of a {@link BpfObject}.
 *
 * @example
 * const p = obj.program('xdp_filter');
 * p.progTypeName;           // 'xdp'
 * p.autoload = false;       // before load
 * obj.load(); p.fd;         // -1 when not loaded
 */
export class BpfProgram {
  readonly name: string;
  /** The section without `?`. */
  readonly section: string;
  /** Settable before load (libbpf `bpf_program__set_type`). */
  progType: number;
  /** Settable before load (libbpf `bpf_program__set_expected_attach_type`). */
  expectedAttachType: number;
  /** Slots of the program's own code (before subprograms are appended). */
  readonly insnCntAtOpen: number;
  readonly spec: ProgramSpec;
  autoload: boolean;
  /** Whether {@link BpfObject.attach} attaches it (libbpf `bpf_program__set_autoattach`); default true. */
  autoattach = true;
  /** Verifier log level for this program (default: the object's). */
  logLevel: number | undefined;
  fd = -1;
  loadRecord: LoadRecord | undefined;
  readonly #host: LibbpfHost;
  /** The object's live links (closed with it). */
  readonly #links: Set<BpfLink>;

  /** The object's USDT manager (its `__bpf_usdt_specs` map), made on first use; absent for a program made on its own. */
  readonly usdtManager: (() => UsdtManager) | undefined;

  constructor(spec: ProgramSpec, host: LibbpfHost, links: Set<BpfLink> = new Set(), usdtManager?: () => UsdtManager) {
    this.spec = spec;
    this.name = spec.name;
    this.section = spec.section;
    this.progType = spec.progType;
    this.expectedAttachType = spec.expectedAttachType;
    this.insnCntAtOpen = spec.slots;
    this.autoload = spec.autoload;
    this.logLevel = undefined;
    this.#host = host;
    this.#links = links;
    this.usdtManager = usdtManager;
  }

  /** `libbpf_bpf_prog_type_str()`: `xdp`, `sched_cls`, … */
  get progTypeName(): string {
    return progTypeStr(this.progType);
  }

  /** `libbpf_bpf_attach_type_str()` of the expected attach type, or null when it is 0 and the section sets none. */
  get expectedAttachTypeName(): string | null {
    return this.spec.expectedAttachTypeName === undefined ? null : attachTypeStr(this.expectedAttachType);
  }

  /** BPF_OBJ_GET_INFO_BY_FD on the loaded program (id, tag, verified_insns…). @example prog.info().id */
  info(): ProgInfo {
    if (this.fd < 0) throw new BpfError('EINVAL', 'libbpf:prog-not-loaded', `prog '${this.name}': not loaded`);
    return bpfProgGetInfoByFd(this.#host, this.fd);
  }

  /**
   * BPF_PROG_TEST_RUN on the loaded program.
   *
   * @example
   * prog.testRun({ dataIn: packet, dataSizeOut: 1500, repeat: 1 }).retval; // 2 (XDP_PASS)
   */
  testRun(opts: TestRunOptions = {}): TestRunResult {
    if (this.fd < 0) throw new BpfError('EINVAL', 'libbpf:prog-not-loaded', `prog '${this.name}': not loaded`);
    return bpfProgTestRun(this.#host, this.fd, opts);
  }

  /**
   * Attaches the loaded program where its section says (libbpf `bpf_program__attach`):
   * `raw_tp/<name>` to that raw tracepoint, `tp_btf/`, `fentry/`, `fexit/`, `fmod_ret/`
   * and `lsm/` programs to their load-time target through BPF_LINK_CREATE, `tp/<cat>/<name>`
   * and `kprobe/<func>[+off]`/`kretprobe/<func>` through a perf event and a BPF_PERF_EVENT
   * link (PERF_EVENT_IOC_SET_BPF before perf links). Sections without an auto-attach target
   * (xdp, tc, cgroup_*, socket…) and the kinds bpfkit's client does not attach yet (usdt,
   * freplace, kprobe/uprobe sessions) throw EOPNOTSUPP; the kernel's errno otherwise.
   * `uprobe/`, `kprobe.multi/`, `uprobe.multi/`, `usdt/` and `iter/` sections are attached as libbpf does. The object
   * closes the link on close.
   *
   * @example
   * const link = obj.program('handle_exec_raw').attach(); // SEC("raw_tp/sched_process_exec")
   * link.info().type; // 1 (BPF_LINK_TYPE_RAW_TRACEPOINT)
   * link.close();
   */
  attach(opts: AttachOptions = {}): BpfLink {
    const { fd, perfFd, cleanup } = attachProgram(this.#host, this, opts);
    return this.#track(fd, perfFd, cleanup);
  }

  #track(fd: number, perfFd?: number, cleanup?: () => void): BpfLink {
    const link = new BpfLink(this.#host, fd, (l) => {
      this.#links.delete(l);
      // A BPF_PERF_EVENT link and its perf event: libbpf's bpf_link_perf_detach closes both.
      if (perfFd !== undefined && perfFd !== fd) this.#host.close(perfFd);
    }, cleanup);
    this.#links.add(link);
    return link;
  }

  /**
   * Attaches the loaded kprobe.multi program to many kernel functions at once (libbpf
   * `bpf_program__attach_kprobe_multi_opts`): by glob `pattern`, or by `opts.syms` /
   * `opts.addrs` with per-function cookies. See {@link attachKprobeMulti}.
   *
   * @example
   * const link = prog.attachKprobeMulti(undefined, { syms: ['do_sys_openat2', 'do_unlinkat'], cookies: [1n, 2n] });
   */
  attachKprobeMulti(pattern: string | undefined, opts: KprobeMultiOptions = {}): BpfLink {
    return this.#track(attachKprobeMulti(this.#host, this, pattern, opts));
  }

  /**
   * Attaches the loaded uprobe.multi program to many places of one binary (libbpf
   * `bpf_program__attach_uprobe_multi`): functions matching `funcPattern`, or
   * `opts.syms` / `opts.offsets`; `pid` -1 for every process. See {@link attachUprobeMulti}.
   *
   * @example
   * const link = prog.attachUprobeMulti(-1, '/usr/bin/bash', 'readline*', { readBinary: (p) => readFileSync(p) });
   */
  attachUprobeMulti(pid: number, path: string, funcPattern: string | undefined, opts: UprobeMultiOptions = {}): BpfLink {
    return this.#track(attachUprobeMulti(this.#host, this, pid, path, funcPattern, opts));
  }

  /**
   * Attaches the loaded usdt program to the `provider:name` probes of a binary (libbpf
   * `bpf_program__attach_usdt`); `pid` -1 for every process. The object must have
   * `usdt.bpf.h`'s `__bpf_usdt_specs` and `__bpf_usdt_ip_to_spec_id` maps (ESRCH). See {@link attachUsdt}.
   *
   * @example
   * const link = prog.attachUsdt(-1, '/usr/bin/python3', 'python', 'function__entry', { cookie: 1n });
   */
  attachUsdt(pid: number, binaryPath: string, provider: string, name: string, opts: UsdtOptions = {}): BpfLink {
    const man = this.usdtManager?.();
    if (man === undefined) throw new BpfError('ESRCH', 'libbpf:usdt-no-maps', `prog '${this.name}': usdt attach needs the program's object and its USDT maps`);
    const a = attachUsdt(this.#host, this, man, pid, binaryPath, provider, name, opts);
    return this.#track(a.fd, undefined, a.cleanup);
  }

  /**
   * Attaches the loaded `iter/<target>` program (libbpf `bpf_program__attach_iter`), over
   * one map, cgroup or task when `opts` names it; {@link BpfLink.readIter} runs it.
   *
   * @example
   * const text = new TextDecoder().decode(prog.attachIter({ mapFd: counts.fd }).readIter());
   */
  attachIter(opts: IterAttachOptions = {}): BpfLink {
    return this.#track(attachIter(this.#host, this, opts));
  }
}
