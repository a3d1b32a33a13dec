import type { VmArena } from '@bpfkit/kernel-api';

/** Offsets of `struct bpf_sock_addr` (cgroup connect/bind/sendmsg… hooks). */
export const SockAddr = {
  user_family: 0, user_ip4: 4, user_ip6: 8, user_port: 24, family: 28, type: 32, protocol: 36, msg_src_ip4: 40,
  msg_src_ip6: 44, sk: 64,
} as const;
/** `sizeof(struct bpf_sock_addr)`. */
export const SOCK_ADDR_SIZE = 72;

/** Offsets of `struct bpf_sk_lookup`. */
export const SkLookup = {
  sk: 0, cookie: 0, family: 8, protocol: 12, remote_ip4: 16, remote_ip6: 20, remote_port: 36, local_ip4: 40,
  local_ip6: 44, local_port: 60, ingress_ifindex: 64,
} as const;
/** `sizeof(struct bpf_sk_lookup)`. */
export const SK_LOOKUP_SIZE = 72;

/** Offsets of `struct bpf_sock` (what `__sk_buff.sk` and socket helpers point at). */
export const BpfSock = {
  bound_dev_if: 0, family: 4, type: 8, protocol: 12, mark: 16, priority: 20, src_ip4: 24, src_ip6: 28, src_port: 44,
  dst_port: 48, dst_ip4: 52, dst_ip6: 56, state: 72, rx_queue_mapping: 76,
} as const;
/** `sizeof(struct bpf_sock)`. */
export const BPF_SOCK_SIZE = 80;

/** `MAX_BPF_FUNC_ARGS`: a raw tracepoint passes at most this many u64 arguments. */
export const MAX_BPF_FUNC_ARGS = 12;

/**
 * A context that is plain memory: `size` bytes in the arena, starting with
 * `init` (zero after it). Raw tracepoint args (a u64 array), syscall
 * programs' `ctx_in` copy, `bpf_sock_addr` and `bpf_sk_lookup` are built this
 * way; free it with `arena.free`.
 *
 * @example
 * const args = createPlainContext(arena, u64s(1n, 2n), 16); // r1 → [1, 2]
 */
export function createPlainContext(arena: VmArena, init: Uint8Array | undefined, size: number): number {
  const ctx = arena.alloc(Math.max(size, 1));
  if (init !== undefined) arena.bytes.set(init.subarray(0, size), ctx);
  return ctx;
}

/**
 * `bpf_sock_addr` for a cgroup sock_addr hook, from its fields.
 *
 * @example
 * const ctx = createSockAddrContext(arena, { user_family: 2, user_ip4: 0x0100007f, user_port: 0x5000 });
 */
export function createSockAddrContext(arena: VmArena, fields: Partial<Record<Exclude<keyof typeof SockAddr, 'user_ip6' | 'msg_src_ip6' | 'sk'>, number>>): number {
  const ctx = arena.alloc(SOCK_ADDR_SIZE);
  for (const [name, value] of Object.entries(fields)) {
    const off = (SockAddr as Record<string, number>)[name];
    if (off !== undefined && value !== undefined) arena.view.setUint32(ctx + off, value >>> 0, true);
  }
  return ctx;
}
