// Stand-ins used only while @bpfkit/verifier does not export createProgTypes /
// createVerifier yet. They cover straight-line programs and the program types'
// capability classes; the real subsystem replaces them as soon as it exports them.
import {
  BpfError,
  type ProgCapability,
  type ProgTypeDescriptor,
  type ProgTypeRegistry,
  type Verifier,
  type VerifierRequest,
  type VerifierResult,
} from '@bpfkit/kernel-api';
import { BpfAttachType, BpfProgType, bpfProgTypeTable, enumShortName, MAX_BPF_PROG_TYPE } from '@bpfkit/uapi';

const T = BpfProgType;
const NET_ADMIN = new Set<number>([
  T.BPF_PROG_TYPE_SCHED_CLS, T.BPF_PROG_TYPE_SCHED_ACT, T.BPF_PROG_TYPE_XDP, T.BPF_PROG_TYPE_LWT_IN, T.BPF_PROG_TYPE_LWT_OUT,
  T.BPF_PROG_TYPE_LWT_XMIT, T.BPF_PROG_TYPE_LWT_SEG6LOCAL, T.BPF_PROG_TYPE_SK_SKB, T.BPF_PROG_TYPE_SK_MSG,
  T.BPF_PROG_TYPE_FLOW_DISSECTOR, T.BPF_PROG_TYPE_CGROUP_DEVICE, T.BPF_PROG_TYPE_CGROUP_SOCK, T.BPF_PROG_TYPE_CGROUP_SOCK_ADDR,
  T.BPF_PROG_TYPE_CGROUP_SOCKOPT, T.BPF_PROG_TYPE_CGROUP_SYSCTL, T.BPF_PROG_TYPE_SOCK_OPS, T.BPF_PROG_TYPE_EXT, T.BPF_PROG_TYPE_NETFILTER,
]);
const PERFMON = new Set<number>([
  T.BPF_PROG_TYPE_KPROBE, T.BPF_PROG_TYPE_TRACEPOINT, T.BPF_PROG_TYPE_PERF_EVENT, T.BPF_PROG_TYPE_RAW_TRACEPOINT,
  T.BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE, T.BPF_PROG_TYPE_TRACING, T.BPF_PROG_TYPE_LSM, T.BPF_PROG_TYPE_STRUCT_OPS, T.BPF_PROG_TYPE_EXT,
]);
/** Helpers `bpf_base_func_proto` gives only to perfmon-capable loaders. */
const PERFMON_HELPERS = new Set<number>([6, 112, 113, 114, 115, 177, 178]);

function descriptor(type: number): ProgTypeDescriptor {
  const caps: ProgCapability[] = [];
  if (type !== T.BPF_PROG_TYPE_SOCKET_FILTER && type !== T.BPF_PROG_TYPE_CGROUP_SKB) caps.push('CAP_BPF');
  if (NET_ADMIN.has(type)) caps.push('CAP_NET_ADMIN');
  if (PERFMON.has(type)) caps.push('CAP_PERFMON');
  return {
    type,
    name: enumShortName(bpfProgTypeTable, type) ?? String(type),
    capabilities: caps,
    supported: true,
    fixupAttachType: (eat) =>
      type === T.BPF_PROG_TYPE_CGROUP_SOCK && eat === 0 ? BpfAttachType.BPF_CGROUP_INET_SOCK_CREATE : eat,
    checkAttach: () => undefined,
    isHelperAllowed: (funcId, _eat, priv) => !PERFMON_HELPERS.has(funcId) || priv.perfmonCapable,
    returnRange: () => undefined,
  };
}

/** Program types with the kernel's capability classes. */
export function interimProgTypes(): ProgTypeRegistry {
  const all: ProgTypeDescriptor[] = [];
  for (let t = 1; t < MAX_BPF_PROG_TYPE; t++) all.push(descriptor(t));
  return { get: (type) => all[type - 1], all: () => all };
}

type Reg = 'uninit' | 'scalar' | 'fp' | 'ptr';

/** A straight-line checker: pointer leaks at exit and helper availability. */
export function interimVerifier(progs: ProgTypeRegistry): Verifier {
  return {
    verify(req: VerifierRequest): VerifierResult {
      const regs: Reg[] = Array.from({ length: 11 }, (_, i) => (i === 10 ? 'fp' : i === 1 ? 'ptr' : 'uninit'));
      const lines: string[] = [];
      const fail = (errno: 'EACCES' | 'EINVAL', msg: string): never => {
        lines.push(msg);
        const log = req.logLevel > 0 ? `${lines.join('\n')}\nprocessed ${lines.length} insns\n` : '';
        throw new BpfError(errno, errno === 'EACCES' ? 'verifier:ptr-leak' : 'verifier:helper-not-allowed', msg, { log });
      };
      const dv = new DataView(req.insns.buffer, req.insns.byteOffset, req.insns.byteLength);
      for (let pc = 0; pc * 8 < req.insns.length; pc++) {
        const code = dv.getUint8(pc * 8);
        const dst = dv.getUint8(pc * 8 + 1) & 0xf;
        const src = dv.getUint8(pc * 8 + 1) >> 4;
        const imm = dv.getInt32(pc * 8 + 4, true);
        if (code === 0xb7) regs[dst] = 'scalar';
        else if (code === 0xbf) regs[dst] = regs[src] ?? 'uninit';
        else if (code === 0x07) regs[dst] = regs[dst] === 'fp' ? 'fp' : 'scalar';
        else if (code === 0x85) {
          const desc = progs.get(req.progType);
          const allowed = desc?.isHelperAllowed(imm, req.expectedAttachType, { bpfCapable: req.privileges.bpfCapable, perfmonCapable: req.privileges.perfmonCapable }) ?? false;
          if (!allowed) fail('EINVAL', `program of this type cannot use helper ${imm === 113 ? 'bpf_probe_read_kernel' : 'helper'}#${imm}`);
          for (let r = 1; r <= 5; r++) regs[r] = 'uninit';
          regs[0] = 'scalar';
        } else if (code === 0x95) {
          const r0 = regs[0];
          if (r0 === 'uninit') fail('EACCES', 'R0 !read_ok');
          if ((r0 === 'fp' || r0 === 'ptr') && !req.privileges.allowPtrLeaks) fail('EACCES', 'R0 leaks addr as return value');
          break;
        }
      }
      const log = req.logLevel > 0 ? `processed ${req.insns.length / 8} insns\n` : '';
      return { log, logTrueSize: log.length + 1, stats: { insnProcessed: req.insns.length / 8, maxStatesPerInsn: 0, totalStates: 0, peakStates: 0, markRead: 0 }, stackDepth: 0 };
    },
  };
}
