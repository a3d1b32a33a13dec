import type { HelperPrivileges, ProgTypeDescriptor } from '@bpfkit/kernel-api';
import { BpfProgType } from '@bpfkit/uapi';
import { defineProgType } from './define.js';

/** Helpers `bpf_tcp_ca_get_func_proto` adds to the base set: tcp_send_ack, sk_storage_get/delete, ktime_get_coarse_ns. */
const TCP_CA_HELPERS = new Set([116, 107, 108, 160]);
/** setsockopt and getsockopt: every tcp_congestion_ops callback but `release`. */
const TCP_CA_SOCKOPT = new Set([49, 57]);
/** The index of `release` in 6.18's `struct tcp_congestion_ops` (the member index is the expected attach type). */
const TCP_CA_RELEASE = 17;

/**
 * `BPF_PROG_TYPE_STRUCT_OPS`: struct_ops callbacks. The only struct_ops registered is
 * `tcp_congestion_ops`, so helpers are `bpf_tcp_ca_get_func_proto`'s: the base set, plus
 * tcp_send_ack, sk_storage_get/delete and ktime_get_coarse_ns, plus setsockopt/getsockopt
 * except in `release`.
 *
 * @example
 * structOpsProgType().isHelperAllowed(49, 17, privileges); // false: release() may not setsockopt
 */
export function structOpsProgType(): ProgTypeDescriptor {
  const base = defineProgType({
    type: BpfProgType.BPF_PROG_TYPE_STRUCT_OPS,
    capabilities: ['CAP_BPF', 'CAP_PERFMON'],
  });
  return Object.freeze({
    ...base,
    isHelperAllowed: (funcId: number, eat: number, privileges: HelperPrivileges): boolean =>
      TCP_CA_HELPERS.has(funcId) || (TCP_CA_SOCKOPT.has(funcId) && eat !== TCP_CA_RELEASE) || base.isHelperAllowed(funcId, eat, privileges),
  });
}
