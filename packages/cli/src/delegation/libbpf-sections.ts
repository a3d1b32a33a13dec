import { findSecDef } from '@bpfkit/elf';
import { BpfAttachType, BpfProgType } from '@bpfkit/uapi';

// One usual section name per program type; libbpf's table (through @bpfkit/elf) says what it loads with.
const USUAL_SECTIONS = [
  'socket', 'sk_reuseport', 'kprobe', 'tc', 'action', 'tracepoint', 'raw_tracepoint', 'raw_tracepoint.w', 'fentry', 'freplace',
  'lsm', 'syscall', 'xdp', 'perf_event', 'lwt_in', 'lwt_out', 'lwt_xmit', 'lwt_seg6local', 'sockops', 'sk_skb', 'sk_msg',
  'lirc_mode2', 'flow_dissector', 'cgroup/skb', 'cgroup/sock', 'cgroup/bind4', 'cgroup/sysctl', 'cgroup/getsockopt', 'cgroup/dev',
  'struct_ops', 'sk_lookup', 'netfilter',
];

/** The section libbpf users write for a program type, and the expected attach type libbpf loads it with. */
export interface LibbpfSection {
  readonly section: string;
  readonly attachType: number;
}

/**
 * The usual `SEC()` of a program type when libbpf loads it with a non-zero
 * expected attach type (`SEC("xdp")` → `BPF_XDP`), else undefined.
 *
 * @example
 * libbpfSection(BpfProgType.BPF_PROG_TYPE_XDP); // { section: 'xdp', attachType: 37 }
 */
export function libbpfSection(progType: number): LibbpfSection | undefined {
  for (const section of USUAL_SECTIONS) {
    const def = findSecDef(section);
    if (def === undefined || BpfProgType[def.progType] !== progType) continue;
    return def.attachType === undefined ? undefined : { section, attachType: BpfAttachType[def.attachType] };
  }
  return undefined;
}
