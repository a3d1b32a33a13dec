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
  /**
   * `BPF_MAP_TYPE_ARENA`: `arena->user_vm_start`, 0n until `map_extra` or an mmap set it
   * (a program may use the arena only once it is set).
   */
  readonly userVmStart?: bigint;
  /** `BPF_MAP_TYPE_ARENA`: `arena->user_vm_end` (direct value offsets must lie below end - start). */
  readonly userVmEnd?: bigint;
}

/**
 * `attr->func_info` or `attr->line_info` as the loader passed them: records in the caller's
 * memory, each `recSize` bytes, which the verifier copies and checks itself.
 *
 * @example
 * const funcInfo: VerifierUserRecords = { count: 1, recSize: 8, read: (off, len) => bytes.slice(off, off + len), putRecSize: () => true };
 */
export interface VerifierUserRecords {
  /** `attr->func_info_cnt` / `attr->line_info_cnt`. */
  readonly count: number;
  /** `attr->func_info_rec_size` / `attr->line_info_rec_size`, as the loader gave it. */
  readonly recSize: number;
  /**
   * `copy_from_bpfptr`: `length` bytes at byte `offset` of the records, or undefined where
   * the caller's memory cannot be read (EFAULT).
   */
  read(offset: number, length: number): Uint8Array | undefined;
  /**
   * Writes the record size the kernel knows back into the caller's attr (after a record
   * with a nonzero tail, E2BIG); false when that write faults (EFAULT).
   */
  putRecSize(size: number): boolean;
}

/**
 * What `attr->prog_btf_fd` names, resolved by the kernel (`btf_get_by_fd`): a BTF object,
 * parsed, and whether it is the kernel's own (vmlinux or a module's); or the errno of the
 * lookup (EBADF: not an open fd, EINVAL: not a BTF object).
 */
export type VerifierBtfFd =
  | { readonly btf: BtfView; readonly isKernel: boolean }
  | { readonly errno: 'EBADF' | 'EINVAL' };

/**
 * The program's BTF with its func_info and line_info (`check_btf_info_early`,
 * `check_btf_info`): given when `func_info_cnt` or `line_info_cnt` is not 0.
 */
export interface VerifierProgBtf {
  readonly btfFd: VerifierBtfFd;
  readonly funcInfo: VerifierUserRecords;
  readonly lineInfo: VerifierUserRecords;
}

/**
 * A struct_ops type a kernel subsystem registered (`struct bpf_struct_ops`), found by the
 * kernel for the program's `attach_btf_id` (`bpf_struct_ops_find`).
 */
export interface VerifierStructOps {
  /** The struct's name (`tcp_congestion_ops`). */
  readonly name: string;
  /** Function-pointer members without a `cfi_stubs` entry: no program may stand for them (ENOTSUPP). */
  readonly unsupportedMembers: readonly string[];
  /**
   * The subsystem's `check_member`: the errno refusing a program for `member` (with
   * BPF_F_SLEEPABLE when `sleepable`), or undefined when it may attach there.
   */
  checkMember?(member: string, sleepable: boolean): 'EINVAL' | 'ENOTSUPP' | 'EOPNOTSUPP' | undefined;
}

/**
 * What `check_attach_btf_id` looks at, resolved by the kernel from `attach_btf_id`,
 * `attach_btf_obj_fd` and `attach_prog_fd`.
 */
export interface VerifierAttachTarget {
  /** `attr->attach_btf_id`. */
  readonly btfId: number;
  /** `prog->aux->attach_btf`: vmlinux, or the BTF `attach_btf_obj_fd` named; absent when there is none. */
  readonly btf?: BtfView;
  /** `attach_prog_fd` named a BPF program (freplace, fentry on a program). */
  readonly dstProg?: boolean;
  /** For struct_ops programs: the registered struct_ops whose struct is `btfId` in `btf`, if any. */
  readonly structOps?: VerifierStructOps;
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
   * `attr->fd_array`, read on demand: the fd at an index (`BPF_PSEUDO_MAP_IDX` and
   * `BPF_PSEUDO_MAP_IDX_VALUE` name maps by it), or undefined when that memory cannot be read
   * (EFAULT). Absent when the load passed no array (EPROTO for those instructions). The maps such
   * fds name are in {@link maps} like any other.
   *
   * @example
   * const req = { ...base, fdArray: (i: number) => [5, 7][i], maps };
   */
  readonly fdArray?: (index: number) => number | undefined;
  /**
   * `attr->fd_array_cnt`: with a count, every fd of the array's first `fdArrayCnt` entries is bound
   * to the program before anything else is checked: a map (in {@link maps}) or a BTF object (in
   * {@link btfFds}); anything else is refused.
   */
  readonly fdArrayCnt?: number;
  /** The fds of `fd_array` that hold BTF objects (allowed there with `fdArrayCnt`). */
  readonly btfFds?: ReadonlySet<number>;
  /**
   * The program's BTF and its func_info/line_info records; absent when the load gave none.
   * Without them a global function is refused ("Global functions need valid BTF"), as is
   * taking a callback's address ("missing btf func_info").
   */
  readonly progBtf?: VerifierProgBtf;
  /**
   * The attach target (`attach_btf_id` and the BTF or program it is in). BTF-attached programs
   * (struct_ops, tp_btf, iterators) take their context from the function it names.
   */
  readonly attach?: VerifierAttachTarget;
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
  /**
   * `kallsyms_lookup_name`: the address of a kernel symbol, undefined when kallsyms does not
   * list it (without `CONFIG_KALLSYMS_ALL` only functions are listed). A `BPF_PSEUDO_BTF_ID`
   * load (a ksym) needs one.
   *
   * @example
   * const req = { ...base, kernelSymbol: (name: string) => (name === 'do_sys_openat2' ? 0xffffffff81000040n : undefined) };
   */
  readonly kernelSymbol?: (name: string) => bigint | undefined;
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
  /**
   * Instructions the kernel rewrites after verification that an engine must see rewritten
   * (`convert_ctx_accesses` / `do_misc_fixups` for arenas: loads and stores through arena
   * pointers become `BPF_PROBE_MEM32`, atomics `BPF_PROBE_ATOMIC`, `cast_kern` a 32-bit mov,
   * 64-bit ALU on arena pointers 32-bit ALU); absent when there are none.
   */
  readonly rewrites?: readonly InsnRewrite[];
}

/** One rewritten instruction: its slot and its new `code`, `off` and `imm` (registers stay). */
export interface InsnRewrite {
  readonly index: number;
  readonly code: number;
  readonly off: number;
  readonly imm: number;
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
