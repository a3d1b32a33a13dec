/**
 * Program-type descriptors: what `bpf_prog_load` and the verifier need to know per
 * `enum bpf_prog_type` (capabilities, attach-type rules, helper availability).
 */

/** A capability a program type needs on top of the sysctl check (token.md §3, BPF_PROG_LOAD steps 4–6). */
export type ProgCapability = 'CAP_BPF' | 'CAP_NET_ADMIN' | 'CAP_PERFMON';

/** The attach-related attributes `bpf_prog_load_check_attach` looks at. */
export interface ProgAttachInfo {
  /** `attr->attach_btf_id`. */
  readonly attachBtfId: number;
  /** An `attach_btf` object was resolved (vmlinux, or a module BTF from `attach_btf_obj_fd`). */
  readonly hasAttachBtf: boolean;
  /** `attach_prog_fd` named a program (`dst_prog`). */
  readonly hasDstProg: boolean;
}

/** The privileges a helper lookup depends on (`bpf_token_capable` of the program's token). */
export interface HelperPrivileges {
  readonly bpfCapable: boolean;
  readonly perfmonCapable: boolean;
}

/**
 * Register type a context load produces (`bpf_insn_access_aux.reg_type`, the subset context
 * structs hand out): a scalar, a packet pointer (`PTR_TO_PACKET`, `_META`, `_END`) or a socket pointer.
 */
export type CtxRegType = 'scalar' | 'pkt' | 'pkt_meta' | 'pkt_end' | 'sock' | 'sock_or_null' | 'sock_common_or_null' | 'flow_keys' | 'tp_buffer';

/**
 * Answer of {@link ProgTypeDescriptor.isValidAccess} (`is_valid_access` plus what it records in
 * `struct bpf_insn_access_aux`).
 *
 * @example
 * const r: CtxAccessResult = { ok: true, regType: 'pkt' }; // a load of xdp_md->data
 */
export type CtxAccessResult =
  | { readonly ok: false }
  | {
    readonly ok: true;
    /** `info->reg_type`: what the destination register holds after a load; 'scalar' for writes. */
    readonly regType: CtxRegType;
    /**
     * `info->ctx_field_size`: the size of the converted ctx field when a narrower load of it is
     * allowed (`bpf_ctx_record_field_size`); absent when the load reads the field whole or it is not modelled.
     */
    readonly ctxFieldSize?: number;
  };

/**
 * One program type.
 *
 * @example
 * const xdp = progTypes.get(BpfProgType.BPF_PROG_TYPE_XDP)!;
 * xdp.capabilities; // ['CAP_BPF', 'CAP_NET_ADMIN']
 * xdp.isHelperAllowed(113, 37, { bpfCapable: true, perfmonCapable: false }); // false
 */
export interface ProgTypeDescriptor {
  /** `enum bpf_prog_type` value. */
  readonly type: number;
  /** Short name as bpffs prints it: `socket_filter`. */
  readonly name: string;
  /** Capabilities `bpf_prog_load` checks, in order; empty for socket_filter and cgroup_skb. */
  readonly capabilities: readonly ProgCapability[];
  /** False when the profile's kernel was built without this type (`find_prog_type`: EINVAL). */
  readonly supported: boolean;
  /** `bpf_prog_load_fixup_attach_type`: the expected attach type after the fix-up. */
  fixupAttachType(expectedAttachType: number): number;
  /** `bpf_prog_load_check_attach`: throws `BpfError` EINVAL when the combination is refused. */
  checkAttach(expectedAttachType: number, attach: ProgAttachInfo): void;
  /**
   * `get_func_proto(func_id, prog) != NULL`: may a program of this type (with this
   * expected attach type and privileges) call helper `funcId`?
   */
  isHelperAllowed(funcId: number, expectedAttachType: number, privileges: HelperPrivileges): boolean;
  /** The range `check_return_code` enforces on R0 at exit, or undefined when any value is fine. */
  returnRange(expectedAttachType: number): { readonly min: number; readonly max: number } | undefined;
  /**
   * `bpf_verifier_ops.is_valid_access`: may a program of this type (with this expected attach type
   * and privileges) load (`write` false) or store `size` bytes at offset `off` of its context struct,
   * and what does a load give? Absent: the verifier allows aligned reads inside a 256-byte context.
   *
   * @example
   * xdp.isValidAccess?.(0, 4, false, 37, { bpfCapable: true, perfmonCapable: false }); // { ok: true, regType: 'pkt' }
   */
  isValidAccess?(off: number, size: number, write: boolean, expectedAttachType: number, privileges: HelperPrivileges): CtxAccessResult;
}

/** Every program type of the kernel profile. */
export interface ProgTypeRegistry {
  /** The descriptor, undefined for unknown types and `unspec`. */
  get(type: number): ProgTypeDescriptor | undefined;
  all(): readonly ProgTypeDescriptor[];
}
