import { BPF_F_RDONLY_PROG, BpfCmd, BpfMapType as M, BpfProgType as P, encodeInfoAttr } from '@bpfkit/uapi';
import { concat, freeze, lookup, mapCreate, u32, u64, update } from './ops.js';
import { exit, insn, load, movImm, packet, testRun } from './prog-bytes.js';
import type { SyscallCase } from './runner.js';

/** `r1 = &value(map) + off` (`BPF_PSEUDO_MAP_VALUE`). */
const mapValue = (dst: number, fd: number, off: number): number[] => [...insn(0x18, dst, 2, 0, fd), ...insn(0, 0, 0, 0, off)];

/**
 * Global data as libbpf lays it out: one-entry arrays whose value a program
 * addresses directly (`BPF_PSEUDO_MAP_VALUE`), read-only for programs and
 * frozen (.rodata) or writable (.bss).
 */
const GLOBAL_DATA: SyscallCase = {
  name: 'prog load: global data through BPF_PSEUDO_MAP_VALUE',
  run(r) {
    const rodata = mapCreate(r, 'create .rodata (BPF_F_RDONLY_PROG)', { map_type: M.BPF_MAP_TYPE_ARRAY, key_size: 4, value_size: 16, max_entries: 1, map_flags: BPF_F_RDONLY_PROG });
    const bss = mapCreate(r, 'create .bss', { map_type: M.BPF_MAP_TYPE_ARRAY, key_size: 4, value_size: 16, max_entries: 1 });
    if (rodata === undefined || bss === undefined) return;
    update(r, 'write .rodata', rodata, u32(0), concat(u64(0x1111), u32(0x2a), u32(0x33)));
    freeze(r, 'freeze .rodata', rodata);
    // r0 = *(u32 *)(rodata + 8); *(u32 *)(bss + 4) = r0 + 1; exit
    const reader = load(r, 'load a program reading .rodata and writing .bss', P.BPF_PROG_TYPE_XDP, Uint8Array.from([
      ...mapValue(1, rodata, 8),
      ...insn(0x61, 0, 1, 0, 0),
      ...mapValue(2, bss, 4),
      ...insn(0xbf, 3, 0, 0, 0), ...insn(0x07, 3, 0, 0, 1),
      ...insn(0x63, 2, 3, 0, 0),
      ...exit(),
    ]));
    if (reader !== undefined) {
      testRun(r, 'the program returns the .rodata word', reader, { data: packet(64) });
      lookup(r, '.bss holds what the program wrote', bss, u32(0), 16);
    }
    load(r, 'load a program writing .rodata', P.BPF_PROG_TYPE_XDP, Uint8Array.from([...mapValue(1, rodata, 0), ...movImm(0, 0), ...insn(0x62, 1, 0, 0, 1), ...exit()]));
  },
};

/** `array_map_direct_value_addr`'s refusals: an offset past the value, an array of more than one entry. */
const BAD_DIRECT_VALUE: SyscallCase = {
  name: 'prog load: BPF_PSEUDO_MAP_VALUE past the value or into a multi-entry array',
  run(r) {
    const one = mapCreate(r, 'create a 1-entry array', { map_type: M.BPF_MAP_TYPE_ARRAY, key_size: 4, value_size: 16, max_entries: 1 });
    const big = mapCreate(r, 'create a 4-entry array', { map_type: M.BPF_MAP_TYPE_ARRAY, key_size: 4, value_size: 16, max_entries: 4 });
    if (one === undefined || big === undefined) return;
    load(r, 'load a program addressing past the value', P.BPF_PROG_TYPE_XDP, Uint8Array.from([...mapValue(1, one, 16), ...movImm(0, 0), ...exit()]));
    load(r, 'load a program addressing the value of a 4-entry array', P.BPF_PROG_TYPE_XDP, Uint8Array.from([...mapValue(1, big, 0), ...movImm(0, 0), ...exit()]));
  },
};

/** `r<dst> = map or value by fd_array index` (`BPF_PSEUDO_MAP_IDX` / `BPF_PSEUDO_MAP_IDX_VALUE`). */
const byIndex = (dst: number, index: number, off?: number): number[] =>
  [...insn(0x18, dst, off === undefined ? 5 : 6, 0, index), ...insn(0, 0, 0, 0, off ?? 0)];

/** Maps named by their index in `fd_array` rather than by fd: found, missing, not a map, no array at all. */
const FD_ARRAY: SyscallCase = {
  name: 'prog load: maps named through fd_array (BPF_PSEUDO_MAP_IDX, BPF_PSEUDO_MAP_IDX_VALUE)',
  run(r) {
    const data = mapCreate(r, 'create a 1-entry array', { map_type: M.BPF_MAP_TYPE_ARRAY, key_size: 4, value_size: 16, max_entries: 1 });
    const hash = mapCreate(r, 'create a hash', { map_type: M.BPF_MAP_TYPE_HASH, key_size: 4, value_size: 8, max_entries: 4 });
    if (data === undefined || hash === undefined) return;
    update(r, 'write the value', data, u32(0), concat(u64(0x1111), u32(0x2a), u32(0x33)));
    // r0 = *(u32 *)(value + 8), through fd_array[1]
    const reader = load(r, 'a value by index 1', P.BPF_PROG_TYPE_XDP, Uint8Array.from([...byIndex(1, 1, 8), ...insn(0x61, 0, 1, 0, 0), ...exit()]), '', [hash, data]);
    if (reader !== undefined) testRun(r, 'the program returns the value\'s word', reader, { data: packet(64) });
    // r1 = map by index; r2 = &key; lookup; exit
    const lookupByIndex = [...insn(0x62, 10, 0, -4, 0), ...insn(0xbf, 2, 10, 0, 0), ...insn(0x07, 2, 0, 0, -4), ...byIndex(1, 0),
      ...insn(0x85, 0, 0, 0, 1), ...movImm(0, 2), ...exit()];
    load(r, 'a map by index 0', P.BPF_PROG_TYPE_XDP, Uint8Array.from(lookupByIndex), '', [hash, data]);
    load(r, 'no fd_array', P.BPF_PROG_TYPE_XDP, Uint8Array.from(lookupByIndex));
    load(r, 'an fd that is not open', P.BPF_PROG_TYPE_XDP, Uint8Array.from(lookupByIndex), '', [9999]);
    if (reader !== undefined) load(r, 'a program fd', P.BPF_PROG_TYPE_XDP, Uint8Array.from(lookupByIndex), '', [reader]);
    load(r, 'a value past the end', P.BPF_PROG_TYPE_XDP, Uint8Array.from([...byIndex(1, 0, 16), ...movImm(0, 2), ...exit()]), '', [data]);
    load(r, 'a value of a hash', P.BPF_PROG_TYPE_XDP, Uint8Array.from([...byIndex(1, 0, 0), ...movImm(0, 2), ...exit()]), '', [hash]);
  },
};

/** `fd_array_cnt`: every map (or BTF) of the array is bound to the program at load, used or not. */
const FD_ARRAY_CNT: SyscallCase = {
  name: 'prog load: fd_array_cnt binds the array\'s maps to the program',
  run(r) {
    const a = mapCreate(r, 'create an array', { map_type: M.BPF_MAP_TYPE_ARRAY, key_size: 4, value_size: 8, max_entries: 1 });
    const b = mapCreate(r, 'create a hash', { map_type: M.BPF_MAP_TYPE_HASH, key_size: 4, value_size: 8, max_entries: 4 });
    if (a === undefined || b === undefined) return;
    const ret = Uint8Array.from([...movImm(0, 2), ...exit()]);
    const bound = load(r, 'two maps, neither used', P.BPF_PROG_TYPE_XDP, ret, '', [a, b], 2);
    if (bound !== undefined) mapIdCount(r, 'the program holds both', bound);
    const twice = load(r, 'the same map twice', P.BPF_PROG_TYPE_XDP, ret, '', [a, a], 2);
    if (twice !== undefined) mapIdCount(r, 'the program holds it once', twice);
    const partly = load(r, 'a count of 1 over two maps', P.BPF_PROG_TYPE_XDP, ret, '', [a, b], 1);
    if (partly !== undefined) mapIdCount(r, 'the program holds the first', partly);
    load(r, 'an fd that is not open', P.BPF_PROG_TYPE_XDP, ret, '', [a, 9999], 2);
    if (bound !== undefined) load(r, 'a program fd', P.BPF_PROG_TYPE_XDP, ret, '', [bound], 1);
    load(r, 'a count without an array', P.BPF_PROG_TYPE_XDP, ret, '', undefined, 1);
    load(r, 'a count of 2^30 (too big)', P.BPF_PROG_TYPE_XDP, ret, '', [a], 2 ** 30);
  },
};

/** BPF_OBJ_GET_INFO_BY_FD's `nr_map_ids` of a program. */
function mapIdCount(r: Parameters<SyscallCase['run']>[0], step: string, prog: number): void {
  const buf = r.mem(new Uint8Array(232));
  r.call(step, BpfCmd.BPF_OBJ_GET_INFO_BY_FD, encodeInfoAttr({ bpf_fd: prog, info_len: 232, info: buf }), () => ({
    nr_map_ids: new DataView(r.read(buf, 232).buffer).getUint32(52, true),
  }));
}

/** Global data cases, recorded on Linux 6.18. */
export const GLOBAL_DATA_CASES: readonly SyscallCase[] = [GLOBAL_DATA, BAD_DIRECT_VALUE, FD_ARRAY, FD_ARRAY_CNT];
