import { type FileSystemType, type Kernel, type Tracer } from '@bpfkit/kernel-api';
import { Btf, encodeBtf, parseBtf } from '@bpfkit/btf';
import { createBpfFs } from '@bpfkit/bpffs';
import { createCapabilityChecker } from '@bpfkit/caps';
import { createSecurityStack } from '@bpfkit/lsm';
import { createMapTypes } from '@bpfkit/maps';
import { createVmArena } from '@bpfkit/memory';
import { createDefaultEngine, createHelperRegistry, createInterpreter, createTestRunService, createTimerTable, createWasmEngine } from '@bpfkit/vm';
import { createTokenService } from '@bpfkit/token';
import { createUserNamespaces } from '@bpfkit/userns';
import { createProgTypes, createVerifier } from '@bpfkit/verifier';
import type {
  BpfFs, BtfView, Capabilities, Clock, ExecutionEngine, HelperRegistry, MapTypeRegistry, ProgTypeRegistry, Random, SecurityModule, SecurityStack, Sysctls,
  TestRunService, TokenService, UserNamespaces, Verifier,
} from '@bpfkit/kernel-api';
import { seededRandom } from '../env.js';
import type { BtfLoader } from '../deps.js';
import { createKernel } from '../kernel.js';
import { builtinVmlinuxBtf } from './vmlinux.js';
import { BUILTIN_KERNEL_CONFIG } from './kconfig.js';

export { builtinVmlinuxBtf, hostVmlinuxBtf, HOST_VMLINUX_BTF } from './vmlinux.js';
export { BUILTIN_KERNEL_CONFIG } from './kconfig.js';

/** Options of {@link createDefaultKernel}; every field is optional. */
export interface DefaultKernelOptions {
  /** Security modules, stacked in order (default: none, i.e. only commoncap). */
  readonly lsm?: readonly SecurityModule[];
  readonly tracer?: Tracer;
  readonly clock?: Clock;
  readonly random?: Random;
  /** Simulated CPUs, `num_possible_cpus()` for per-CPU maps and test runs (default 2). */
  readonly cpus?: number;
  /**
   * What runs programs: `interp` (the interpreter), `wasm` (the WebAssembly
   * JIT, with the interpreter behind it). Default: the JIT where the host has
   * WebAssembly, else the interpreter. Or any `ExecutionEngine` (a tracing
   * interpreter, a fake).
   */
  readonly engine?: 'interp' | 'wasm' | ExecutionEngine;
  /** The init task's capability sets (default: all). */
  readonly initCaps?: bigint;
  readonly sysctls?: Partial<Sysctls>;
  readonly fileSystems?: readonly FileSystemType[];
  /**
   * The vmlinux BTF (object id 1), loaded on first use. Default {@link builtinVmlinuxBtf},
   * so a simulated kernel behaves the same on every machine; pass {@link hostVmlinuxBtf}
   * for the host's own types.
   */
  readonly vmlinuxBtf?: () => BtfView | undefined;
  /** The build configuration libbpf reads for `.kconfig` externs (default {@link BUILTIN_KERNEL_CONFIG}). */
  readonly kernelConfig?: string;
  /**
   * Which 6.18 build the verifier behaves as (ignored with `overrides.verifier`). `callbackLoops`
   * (default true): a callback-calling helper call is a loop of its own, as in the stable builds
   * since upstream f597664454bd; false for the earlier builds, such as the one the verifier corpus
   * was recorded on. See `VerifierDeps` of `@bpfkit/verifier`.
   */
  readonly verifier?: { readonly callbackLoops?: boolean };
  /**
   * Subsystems to use instead of bpfkit's own, each behind its contract; the others are wired as
   * usual around them. A factory receives the subsystems it may depend on, built already.
   */
  readonly overrides?: SubsystemOverrides;
}

/** The subsystems the others are built from (what an override factory may use). */
export interface CoreSubsystems {
  readonly security: SecurityStack;
  readonly capabilities: Capabilities;
  readonly userNamespaces: UserNamespaces;
}

/**
 * Replacements for single subsystems of {@link createDefaultKernel}: a value, or a factory that
 * builds one from the core subsystems. Unknown keys are rejected.
 *
 * @example
 * const refuseAll: Verifier = { verify: () => { throw new BpfError('EACCES', 'test:refused', 'refused'); } };
 * const kernel = createDefaultKernel({ overrides: { verifier: refuseAll } });
 */
export interface SubsystemOverrides {
  readonly capabilities?: Capabilities | ((core: Pick<CoreSubsystems, 'security'>) => Capabilities);
  readonly userNamespaces?: UserNamespaces | ((core: Pick<CoreSubsystems, 'capabilities'>) => UserNamespaces);
  readonly token?: TokenService | ((core: CoreSubsystems) => TokenService);
  readonly bpffs?: BpfFs | ((core: CoreSubsystems) => BpfFs);
  readonly maps?: MapTypeRegistry;
  readonly progTypes?: ProgTypeRegistry;
  readonly verifier?: Verifier | ((core: { readonly progTypes: ProgTypeRegistry }) => Verifier);
  readonly helpers?: HelperRegistry;
  readonly testRun?: TestRunService;
}

const KNOWN = new Set(['lsm', 'tracer', 'clock', 'random', 'cpus', 'engine', 'initCaps', 'sysctls', 'fileSystems', 'vmlinuxBtf', 'kernelConfig', 'verifier', 'overrides']);
const KNOWN_OVERRIDES = new Set(['capabilities', 'userNamespaces', 'token', 'bpffs', 'maps', 'progTypes', 'verifier', 'helpers', 'testRun']);

/** The override when given (built by its factory from `core`), else the default. */
function pick<T extends object, C>(given: T | ((core: C) => T) | undefined, core: C, fallback: () => T): T {
  if (given === undefined) return fallback();
  return typeof given === 'function' ? given(core) : given;
}

function engineOf(choice: DefaultKernelOptions['engine']): ExecutionEngine {
  if (choice === 'interp') return createInterpreter();
  if (choice === 'wasm') return createWasmEngine({ fallback: createInterpreter() });
  if (typeof choice === 'object') return choice;
  if (choice !== undefined) throw new TypeError(`createDefaultKernel: engine must be 'interp' or 'wasm', not ${String(choice)}`);
  return createDefaultEngine();
}

/**
 * A kernel wired with the real subsystems of bpfkit, as Linux 6.18 behaves.
 *
 * @example
 * // exported as the `defaults` subpath of the kernel package
 * const kernel = createDefaultKernel();
 * const c = kernel.init.fork();
 */
export function createDefaultKernel(options: DefaultKernelOptions = {}): Kernel {
  const vmlinux = options.vmlinuxBtf ?? builtinVmlinuxBtf;
  for (const k of Object.keys(options)) if (!KNOWN.has(k)) throw new TypeError(`createDefaultKernel: unknown option ${k}`);
  const overrides = options.overrides ?? {};
  for (const k of Object.keys(overrides)) if (!KNOWN_OVERRIDES.has(k)) throw new TypeError(`createDefaultKernel: unknown override ${k}`);
  for (const k of Object.keys(options.verifier ?? {})) if (k !== 'callbackLoops') throw new TypeError(`createDefaultKernel: unknown verifier option ${k}`);
  const tracer = options.tracer;
  const traced = tracer === undefined ? {} : { tracer };
  const security = createSecurityStack(options.lsm ?? []);
  const capabilities = pick(overrides.capabilities, { security }, () => createCapabilityChecker({ lsm: security, ...traced }));
  const userNamespaces = pick(overrides.userNamespaces, { capabilities }, () => createUserNamespaces({ capabilities, ...traced }));
  const core: CoreSubsystems = { security, capabilities, userNamespaces };
  const token = pick(overrides.token, core, () => createTokenService({ capabilities, lsm: security, userNamespaces, ...traced }));
  const bpffs = pick(overrides.bpffs, core, () => createBpfFs({ userNamespaces, capabilities, ...traced }));
  const cpus = options.cpus ?? 2;
  const random = options.random ?? seededRandom(0);
  // One arena for everything: map values, program stacks, contexts and packets share its address space.
  const arena = createVmArena();
  // bpf_timer state: the maps free timers with their elements, the helpers and the kernel run them.
  const timers = createTimerTable();
  const maps = overrides.maps ?? createMapTypes({ possibleCpus: cpus, arena, random, timers });
  const progs = overrides.progTypes ?? createProgTypes();
  const callbackLoops = options.verifier?.callbackLoops;
  const verifier = pick(overrides.verifier, { progTypes: progs }, () => createVerifier({ progTypes: progs, possibleCpus: cpus, ...(callbackLoops === undefined ? {} : { callbackLoops }) }));
  const btf: BtfLoader = {
    load(data, log) {
      const parsed = parseBtf(data, { logLevel: log.level, ...(log.level === 0 ? {} : { logSize: log.size }) });
      return { log: parsed.log, logTrueSize: parsed.logTrueSize, btf: parsed };
    },
  };
  return createKernel({
    userNamespaces,
    capabilities,
    security,
    token,
    bpffs,
    maps,
    progs,
    verifier,
    btf,
    cpus,
    random,
    arena,
    engine: engineOf(options.engine),
    helpers: overrides.helpers ?? createHelperRegistry(),
    testRun: overrides.testRun ?? createTestRunService(),
    timers,
    vmlinuxBtf: vmlinux,
    kernelConfig: options.kernelConfig ?? BUILTIN_KERNEL_CONFIG,
    vmlinuxBtfBytes: () => {
      const v = vmlinux();
      return v instanceof Btf ? encodeBtf(v) : undefined;
    },
    ...(tracer === undefined ? {} : { tracer }),
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    ...(options.initCaps === undefined ? {} : { initCaps: options.initCaps }),
    ...(options.sysctls === undefined ? {} : { sysctls: options.sysctls }),
    ...(options.fileSystems === undefined ? {} : { fileSystems: options.fileSystems }),
  });
}
