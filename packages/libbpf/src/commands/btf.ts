import { BpfError, isBpfError, type BpfSyscall } from '@bpfkit/kernel-api';
import { BPF_F_TOKEN_FD, BpfCmd, encodeBtfLoadAttr, encodeTokenCreateAttr } from '@bpfkit/uapi';
import { checkKeys } from './map.js';
import { cStringOf, withScratch } from './scratch.js';

/** Options of {@link bpfBtfLoad}. */
export interface BtfLoadOptions {
  readonly logLevel?: number;
  /** Default 16 MiB - 1 when a log level is set. */
  readonly logSize?: number;
  readonly tokenFd?: number;
}

/**
 * BPF_BTF_LOAD (libbpf `bpf_btf_load`). Returns the BTF object's fd; with a log level, a failure
 * carries the BTF verifier log in `.log`.
 *
 * @example
 * const btfFd = bpfBtfLoad(sys, encodeBtf(btf));
 */
export function bpfBtfLoad(sys: BpfSyscall, bytes: Uint8Array, opts: BtfLoadOptions = {}): number {
  checkKeys('bpfBtfLoad', opts, new Set(['logLevel', 'logSize', 'tokenFd']));
  const logLevel = opts.logLevel ?? 0;
  const logSize = logLevel === 0 ? 0 : (opts.logSize ?? 0xffff_ffff >>> 8);
  return withScratch(sys, (s) => {
    const logBuf = s.alloc(logSize);
    const attr = encodeBtfLoadAttr({
      btf: s.alloc(bytes),
      btf_size: bytes.length,
      btf_log_buf: logBuf,
      btf_log_size: logSize,
      btf_log_level: logLevel,
      btf_flags: opts.tokenFd === undefined ? 0 : BPF_F_TOKEN_FD,
      btf_token_fd: opts.tokenFd ?? 0,
    });
    try {
      return sys.bpf(BpfCmd.BPF_BTF_LOAD, attr);
    } catch (e) {
      if (logBuf !== 0n && isBpfError(e)) throw new BpfError(e.code, e.reason, e.message, { log: cStringOf(s.read(logBuf, logSize)), cause: e });
      throw e;
    }
  });
}

/**
 * BPF_TOKEN_CREATE (libbpf `bpf_token_create`) from an fd of a bpffs mount's root.
 *
 * @example
 * const tokenFd = bpfTokenCreate(sys, task.open('/sys/fs/bpf', O_RDONLY));
 */
export function bpfTokenCreate(sys: BpfSyscall, bpffsFd: number, flags = 0): number {
  return sys.bpf(BpfCmd.BPF_TOKEN_CREATE, encodeTokenCreateAttr({ flags, bpffs_fd: bpffsFd }));
}
