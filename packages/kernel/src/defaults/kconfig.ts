/**
 * The simulated kernel's build configuration, as `/boot/config-$(uname -r)` lists
 * it: the BPF-related options of the reference 6.18 x86-64 build the corpus was
 * recorded on. libbpf reads it for `.kconfig` externs.
 *
 * @example
 * createDefaultKernel({ kernelConfig: `${BUILTIN_KERNEL_CONFIG}CONFIG_HZ=1000\n` });
 */
export const BUILTIN_KERNEL_CONFIG = `${[
  'CONFIG_64BIT=y',
  'CONFIG_X86_64=y',
  'CONFIG_SMP=y',
  'CONFIG_NR_CPUS=256',
  'CONFIG_DEFAULT_HOSTNAME="(none)"',
  'CONFIG_PREEMPT_NONE=y',
  'CONFIG_HZ_250=y',
  'CONFIG_HZ=250',
  'CONFIG_BPF=y',
  'CONFIG_HAVE_EBPF_JIT=y',
  'CONFIG_BPF_SYSCALL=y',
  'CONFIG_BPF_JIT=y',
  'CONFIG_BPF_JIT_ALWAYS_ON=y',
  'CONFIG_BPF_JIT_DEFAULT_ON=y',
  'CONFIG_BPF_UNPRIV_DEFAULT_OFF=y',
  'CONFIG_BPF_LSM=y',
  'CONFIG_CGROUP_BPF=y',
  'CONFIG_USER_NS=y',
  'CONFIG_KALLSYMS=y',
  '# CONFIG_KALLSYMS_ALL is not set',
  'CONFIG_PERF_EVENTS=y',
  '# CONFIG_KPROBES is not set',
  'CONFIG_UPROBES=y',
  'CONFIG_NET=y',
  'CONFIG_INET=y',
  'CONFIG_IPV6=y',
  'CONFIG_XDP_SOCKETS=y',
  'CONFIG_NET_CLS_BPF=y',
  '# CONFIG_NET_ACT_BPF is not set',
  'CONFIG_TCP_CONG_CUBIC=y',
  'CONFIG_TCP_CONG_BBR=y',
  'CONFIG_BPF_STREAM_PARSER=y',
  'CONFIG_SECURITY=y',
  'CONFIG_DEBUG_INFO_BTF=y',
  'CONFIG_TRACING=y',
  'CONFIG_FTRACE=y',
  'CONFIG_FUNCTION_TRACER=y',
  'CONFIG_BPF_EVENTS=y',
  '# CONFIG_SCHED_CLASS_EXT is not set',
].join('\n')}\n`;
