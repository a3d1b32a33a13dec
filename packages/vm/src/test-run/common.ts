import { BpfMapType, type ErrnoName } from '@bpfkit/uapi';
import { bindCgroupStorage, unbindCgroupStorage } from '../contexts/local-storage.js';
import { BpfError, type RunEnv, type RunnableProgram, type TestRunEnv, type TestRunRequest, type TestRunResult } from '@bpfkit/kernel-api';

/** What a per-type runner gets. */
export interface TestRunCall {
  readonly prog: RunnableProgram;
  readonly req: TestRunRequest;
  readonly env: TestRunEnv;
  readonly options: ResolvedTestRunOptions;
}

/** {@link TestRunServiceOptions} with defaults filled in. */
export interface ResolvedTestRunOptions {
  /** Whether a network device with this ifindex exists in the caller's namespace (`dev_get_by_index`). */
  readonly hasDevice: (ifindex: number) => boolean;
  /** `real_num_rx_queues` of a device. */
  readonly rxQueues: (ifindex: number) => number;
}

/** `PAGE_SIZE` on x86-64: `bpf_test_init`'s bound on headroom + data + tailroom. */
export const PAGE_SIZE = 4096;
const U32_MAX = 0xffff_ffff;

/**
 * Throws the `BpfError` a runner returns for a refused request.
 *
 * @example
 * if (req.cpu !== 0) fail('EINVAL', 'cpu-not-allowed', 'this program type takes no cpu');
 */
export function fail(code: ErrnoName, reason: string, message: string): never {
  throw new BpfError(code, `test-run:${reason}`, message);
}

/**
 * `bpf_test_init`'s size check: at least `ETH_HLEN`, and the data with its
 * head- and tailroom within a page.
 *
 * @example
 * checkDataSize(req.dataIn?.length ?? 0, 64, 320);
 */
export function checkDataSize(size: number, headroom: number, tailroom: number): void {
  if (size < 14 || size > PAGE_SIZE - headroom - tailroom) {
    fail('EINVAL', 'data-size', `data_size_in ${size} is outside [14, ${PAGE_SIZE - headroom - tailroom}]`);
  }
}

/**
 * `bpf_ctx_init`: the context buffer of `maxSize` bytes, `ctx_in` copied into
 * it; undefined when the caller gave neither `ctx_in` nor `ctx_out`. A
 * `ctx_in` longer than the type's context must be zero past it (E2BIG).
 *
 * @example
 * const ctx = ctxInit(req, SK_BUFF_SIZE);
 */
export function ctxInit(req: TestRunRequest, maxSize: number): Uint8Array | undefined {
  if (req.ctxIn === undefined && req.ctxSizeOut === 0) return undefined;
  const ctx = new Uint8Array(maxSize);
  if (req.ctxIn !== undefined) {
    for (let i = maxSize; i < req.ctxIn.length; i++) {
      if (req.ctxIn[i] !== 0) fail('E2BIG', 'ctx-tail-not-zero', `ctx_in byte ${i} past the ${maxSize}-byte context is not zero`);
    }
    ctx.set(req.ctxIn.subarray(0, maxSize));
  }
  return ctx;
}

/**
 * `range_is_zero`: EINVAL unless `buf[from, to)` is all zero (fields a test run does not take).
 *
 * @example
 * requireZero(ctx, 0, 8, '__sk_buff before mark');
 */
export function requireZero(buf: Uint8Array, from: number, to: number, what: string): void {
  for (let i = from; i < to; i++) if (buf[i] !== 0) fail('EINVAL', 'ctx-field-not-allowed', `${what} must be zero (byte ${i})`);
}

/** What {@link runRepeated} measured. */
export interface RepeatedRun {
  readonly retval: number;
  readonly durationNs: number;
}

/**
 * `bpf_test_run`: runs the program `repeat` times (0 means once) on the same
 * context, as the kernel does (changes a run makes stay for the next), and
 * times it with the injected clock; a fault becomes
 * `BpfError('EFAULT', 'vm:fault')`.
 *
 * @example
 * const { retval, durationNs } = runRepeated(call, ctxAddr, call.req.repeat);
 */
export function runRepeated(call: TestRunCall, r1: number, repeat: number, extra: Partial<Pick<RunEnv, 'loadSkbBytes' | 'cpu'>> = {}, beforeEach?: () => void): RepeatedRun {
  const env = call.env;
  const runEnv: RunEnv = { arena: env.arena, cpu: extra.cpu ?? 0, helpers: env.helpers, services: env.services, ...(extra.loadSkbBytes === undefined ? {} : { loadSkbBytes: extra.loadSkbBytes }) };
  const n = repeat === 0 ? 1 : repeat;
  const clock = env.services.clock;
  const storages = allocCgroupStorages(call);
  try {
    const start = clock.nowNs();
    let retval = 0;
    for (let i = 0; i < n; i++) {
      beforeEach?.();
      const out = call.prog.loaded.run({ r1 }, runEnv);
      if (out.kind === 'fault') throw new BpfError('EFAULT', 'vm:fault', out.fault.message);
      retval = Number(BigInt.asUintN(32, out.r0));
    }
    const spent = (clock.nowNs() - start) / BigInt(n);
    return { retval, durationNs: spent > BigInt(U32_MAX) ? U32_MAX : Number(spent) };
  } finally {
    for (const [map, addr] of storages) {
      unbindCgroupStorage(env.arena, map);
      env.arena.free(addr);
    }
  }
}

/**
 * `bpf_cgroup_storage_alloc` for each cgroup-storage map the program uses: a
 * test run gets fresh zeroed storage, installed for the run and freed after.
 */
function allocCgroupStorages(call: TestRunCall): Map<number, number> {
  const out = new Map<number, number>();
  for (const map of call.prog.loaded.image.maps) {
    const t = map.info.mapType;
    if (t !== BpfMapType.BPF_MAP_TYPE_CGROUP_STORAGE && t !== BpfMapType.BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE) continue;
    const size = Math.ceil(map.info.valueSize / 8) * 8 * (t === BpfMapType.BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE ? call.env.cpus : 1);
    const addr = call.env.arena.alloc(size);
    out.set(map.address, addr);
    bindCgroupStorage(call.env.arena, map.address, addr);
  }
  return out;
}

/**
 * `bpf_test_finish` (+ `bpf_ctx_finish` when the data fit): `data_out` is
 * cut to `data_size_out` when that is set and smaller (then `truncated`, the
 * command's ENOSPC, and `ctx_out` is not written); `ctx_out` likewise.
 *
 * @example
 * return finish(req, run, packetBytes, ctx);
 */
export function finish(req: TestRunRequest, run: RepeatedRun, data: Uint8Array | undefined, ctx?: Uint8Array): TestRunResult {
  const size = data?.length ?? 0;
  const dataTruncated = req.dataSizeOut !== 0 && size > req.dataSizeOut;
  const base = {
    retval: run.retval,
    durationNs: run.durationNs,
    dataOut: data === undefined ? new Uint8Array(0) : data.slice(0, dataTruncated ? req.dataSizeOut : size),
    dataSizeOut: size,
  };
  if (dataTruncated || ctx === undefined || req.ctxSizeOut === 0) return { ...base, truncated: dataTruncated };
  const ctxTruncated = ctx.length > req.ctxSizeOut;
  return { ...base, ctxOut: ctx.slice(0, ctxTruncated ? req.ctxSizeOut : ctx.length), ctxSizeOut: ctx.length, truncated: ctxTruncated };
}

/**
 * The checks many runners start with: no `flags`, `cpu` or `batch_size`.
 *
 * @example
 * noFlagsCpuBatch(req);
 */
export function noFlagsCpuBatch(req: TestRunRequest, allowedFlags = 0): void {
  if ((req.flags & ~allowedFlags) !== 0 || req.cpu !== 0 || req.batchSize !== 0) {
    fail('EINVAL', 'flags-cpu-batch', 'this program type takes no flags, cpu or batch_size');
  }
}
