import { BPF_F_RDONLY_PROG, BpfMapType as M, BpfProgType as P } from '@bpfkit/uapi';
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

/** Global data cases, recorded on Linux 6.18. */
export const GLOBAL_DATA_CASES: readonly SyscallCase[] = [GLOBAL_DATA, BAD_DIRECT_VALUE];
