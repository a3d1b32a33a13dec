import { BpfError, isBpfError, type BpfSyscall } from '@bpfkit/kernel-api';
import { BPF_F_TOKEN_FD, BpfCmd, decodeProgLoadAttr, decodeTestRunAttr, encodeAttr, encodeProgLoadAttr, encodeTestRunAttr } from '@bpfkit/uapi';
import { checkKeys } from './map.js';
import { cStringOf, objName, withScratch } from './scratch.js';

/** BTF.ext records as the kernel takes them: packed records of `recSize` bytes. */
export interface ExtRecords {
  readonly recSize: number;
  readonly bytes: Uint8Array;
}

/** Options of {@link bpfProgLoad}, as libbpf's `bpf_prog_load()` takes them. */
export interface ProgLoadOptions {
  readonly progType: number;
  /** The instructions, 8 bytes each. */
  readonly insns: Uint8Array;
  readonly license: string;
  readonly expectedAttachType?: number;
  readonly progName?: string;
  readonly progFlags?: number;
  readonly kernVersion?: number;
  readonly progIfindex?: number;
  /** 0 asks for no log; 1, 2 and the stats bit 4 as the kernel reads them. */
  readonly logLevel?: number;
  /** Bytes of log buffer (default 16 MiB - 1 when a log level is set). */
  readonly logSize?: number;
  readonly progBtfFd?: number;
  readonly funcInfo?: ExtRecords;
  readonly lineInfo?: ExtRecords;
  readonly attachBtfId?: number;
  readonly attachBtfObjFd?: number;
  readonly attachProgFd?: number;
  readonly fdArray?: readonly number[];
  /** `fd_array_cnt` (libbpf 1.6): bind the first N fds of {@link fdArray} (maps, BTF objects) to the program at load. */
  readonly fdArrayCnt?: number;
  /** A BPF token fd: sets `prog_token_fd` and `BPF_F_TOKEN_FD` in `prog_flags`. */
  readonly tokenFd?: number;
}

/** What {@link bpfProgLoad} gives back. */
export interface ProgLoadResult {
  readonly fd: number;
  /** The verifier log ('' when none was asked for). */
  readonly log: string;
  /** `log_true_size` as the kernel wrote it back. */
  readonly logTrueSize: number;
}

/** libbpf's `BPF_LOG_BUF_SIZE` (UINT32_MAX >> 8). */
export const BPF_LOG_BUF_SIZE = 0xffff_ffff >>> 8;

const PROG_LOAD_KEYS = new Set([
  'progType', 'insns', 'license', 'expectedAttachType', 'progName', 'progFlags', 'kernVersion', 'progIfindex', 'logLevel',
  'logSize', 'progBtfFd', 'funcInfo', 'lineInfo', 'attachBtfId', 'attachBtfObjFd', 'attachProgFd', 'fdArray', 'fdArrayCnt', 'tokenFd',
]);

function u32Array(values: readonly number[]): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const v = new DataView(out.buffer);
  values.forEach((x, i) => {
    v.setUint32(i * 4, x >>> 0, true);
  });
  return out;
}

/**
 * BPF_PROG_LOAD (libbpf `bpf_prog_load`). On failure the kernel's BpfError is thrown; when a log
 * was asked for, it is rethrown with the log text in `.log` (same errno and reason).
 *
 * @example
 * const { fd } = bpfProgLoad(sys, { progType: BpfProgType.BPF_PROG_TYPE_SOCKET_FILTER, insns: encodeProgram([mov64Imm(0, 0), exit()]), license: 'GPL' });
 */
export function bpfProgLoad(sys: BpfSyscall, opts: ProgLoadOptions): ProgLoadResult {
  checkKeys('bpfProgLoad', opts, PROG_LOAD_KEYS);
  if (opts.insns.length % 8 !== 0) throw new BpfError('EINVAL', 'libbpf:bad-insns', `bpfProgLoad: ${String(opts.insns.length)} bytes of instructions is not a multiple of 8`);
  const logLevel = opts.logLevel ?? 0;
  const logSize = logLevel === 0 ? (opts.logSize ?? 0) : (opts.logSize ?? BPF_LOG_BUF_SIZE);
  return withScratch(sys, (s) => {
    const logBuf = s.alloc(logSize);
    const attr = encodeProgLoadAttr({
      prog_type: opts.progType,
      insn_cnt: opts.insns.length / 8,
      insns: s.alloc(opts.insns),
      license: s.cString(opts.license),
      log_level: logLevel,
      log_size: logSize,
      log_buf: logBuf,
      kern_version: opts.kernVersion ?? 0,
      prog_flags: ((opts.progFlags ?? 0) | (opts.tokenFd === undefined ? 0 : BPF_F_TOKEN_FD)) >>> 0,
      prog_name: objName(opts.progName),
      prog_ifindex: opts.progIfindex ?? 0,
      expected_attach_type: opts.expectedAttachType ?? 0,
      prog_btf_fd: opts.progBtfFd ?? 0,
      func_info_rec_size: opts.funcInfo?.recSize ?? 0,
      func_info: opts.funcInfo === undefined ? 0n : s.alloc(opts.funcInfo.bytes),
      func_info_cnt: opts.funcInfo === undefined ? 0 : opts.funcInfo.bytes.length / opts.funcInfo.recSize,
      line_info_rec_size: opts.lineInfo?.recSize ?? 0,
      line_info: opts.lineInfo === undefined ? 0n : s.alloc(opts.lineInfo.bytes),
      line_info_cnt: opts.lineInfo === undefined ? 0 : opts.lineInfo.bytes.length / opts.lineInfo.recSize,
      attach_btf_id: opts.attachBtfId ?? 0,
      attach_prog_fd: opts.attachBtfObjFd ?? opts.attachProgFd ?? 0,
      fd_array: opts.fdArray === undefined ? 0n : s.alloc(u32Array(opts.fdArray)),
      fd_array_cnt: opts.fdArrayCnt ?? 0,
      prog_token_fd: opts.tokenFd ?? 0,
    });
    const readLog = (): string => (logBuf === 0n ? '' : cStringOf(s.read(logBuf, logSize)));
    try {
      const fd = sys.bpf(BpfCmd.BPF_PROG_LOAD, attr);
      return { fd, log: readLog(), logTrueSize: decodeProgLoadAttr(attr).log_true_size };
    } catch (e) {
      if (logBuf !== 0n && isBpfError(e)) {
        throw new BpfError(e.code, e.reason, e.message, { log: readLog(), cause: e });
      }
      throw e;
    }
  });
}

/** Options of {@link bpfProgTestRun} (libbpf `struct bpf_test_run_opts`). */
export interface TestRunOptions {
  readonly dataIn?: Uint8Array;
  /** Bytes of `data_out` buffer (default: no data out). */
  readonly dataSizeOut?: number;
  readonly ctxIn?: Uint8Array;
  readonly ctxSizeOut?: number;
  readonly repeat?: number;
  readonly flags?: number;
  readonly cpu?: number;
  readonly batchSize?: number;
}

/** What a test run returns. */
export interface TestRunResult {
  /** The program's return value (u32). */
  readonly retval: number;
  readonly duration: number;
  readonly dataOut?: Uint8Array;
  readonly ctxOut?: Uint8Array;
}

const TEST_RUN_KEYS = new Set(['dataIn', 'dataSizeOut', 'ctxIn', 'ctxSizeOut', 'repeat', 'flags', 'cpu', 'batchSize']);

/**
 * BPF_PROG_TEST_RUN (libbpf `bpf_prog_test_run_opts`).
 *
 * @example
 * const { retval, dataOut } = bpfProgTestRun(sys, progFd, { dataIn: packet, dataSizeOut: 1500, repeat: 1 });
 */
export function bpfProgTestRun(sys: BpfSyscall, progFd: number, opts: TestRunOptions = {}): TestRunResult {
  checkKeys('bpfProgTestRun', opts, TEST_RUN_KEYS);
  return withScratch(sys, (s) => {
    const dataOutSize = opts.dataSizeOut ?? 0;
    const ctxOutSize = opts.ctxSizeOut ?? 0;
    const dataOut = s.alloc(dataOutSize);
    const ctxOut = s.alloc(ctxOutSize);
    const attr = encodeTestRunAttr({
      prog_fd: progFd,
      data_size_in: opts.dataIn?.length ?? 0,
      data_size_out: dataOutSize,
      data_in: opts.dataIn === undefined ? 0n : s.alloc(opts.dataIn),
      data_out: dataOut,
      repeat: opts.repeat ?? 0,
      ctx_size_in: opts.ctxIn?.length ?? 0,
      ctx_size_out: ctxOutSize,
      ctx_in: opts.ctxIn === undefined ? 0n : s.alloc(opts.ctxIn),
      ctx_out: ctxOut,
      flags: opts.flags ?? 0,
      cpu: opts.cpu ?? 0,
      batch_size: opts.batchSize ?? 0,
    });
    sys.bpf(BpfCmd.BPF_PROG_TEST_RUN, attr);
    const out = decodeTestRunAttr(attr);
    return {
      retval: out.retval,
      duration: out.duration,
      ...(dataOut === 0n ? {} : { dataOut: s.read(dataOut, Math.min(out.data_size_out, dataOutSize)) }),
      ...(ctxOut === 0n ? {} : { ctxOut: s.read(ctxOut, Math.min(out.ctx_size_out, ctxOutSize)) }),
    };
  });
}

/** Options of {@link bpfProgAttach}. */
export interface ProgAttachOptions {
  readonly flags?: number;
  readonly replaceFd?: number;
  readonly relativeFd?: number;
  readonly expectedRevision?: bigint;
}

/**
 * BPF_PROG_ATTACH (libbpf `bpf_prog_attach_opts`).
 *
 * @example
 * bpfProgAttach(sys, progFd, cgroupFd, BpfAttachType.BPF_CGROUP_INET_INGRESS, { flags: BPF_F_ALLOW_MULTI });
 */
export function bpfProgAttach(sys: BpfSyscall, progFd: number, targetFd: number, attachType: number, opts: ProgAttachOptions = {}): void {
  checkKeys('bpfProgAttach', opts, new Set(['flags', 'replaceFd', 'relativeFd', 'expectedRevision']));
  sys.bpf(BpfCmd.BPF_PROG_ATTACH, encodeAttr(BpfCmd.BPF_PROG_ATTACH, {
    target_fd: targetFd,
    attach_bpf_fd: progFd,
    attach_type: attachType,
    attach_flags: opts.flags ?? 0,
    replace_bpf_fd: opts.replaceFd ?? 0,
    relative_fd: opts.relativeFd ?? 0,
    expected_revision: opts.expectedRevision ?? 0n,
  }));
}

/**
 * BPF_PROG_DETACH (libbpf `bpf_prog_detach2`).
 *
 * @example
 * bpfProgDetach(sys, progFd, cgroupFd, BpfAttachType.BPF_CGROUP_INET_INGRESS);
 */
export function bpfProgDetach(sys: BpfSyscall, progFd: number, targetFd: number, attachType: number): void {
  sys.bpf(BpfCmd.BPF_PROG_DETACH, encodeAttr(BpfCmd.BPF_PROG_DETACH, { target_fd: targetFd, attach_bpf_fd: progFd, attach_type: attachType }));
}

/**
 * BPF_PROG_BIND_MAP (libbpf `bpf_prog_bind_map`).
 *
 * @example
 * bpfProgBindMap(sys, progFd, rodataFd);
 */
export function bpfProgBindMap(sys: BpfSyscall, progFd: number, mapFd: number, flags = 0): void {
  sys.bpf(BpfCmd.BPF_PROG_BIND_MAP, encodeAttr(BpfCmd.BPF_PROG_BIND_MAP, { prog_fd: progFd, map_fd: mapFd, flags }));
}
