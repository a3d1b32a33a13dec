import type { Btf } from '@bpfkit/btf';
import { decodeBtf } from '@bpfkit/btf';
import { loadObjectSpec, readElf, type ElfFile, type ObjectSpec } from '@bpfkit/elf';
import { BpfError } from '@bpfkit/kernel-api';
import { checkKeys } from '../commands/map.js';
import type { LibbpfHost } from '../host.js';
import { UsdtManager } from './usdt.js';
import { prepareToken, resolveTokenPath } from '../token.js';
import { kernelVersionCode, layoutKconfig, type KconfigLayoutResult } from './externs.js';
import { releaseArenaMappings } from './arena.js';
import { GlobalData } from './globals.js';
import { loadObject, type LoadReport } from './load.js';
import type { BpfMap } from './map.js';
import { defaultObjectName } from './names.js';
import { kconfigMap, mapsOfSpec } from './open.js';
import { BpfProgram } from './program.js';
import type { BpfLink } from './link.js';
import { NO_AUTO_ATTACH } from './attach.js';
import { possibleCpusOf } from '../possible-cpus.js';

/** Options of {@link BpfObject.open}. */
export interface OpenOptions {
  /** The process to talk to: a simulated `Task`, or `@bpfkit/linux`'s syscall. */
  readonly host: LibbpfHost;
  /** libbpf's object name (the file's basename without `.o`); default `obj_<hash>`. */
  readonly name?: string;
  /** bpffs path for a BPF token; `''` disables; default `LIBBPF_BPF_TOKEN_PATH`, then `/sys/fs/bpf`. */
  readonly tokenPath?: string;
  /** The environment libbpf reads (`LIBBPF_BPF_TOKEN_PATH`); default none. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Raw BTF to relocate against instead of the kernel's vmlinux BTF. */
  readonly targetBtf?: Uint8Array;
  /** `CONFIG_*` values for `.kconfig` externs (`y`, `m`, `n`, numbers, `"strings"`); default: the host's build configuration, as libbpf reads it. */
  readonly kconfig?: Readonly<Record<string, string>>;
  /** The kernel release for `LINUX_KERNEL_VERSION` (default `6.18.0`, the reference kernel). */
  readonly kernelRelease?: string;
  /** Addresses of typeless `__ksym` externs (default: the host's /proc/kallsyms, as libbpf reads it). */
  readonly ksymAddresses?: Readonly<Record<string, bigint>>;
  /** Verifier log level of the first load attempt (default 0, as libbpf). */
  readonly logLevel?: number;
  /** `num_possible_cpus()` for per-CPU values (default: read from the host, as libbpf does). */
  readonly possibleCpus?: number;
}

const OPEN_KEYS = new Set(['host', 'name', 'tokenPath', 'env', 'targetBtf', 'kconfig', 'kernelRelease', 'ksymAddresses', 'logLevel', 'possibleCpus']);

/** The object's state. */
export type ObjectState = 'opened' | 'loaded' | 'failed' | 'closed';

/**
 * A BPF ELF object, libbpf style: `open` reads it (no kernel involved), programs and
 * maps can be tuned, `load` creates everything in the kernel behind `host`.
 *
 * @example
 * const obj = BpfObject.open(readFileSync('xdp_filter.o'), { name: 'xdp_filter', host: task });
 * obj.globals('.rodata').setU32('drop_proto', 6);
 * obj.load();
 * obj.program('xdp_filter').testRun({ dataIn: packet, repeat: 1 }).retval;
 * obj.close();
 */
export class BpfObject {
  readonly name: string;
  readonly spec: ObjectSpec;
  readonly programs: readonly BpfProgram[];
  readonly maps: readonly BpfMap[];
  /** Filled by `load`, whether it succeeds or not. */
  loadReport: LoadReport | undefined;
  state: ObjectState = 'opened';
  /** The token fd while loaded (undefined when none). */
  tokenFd: number | undefined;
  /** The object's BTF fd while loaded (undefined when BTF was not loaded). */
  btfFd: number | undefined;
  readonly host: LibbpfHost;
  readonly options: OpenOptions;
  readonly elf: ElfFile;
  readonly kconfigLayout: KconfigLayoutResult | undefined;
  readonly #globals = new Map<string, GlobalData>();
  /** Every link made by a program's `attach` and not closed yet. */
  readonly #links = new Set<BpfLink>();
  /** Links of {@link attach}, by program name (a libbpf skeleton's `links`). */
  readonly #linksByName = new Map<string, BpfLink>();
  #targetBtf: Btf | undefined;
  readonly #cpus: { readonly possibleCpus: number };

  private constructor(bytes: Uint8Array, opts: OpenOptions) {
    checkKeys('BpfObject.open', opts, OPEN_KEYS);
    this.host = opts.host;
    this.options = opts;
    this.spec = loadObjectSpec(bytes);
    this.elf = readElf(bytes);
    this.name = opts.name ?? defaultObjectName(bytes);
    let cpus = opts.possibleCpus;
    // Read on first use: an object without per-CPU maps never needs it.
    const ctx = { host: opts.host, get possibleCpus(): number { return cpus ??= possibleCpusOf(opts.host); } };
    this.#cpus = ctx;
    const maps = mapsOfSpec(this.spec, this.name, ctx);
    this.kconfigLayout = layoutKconfig(this.spec.btf, this.spec.externs);
    if (this.kconfigLayout !== undefined) maps.push(kconfigMap(this.spec, this.name, this.kconfigLayout, ctx));
    this.maps = maps;
    let usdt: UsdtManager | undefined;
    const usdtManager = (): UsdtManager => (usdt ??= this.#newUsdtManager());
    this.programs = this.spec.programs.map((p) => new BpfProgram(p, opts.host, this.#links, usdtManager));
    for (const sec of this.spec.dataSections) {
      const map = maps.find((m) => m.origin.kind === 'data' && m.realName === sec.name);
      if (map !== undefined) this.#globals.set(sec.name, new GlobalData(sec, map, () => this.state !== 'opened'));
    }
  }

  /**
   * `libbpf_num_possible_cpus()`: the `possibleCpus` option, else the host's
   * `/sys/devices/system/cpu/possible`.
   *
   * @example
   * const slots = obj.possibleCpus; // per-CPU values hold this many slots
   */
  get possibleCpus(): number {
    return this.#cpus.possibleCpus;
  }

  /**
   * Opens an object from its bytes (libbpf `bpf_object__open_mem`). Malformed input throws
   * BpfError; nothing reaches the kernel.
   *
   * @example
   * const obj = BpfObject.open(bytes, { name: 'xdp_fw', host: task });
   */
  static open(bytes: Uint8Array, opts: OpenOptions): BpfObject {
    return new BpfObject(bytes, opts);
  }

  /** A program by name; ENOENT when absent. @example obj.program('xdp_filter').fd */
  program(name: string): BpfProgram {
    const p = this.programs.find((x) => x.name === name);
    if (p === undefined) throw new BpfError('ENOENT', 'libbpf:no-program', `object '${this.name}': no program '${name}' (have: ${this.programs.map((x) => x.name).join(', ') || 'none'})`);
    return p;
  }

  /** A map by name (`counts`, or the internal `xdp_filt.rodata`; `.rodata` works too); ENOENT when absent. @example obj.map('counts').lookup(key) */
  map(name: string): BpfMap {
    const m = this.maps.find((x) => x.name === name) ?? this.maps.find((x) => x.internal && x.realName === name);
    if (m === undefined) throw new BpfError('ENOENT', 'libbpf:no-map', `object '${this.name}': no map '${name}' (have: ${this.maps.map((x) => x.name).join(', ') || 'none'})`);
    return m;
  }

  /** The variables of a global data section; ENOENT when the object has no such section. @example obj.globals('.rodata').setU32('limit', 5) */
  globals(section: string): GlobalData {
    const g = this.#globals.get(section);
    if (g === undefined) throw new BpfError('ENOENT', 'libbpf:no-section', `object '${this.name}': no global data section '${section}'`);
    return g;
  }

  /** The BTF CO-RE, ksyms and attach targets resolve against: `targetBtf`, else the kernel's vmlinux BTF. */
  targetBtf(find: () => Btf): Btf {
    if (this.#targetBtf === undefined) {
      this.#targetBtf = this.options.targetBtf === undefined ? find() : decodeBtf(this.options.targetBtf);
    }
    return this.#targetBtf;
  }

  /** `LINUX_KERNEL_VERSION`. */
  get kernelVersion(): number {
    return kernelVersionCode(this.options.kernelRelease ?? '6.18.0');
  }

  /**
   * Loads the object (libbpf `bpf_object__load`): token, externs, relocation, BTF, maps,
   * programs in order (stopping at the first that fails), then declarative prog-array
   * slots. On failure every fd it made is closed and the BpfError is thrown; `loadReport`
   * and each program's `loadRecord` say what happened either way.
   *
   * @example
   * try { obj.load(); } catch (e) { console.log(obj.loadReport?.failedProgram, (e as BpfError).log); }
   */
  load(): void {
    if (this.state !== 'opened') throw new BpfError('EINVAL', 'libbpf:load-twice', `object '${this.name}': load can't be attempted twice`);
    const source = resolveTokenPath({ tokenPath: this.options.tokenPath, env: this.options.env });
    this.tokenFd = prepareToken(this.host, source);
    try {
      this.loadReport = loadObject(this);
      this.state = 'loaded';
    } catch (e) {
      this.state = 'failed';
      this.#closeFds();
      throw e;
    }
  }

  /**
   * Attaches every loaded program whose section libbpf auto-attaches (a skeleton's
   * `attach`, `bpf_object__attach_skeleton`): programs with `autoattach` false and those libbpf has no auto-attach for are
   * skipped, as are bare sections (`raw_tp`); any other failure is thrown (EOPNOTSUPP for
   * the kinds bpfkit's client does not attach yet, such as tp/ and kprobe/). The links are
   * in {@link links}, by program name.
   *
   * @example
   * obj.load();
   * obj.attach();
   * obj.links.get('handle_exec_raw')?.info().rawTracepoint?.tpName; // 'sched_process_exec'
   */
  attach(): void {
    if (this.state !== 'loaded') throw new BpfError('EINVAL', 'libbpf:not-loaded', `object '${this.name}': attach needs a loaded object`);
    for (const p of this.programs) {
      if (!p.autoload || !p.autoattach || p.fd < 0 || this.#linksByName.has(p.name)) continue;
      try {
        this.#linksByName.set(p.name, p.attach());
      } catch (e) {
        if (e instanceof BpfError && e.reason === NO_AUTO_ATTACH) continue;
        throw e;
      }
    }
  }

  /** The links {@link attach} made, by program name (closed ones are dropped). @example obj.links.size */
  get links(): ReadonlyMap<string, BpfLink> {
    for (const [name, l] of this.#linksByName) if (l.fd < 0) this.#linksByName.delete(name);
    return this.#linksByName;
  }

  #closeFds(): void {
    for (const l of [...this.#links]) {
      try {
        l.close();
      } catch {
        // already gone: nothing to release
      }
    }
    this.#linksByName.clear();
    const close = (fd: number | undefined): void => {
      if (fd === undefined || fd < 0) return;
      try {
        this.host.close(fd);
      } catch {
        // already gone: nothing to release
      }
    };
    for (const p of this.programs) {
      close(p.fd);
      p.fd = -1;
    }
    releaseArenaMappings(this);
    for (const m of this.maps) {
      close(m.fd);
      m.fd = -1;
    }
    close(this.btfFd);
    this.btfFd = undefined;
    close(this.tokenFd);
    this.tokenFd = undefined;
  }

  /** libbpf's `usdt_manager_new`: the object's `__bpf_usdt_specs` and `__bpf_usdt_ip_to_spec_id` maps (ESRCH without them). */
  #newUsdtManager(): UsdtManager {
    const specs = this.maps.find((m) => m.name === '__bpf_usdt_specs');
    const ips = this.maps.find((m) => m.name === '__bpf_usdt_ip_to_spec_id');
    if (specs === undefined || ips === undefined) {
      throw new BpfError('ESRCH', 'libbpf:usdt-no-maps', `object '${this.name}': failed to find USDT support BPF maps, did you forget to include bpf/usdt.bpf.h?`);
    }
    return new UsdtManager(specs.fd, specs.maxEntries);
  }

  /** Closes every fd (libbpf `bpf_object__close`). @example obj.close(); */
  close(): void {
    this.#closeFds();
    this.state = 'closed';
  }
}
