import type { BtfView } from './btf-view.js';
import type { MapInfo, MapValueField } from './maps.js';

/**
 * Privileges the verifier works with, computed by the kernel from the program's
 * token and the caller (token.md §3, BPF_PROG_LOAD step 7).
 */
export interface VerifierPrivileges {
  /** `env->allow_ptr_leaks` = token-capable(CAP_PERFMON). */
  readonly allowPtrLeaks: boolean;
  /** `env->allow_uninit_stack` = token-capable(CAP_PERFMON). */
  readonly allowUninitStack: boolean;
  /** `env->bypass_spec_v1`: CAP_PERFMON or mitigations off. */
  readonly bypassSpecV1: boolean;
  /** `env->bypass_spec_v4`: CAP_PERFMON or mitigations off. */
  readonly bypassSpecV4: boolean;
  /** `env->bpf_capable` = token-capable(CAP_BPF): bounded loops, 1M insns, privileged helpers. */
  readonly bpfCapable: boolean;
  /** token-capable(CAP_PERFMON), for helper availability. */
  readonly perfmonCapable: boolean;
}

/** A map an `ld_imm64` pseudo map fd (or `fd_array`) refers to, resolved by the kernel. */
export interface VerifierMap extends MapInfo {
  /** The fd number as written in the instruction's imm. */
  readonly fd: number;
  /**
   * The bytes of element 0, given only when the map is read-only for good
   * (`bpf_map_is_rdonly()`: created with `BPF_F_RDONLY_PROG`, frozen by
   * `BPF_MAP_FREEZE`, no writable mmap alive) and its type has
   * `map_direct_value_addr` (`BPF_MAP_TYPE_ARRAY`), as for libbpf's `.rodata`
   * and `.kconfig`. A load at a constant offset into its value then gives a
   * known scalar (`bpf_map_direct_read`); with more than one entry that read
   * fails with ENOTSUPP, as `map_direct_value_addr` does.
   */
  readonly frozenValue?: Uint8Array;
  /** `map->name`, as the verifier's messages print it. */
  readonly name?: string;
  /** `map->btf` is set: the map was created with key/value BTF. */
  readonly hasBtf?: boolean;
  /**
   * `map->record`: the value's special fields (`bpf_spin_lock`, `bpf_timer`, kptrs…)
   * by offset. Loads and stores may not touch them; `bpf_spin_lock` takes the one
   * named here.
   */
  readonly valueFields?: readonly MapValueField[];
  /**
   * A map-in-map's inner map template (`map->inner_map_meta`): a lookup that is not
   * NULL gives a pointer to a map like it.
   */
  readonly innerMap?: MapInfo;
}

/**
 * One `struct bpf_func_info` as the verifier needs it: where a subprogram starts
 * and the linkage of its BTF FUNC (0 static, 1 global, 2 extern).
 */
export interface VerifierFuncInfo {
  readonly insnOff: number;
  readonly linkage: number;
  /** The FUNC's type id in the request's `btf` (its name and prototype); absent or 0 when unknown. */
  readonly typeId?: number;
}

/** One `BPF_PROG_LOAD` as the verifier (`bpf_check`) sees it. */
export interface VerifierRequest {
  readonly progType: number;
  /** After `bpf_prog_load_fixup_attach_type`. */
  readonly expectedAttachType: number;
  /** The instructions, 8 bytes each, little-endian, as in `attr->insns`. */
  readonly insns: Uint8Array;
  readonly license: string;
  /** `license_is_gpl_compatible(license)`. */
  readonly gplCompatible: boolean;
  readonly progFlags: number;
  /** `attr->log_level`; 0 means no log. */
  readonly logLevel: number;
  /** `attr->log_size`: the log buffer, in bytes, including the terminating NUL. */
  readonly logSize: number;
  readonly privileges: VerifierPrivileges;
  /** Maps by fd, resolved by the kernel. A pseudo map fd not found here is a bad fd. */
  readonly maps?: ReadonlyMap<number, VerifierMap>;
  /**
   * Pseudo map fds that are open in the loading process but hold something other than a map:
   * the kernel answers EINVAL for those ("fd N is not pointing to valid bpf_map"), EBADF for an fd
   * that is not open at all.
   */
  readonly nonMapFds?: ReadonlySet<number>;
  /**
   * The func_info records the kernel accepted (`prog->aux->func_info`), with each
   * FUNC's linkage from the program's BTF. Absent when the load has no BTF: then
   * taking a callback's address is refused ("missing btf func_info").
   */
  readonly funcInfo?: readonly VerifierFuncInfo[];
  /**
   * The program's BTF (`prog->aux->btf`): a global function is verified on its own, with the
   * arguments its FUNC_PROTO declares. Without it, global functions are refused
   * ("Global functions need valid BTF").
   */
  readonly btf?: BtfView;
  /**
   * For programs attached through BTF (struct_ops, tp_btf): the function they stand for,
   * in the kernel's BTF (`prog->aux->attach_func_proto`, `attach_func_name`). A struct_ops
   * program's context is that prototype's arguments, one u64 each (`btf_ctx_access`), and
   * a void prototype makes R0 free at exit.
   */
  readonly attachFunc?: VerifierAttachFunc;
  /**
   * Kernel functions (`BPF_PSEUDO_KFUNC_CALL`): the BTF their ids name and the kfunc id
   * sets registered for this program's type. Absent: the kernel has no BTF to call them by.
   */
  readonly kfuncs?: VerifierKfuncs;
  /**
   * The kernel's own BTF (`btf_vmlinux`), read the first time the verifier needs it (a load
   * through a map pointer walks the map's kernel struct, `struct bpf_array`…).
   */
  readonly vmlinuxBtf?: () => BtfView | undefined;
}

/**
 * The `KF_*` flags a kfunc is registered with (`BTF_ID_FLAGS`): the verifier's rules for
 * its arguments and its return value.
 *
 * @example
 * const acquires = (flags & KfuncFlag.ACQUIRE) !== 0;
 */
export const KfuncFlag = {
  ACQUIRE: 1 << 0,
  RELEASE: 1 << 1,
  RET_NULL: 1 << 2,
  TRUSTED_ARGS: 1 << 4,
  SLEEPABLE: 1 << 5,
  DESTRUCTIVE: 1 << 6,
  RCU: 1 << 7,
  ITER_NEW: 1 << 8,
  ITER_NEXT: 1 << 9,
  ITER_DESTROY: 1 << 10,
  RCU_PROTECTED: 1 << 11,
  FASTCALL: 1 << 12,
} as const;

/**
 * The kernel functions a program may call, as `check_kfunc_call` asks for them.
 *
 * @example
 * const kfuncs: VerifierKfuncs = { btf: vmlinux, flags: (id) => (vmlinux.type(id)?.name === 'bpf_task_release' ? KfuncFlag.RELEASE : undefined) };
 */
export interface VerifierKfuncs {
  /** The BTF kfunc ids refer to (`btf_vmlinux`): each a FUNC with its FUNC_PROTO. */
  readonly btf: BtfView;
  /**
   * `btf_kfunc_id_set_contains` for this program: the kfunc's `KF_*` flags
   * ({@link KfuncFlag}), or undefined when no set registered for the program's
   * type holds it ("calling kernel function X is not allowed").
   */
  flags(btfId: number): number | undefined;
}

/**
 * The function a BTF-attached program stands for, as `check_attach_btf_id` found it.
 *
 * @example
 * const attachFunc: VerifierAttachFunc = { btf: vmlinux, protoId: 14603, name: 'cong_avoid' };
 */
export interface VerifierAttachFunc {
  readonly btf: BtfView;
  /** The FUNC_PROTO's type id in `btf`. */
  readonly protoId: number;
  readonly name: string;
  /**
   * `attach_btf_trace`: a raw tracepoint's `btf_trace_` typedef, whose prototype's first
   * argument (`void *__data`) is not in the program's context.
   */
  readonly btfTrace?: boolean;
}

/** Counters the verifier prints in its last line. */
export interface VerifierStats {
  /** `processed N insns`. */
  readonly insnProcessed: number;
  readonly maxStatesPerInsn: number;
  readonly totalStates: number;
  readonly peakStates: number;
  readonly markRead: number;
}

/** An accepted program. */
export interface VerifierResult {
  /** The log as the kernel would have written it (empty at log level 0). */
  readonly log: string;
  /** `attr->log_true_size`: the full log length including the NUL, even if truncated. */
  readonly logTrueSize: number;
  readonly stats: VerifierStats;
  /** Stack depth of the main program, in bytes. */
  readonly stackDepth: number;
}

/**
 * The verifier: `bpf_check()`. Rejections throw `BpfError` with the kernel's errno
 * and the log in `.log`; a log that does not fit `logSize` gives ENOSPC.
 *
 * @example
 * const res = verifier.verify({ progType: 1, expectedAttachType: 0, insns, license: 'GPL',
 *   gplCompatible: true, progFlags: 0, logLevel: 1, logSize: 65536, privileges });
 */
export interface Verifier {
  verify(req: VerifierRequest): VerifierResult;
}
