import type { Credentials, UserNamespace } from './creds.js';
import type { Tracer } from './trace.js';

/** The four `delegate_*` masks of a bpffs instance (bit N = enum value N; unknown bits kept). */
export interface DelegateMasks {
  readonly cmds: bigint;
  readonly maps: bigint;
  readonly progs: bigint;
  readonly attachs: bigint;
}

/** A BPF token (`struct bpf_token`): the bpffs's userns and a copy of its masks at creation. */
export interface BpfTokenInfo {
  readonly id: number;
  readonly userNs: UserNamespace;
  readonly allowedCmds: bigint;
  readonly allowedMaps: bigint;
  readonly allowedProgs: bigint;
  readonly allowedAttachs: bigint;
}

/**
 * What the kernel resolved `token_create.bpffs_fd` to; the token service runs
 * the checks on it in the kernel's order.
 */
export interface TokenSource {
  /** The fd was opened with O_PATH (e.g. the fd `fsmount()` returns): EBADF. */
  readonly opath: boolean;
  /** The dentry is its superblock's root (a bind mount of the root counts). */
  readonly isSuperblockRoot: boolean;
  /** The superblock's file system type, `bpf` for bpffs. */
  readonly fsType: string;
  /** The superblock's `s_user_ns`. */
  readonly superblockUserNs: UserNamespace;
  /** The superblock's delegation (bpffs only). */
  readonly delegate: DelegateMasks | undefined;
  /** A printable path, for the LSM path hook and explanations. */
  readonly path: string;
}

/** The token half of the BPF subsystem: `kernel/bpf/token.c`. */
export interface TokenService {
  /**
   * `BPF_TOKEN_CREATE` after the attr checks (tail, flags) and fd lookup:
   * every remaining check in the kernel's order. Throws `BpfError`.
   */
  create(cred: Credentials, source: TokenSource, tracer?: Tracer): BpfTokenInfo;
  /** `bpf_token_allow_cmd`: the cmd bit is set and the LSM agrees. */
  allowCmd(cred: Credentials, token: BpfTokenInfo | undefined, cmd: number, tracer?: Tracer): boolean;
  /** `bpf_token_allow_map_type`. */
  allowMapType(token: BpfTokenInfo | undefined, mapType: number, tracer?: Tracer): boolean;
  /** `bpf_token_allow_prog_type`: both the prog bit and the attach bit. */
  allowProgType(token: BpfTokenInfo | undefined, progType: number, attachType: number, tracer?: Tracer): boolean;
  /**
   * `bpf_token_capable`: `ns_capable(token userns or init, cap)`, with
   * CAP_SYS_ADMIN standing in for any other cap, then the token LSM hook.
   */
  capable(cred: Credentials, token: BpfTokenInfo | undefined, cap: number, tracer?: Tracer): boolean;
  /**
   * The `allowed_*` lines of `/proc/self/fdinfo/<token fd>`: four lines, each
   * ending in `\n`, e.g. `allowed_cmds:\tany\n` or `allowed_maps:\t0x4\n`.
   */
  fdinfo(token: BpfTokenInfo): string;
  /** Drops the token (runs the free hook). */
  release(token: BpfTokenInfo): void;
}
