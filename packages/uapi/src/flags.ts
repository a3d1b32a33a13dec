// The flags bpf.h declares with #define (absent from BTF), checked against the 6.18 header and,
// where cheap, against the running kernel (prog_flags bits 0-7 load; test-run bit 3 is EINVAL on 6.18).
import { BPF_F_LINK, BPF_F_TOKEN_FD } from './flags.generated.js';

export * from './flags.generated.js';

/** Cgroup attach: allow a program below to override this one. */
export const BPF_F_ALLOW_OVERRIDE = 1 << 0;
/** Cgroup attach: allow several programs per hook. */
export const BPF_F_ALLOW_MULTI = 1 << 1;
/** Attach: replace `replace_bpf_fd` (cgroup) / the old program (link_update). */
export const BPF_F_REPLACE = 1 << 2;
/** mprog attach: before the relative program or link. */
export const BPF_F_BEFORE = 1 << 3;
/** mprog attach: after the relative program or link. */
export const BPF_F_AFTER = 1 << 4;
/** mprog attach: `relative_id` is an id, not an fd. */
export const BPF_F_ID = 1 << 5;
/** Cgroup attach: run this program before those attached higher up (6.15+). */
export const BPF_F_PREORDER = 1 << 6;

/** `attach_flags` / `link_create.flags` of BPF_PROG_ATTACH, BPF_PROG_DETACH and BPF_LINK_CREATE. */
export const BpfAttachFlag = {
  BPF_F_ALLOW_OVERRIDE,
  BPF_F_ALLOW_MULTI,
  BPF_F_REPLACE,
  BPF_F_BEFORE,
  BPF_F_AFTER,
  BPF_F_ID,
  BPF_F_PREORDER,
  BPF_F_LINK,
} as const;

/** Verifier: check alignment as a strict-alignment architecture would. */
export const BPF_F_STRICT_ALIGNMENT = 1 << 0;
/** Verifier: allow any alignment (tests only). */
export const BPF_F_ANY_ALIGNMENT = 1 << 1;
/** Verifier: randomise the upper 32 bits after 32-bit ops (tests only). */
export const BPF_F_TEST_RND_HI32 = 1 << 2;
/** Verifier: print state-pruning frequency (tests only). */
export const BPF_F_TEST_STATE_FREQ = 1 << 3;
/** The program may sleep (fentry/fexit/lsm/iter/uprobe/struct_ops/syscall). */
export const BPF_F_SLEEPABLE = 1 << 4;
/** The XDP program understands multi-buffer frames. */
export const BPF_F_XDP_HAS_FRAGS = 1 << 5;
/** XDP program bound to a device only for metadata kfuncs. */
export const BPF_F_XDP_DEV_BOUND_ONLY = 1 << 6;
/** Verifier: check register invariants and fail on violation (was TEST_SANITY_STRICT). */
export const BPF_F_TEST_REG_INVARIANTS = 1 << 7;

/** `prog_flags` of BPF_PROG_LOAD (BPF_F_TOKEN_FD is shared with map/btf flags). */
export const BpfProgLoadFlag = {
  BPF_F_STRICT_ALIGNMENT,
  BPF_F_ANY_ALIGNMENT,
  BPF_F_TEST_RND_HI32,
  BPF_F_TEST_STATE_FREQ,
  BPF_F_SLEEPABLE,
  BPF_F_XDP_HAS_FRAGS,
  BPF_F_XDP_DEV_BOUND_ONLY,
  BPF_F_TEST_REG_INVARIANTS,
  BPF_F_TOKEN_FD,
} as const;

/** BPF_PROG_QUERY: report the effective programs (inherited ones included). */
export const BPF_F_QUERY_EFFECTIVE = 1 << 0;

/** BPF_PROG_TEST_RUN: run on `test.cpu`. */
export const BPF_F_TEST_RUN_ON_CPU = 1 << 0;
/** BPF_PROG_TEST_RUN: XDP frames are really transmitted (live frames mode). */
export const BPF_F_TEST_XDP_LIVE_FRAMES = 1 << 1;
/** BPF_PROG_TEST_RUN: skb gets CHECKSUM_COMPLETE and its checksum is validated (6.11+). */
export const BPF_F_TEST_SKB_CHECKSUM_COMPLETE = 1 << 2;

/** `test.flags` of BPF_PROG_TEST_RUN. */
export const BpfTestRunFlag = {
  BPF_F_TEST_RUN_ON_CPU,
  BPF_F_TEST_XDP_LIVE_FRAMES,
  BPF_F_TEST_SKB_CHECKSUM_COMPLETE,
} as const;

/** `link_create.netfilter.flags`: defragment IP packets before the program. */
export const BPF_F_NETFILTER_IP_DEFRAG = 1 << 0;

/**
 * The names of the flags set in `value`, from a flag group; unknown bits come last as one hex number.
 *
 * @example
 * flagNames(BpfMapFlag, 0x10001); // ['BPF_F_NO_PREALLOC', 'BPF_F_TOKEN_FD']
 */
export function flagNames(group: Readonly<Record<string, number>>, value: number): string[] {
  const names: string[] = [];
  let rest = value >>> 0;
  for (const [name, bit] of Object.entries(group)) {
    if (bit > 0 && (bit & (bit - 1)) === 0 && (rest & bit) !== 0) {
      names.push(name);
      rest = (rest & ~bit) >>> 0;
    }
  }
  if (rest !== 0) names.push(`0x${rest.toString(16)}`);
  return names;
}
