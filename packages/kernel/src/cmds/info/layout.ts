/**
 * Byte layouts of the info structs BPF_OBJ_GET_INFO_BY_FD fills, read from the
 * BTF of Linux 6.18 (`/sys/kernel/btf/vmlinux`): field → [offset, width]
 * (width 16 for the `name` arrays, 8 for the tag).
 */
type Layout = Readonly<Record<string, readonly [number, number]>>;

/** `struct bpf_prog_info` (232 bytes; `gpl_compatible` is bit 0 of the u32 at 84). */
export const BPF_PROG_INFO = {
  size: 232,
  fields: {
    type: [0, 4], id: [4, 4], tag: [8, 8], jited_prog_len: [16, 4], xlated_prog_len: [20, 4],
    jited_prog_insns: [24, 8], xlated_prog_insns: [32, 8], load_time: [40, 8], created_by_uid: [48, 4],
    nr_map_ids: [52, 4], map_ids: [56, 8], name: [64, 16], ifindex: [80, 4], gpl_compatible: [84, 4],
    netns_dev: [88, 8], netns_ino: [96, 8], nr_jited_ksyms: [104, 4], nr_jited_func_lens: [108, 4],
    jited_ksyms: [112, 8], jited_func_lens: [120, 8], btf_id: [128, 4], func_info_rec_size: [132, 4],
    func_info: [136, 8], nr_func_info: [144, 4], nr_line_info: [148, 4], line_info: [152, 8],
    jited_line_info: [160, 8], nr_jited_line_info: [168, 4], line_info_rec_size: [172, 4],
    jited_line_info_rec_size: [176, 4], nr_prog_tags: [180, 4], prog_tags: [184, 8], run_time_ns: [192, 8],
    run_cnt: [200, 8], recursion_misses: [208, 8], verified_insns: [216, 4], attach_btf_obj_id: [220, 4],
    attach_btf_id: [224, 4],
  },
} as const satisfies { size: number; fields: Layout };

/** `struct bpf_map_info` (104 bytes). */
export const BPF_MAP_INFO = {
  size: 104,
  fields: {
    type: [0, 4], id: [4, 4], key_size: [8, 4], value_size: [12, 4], max_entries: [16, 4], map_flags: [20, 4],
    name: [24, 16], ifindex: [40, 4], btf_vmlinux_value_type_id: [44, 4], netns_dev: [48, 8], netns_ino: [56, 8],
    btf_id: [64, 4], btf_key_type_id: [68, 4], btf_value_type_id: [72, 4], btf_vmlinux_id: [76, 4],
    map_extra: [80, 8], hash: [88, 8], hash_size: [96, 4],
  },
} as const satisfies { size: number; fields: Layout };

/** `struct bpf_btf_info` (32 bytes). */
export const BPF_BTF_INFO = {
  size: 32,
  fields: { btf: [0, 8], btf_size: [8, 4], id: [12, 4], name: [16, 8], name_len: [24, 4], kernel_btf: [28, 4] },
} as const satisfies { size: number; fields: Layout };

/** An info struct being filled: starts as the caller's bytes (the kernel copies them in first), fields set by name. */
export class InfoStruct<F extends Layout> {
  readonly bytes: Uint8Array;
  readonly #view: DataView;

  constructor(private readonly layout: { readonly size: number; readonly fields: F }, initial?: Uint8Array) {
    this.bytes = new Uint8Array(layout.size);
    if (initial !== undefined) this.bytes.set(initial.subarray(0, layout.size));
    this.#view = new DataView(this.bytes.buffer);
  }

  get(name: keyof F & string): bigint {
    const [off, width] = this.layout.fields[name] ?? [0, 0];
    return width === 8 ? this.#view.getBigUint64(off, true) : BigInt(this.#view.getUint32(off, true));
  }

  getU32(name: keyof F & string): number {
    return Number(this.get(name) & 0xffff_ffffn);
  }

  set(name: keyof F & string, value: number | bigint): void {
    const [off, width] = this.layout.fields[name] ?? [0, 0];
    if (width === 8) this.#view.setBigUint64(off, BigInt.asUintN(64, BigInt(value)), true);
    else this.#view.setUint32(off, Number(BigInt.asUintN(32, BigInt(value))), true);
  }

  setBytes(name: keyof F & string, value: Uint8Array): void {
    const [off, width] = this.layout.fields[name] ?? [0, 0];
    this.bytes.fill(0, off, off + width);
    this.bytes.set(value.subarray(0, width), off);
  }
}
