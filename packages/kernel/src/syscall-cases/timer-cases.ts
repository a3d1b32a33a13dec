import { BpfCmd, BpfMapType as M, BpfProgType as P, encodeAttrGroup, encodeProgLoadAttr } from '@bpfkit/uapi';
import { btfBlob, loadBtf } from './btf.js';
import { concat, lookup, objectId, u32 } from './ops.js';
import { GPL, exit, insn, movImm, packet, testRun } from './prog-bytes.js';
import type { SyscallCase } from './runner.js';

/**
 * `int` (1); `struct bpf_timer` of 16 bytes (2); `struct value { struct bpf_timer t; int count, init_rc, cb_rc, start_rc; }` (3);
 * `int (void)` (4); the program `timer_prog` (5, global) and its callback `timer_cb` (6, static).
 */
const TIMER_BTF = btfBlob([
  { kind: 'int', name: 'int' },
  { kind: 'struct', name: 'bpf_timer', size: 16, members: [['a', 1, 0], ['b', 1, 8]] },
  { kind: 'struct', name: 'value', size: 32, members: [['t', 2, 0], ['count', 1, 16], ['init_rc', 1, 20], ['cb_rc', 1, 24], ['start_rc', 1, 28]] },
  { kind: 'func_proto', ret: 1 },
  { kind: 'func', name: 'timer_prog', proto: 4 },
  { kind: 'func', name: 'timer_cb', proto: 4, linkage: 'static' },
]);

/** Where the callback starts in {@link timerProgram}. */
const CALLBACK_AT = 28;

/**
 * XDP: looks up slot 0 of the array `mapFd`, then `bpf_timer_init` (CLOCK_MONOTONIC),
 * `bpf_timer_set_callback` and `bpf_timer_start` (0 ns) on its timer, storing the three
 * returns in the value; returns XDP_PASS. The callback counts its runs in `count`.
 */
function timerProgram(mapFd: number): Uint8Array {
  const ldMap = (dst: number): number[] => [...insn(0x18, dst, 1, 0, mapFd), ...insn(0, 0, 0, 0, 0)];
  const body = [
    ...ldMap(1), // 0-1
    ...insn(0x62, 10, 0, -4, 0), // 2: *(u32 *)(r10 - 4) = 0
    ...insn(0xbf, 2, 10, 0, 0), // 3: r2 = r10
    ...insn(0x07, 2, 0, 0, -4), // 4: r2 += -4
    ...insn(0x85, 0, 0, 0, 1), // 5: call bpf_map_lookup_elem
    ...insn(0x55, 0, 0, 2, 0), // 6: if r0 != 0 goto +2
    ...movImm(0, 0), // 7
    ...exit(), // 8
    ...insn(0xbf, 6, 0, 0, 0), // 9: r6 = r0
    ...insn(0xbf, 1, 6, 0, 0), // 10: r1 = r6
    ...ldMap(2), // 11-12
    ...movImm(3, 1), // 13: CLOCK_MONOTONIC
    ...insn(0x85, 0, 0, 0, 169), // 14: call bpf_timer_init
    ...insn(0x63, 6, 0, 20, 0), // 15: *(u32 *)(r6 + 20) = r0
    ...insn(0xbf, 1, 6, 0, 0), // 16: r1 = r6
    ...insn(0x18, 2, 4, 0, CALLBACK_AT - 18), ...insn(0, 0, 0, 0, 0), // 17-18: r2 = timer_cb
    ...insn(0x85, 0, 0, 0, 170), // 19: call bpf_timer_set_callback
    ...insn(0x63, 6, 0, 24, 0), // 20: *(u32 *)(r6 + 24) = r0
    ...insn(0xbf, 1, 6, 0, 0), // 21: r1 = r6
    ...movImm(2, 0), // 22
    ...movImm(3, 0), // 23
    ...insn(0x85, 0, 0, 0, 171), // 24: call bpf_timer_start
    ...insn(0x63, 6, 0, 28, 0), // 25: *(u32 *)(r6 + 28) = r0
    ...movImm(0, 2), // 26: XDP_PASS
    ...exit(), // 27
    ...movImm(1, 1), // 28: timer_cb(map, key, value)
    ...insn(0xc3, 3, 1, 16, 0), // 29: lock *(u32 *)(r3 + 16) += r1
    ...movImm(0, 0), // 30
    ...exit(), // 31
  ];
  return Uint8Array.from(body);
}

/**
 * bpf_timer from a program: init, set_callback and a 0 ns start succeed while user space
 * holds the map, and the callback has run by the next command; once the map's last fd is
 * closed (the program still holds the map) its timers are gone and init is refused with EPERM.
 */
const TIMER_UREF: SyscallCase = {
  name: 'prog test run: bpf_timer needs a user reference on its map',
  run(r) {
    const btf = loadBtf(r, 'load BTF with bpf_timer', TIMER_BTF);
    if (btf === undefined) return;
    const map = r.call('create an array of values with a timer', BpfCmd.BPF_MAP_CREATE, encodeAttrGroup('map_create', {
      map_type: M.BPF_MAP_TYPE_ARRAY, key_size: 4, value_size: 32, max_entries: 1, btf_fd: btf, btf_key_type_id: 1, btf_value_type_id: 3,
    }));
    if (map === undefined) return;
    r.own(map);
    const insns = timerProgram(map);
    const funcInfo = concat(u32(0), u32(5), u32(CALLBACK_AT), u32(6));
    const prog = r.call('load the xdp program with its timer callback', BpfCmd.BPF_PROG_LOAD, encodeProgLoadAttr({
      prog_type: P.BPF_PROG_TYPE_XDP, insn_cnt: insns.length / 8, insns: r.mem(insns), license: r.mem(GPL), prog_name: 'timer_prog',
      prog_btf_fd: btf, func_info: r.mem(funcInfo), func_info_cnt: 2, func_info_rec_size: 8,
    }));
    if (prog === undefined) return;
    r.own(prog);
    const id = objectId(r, map, 104);
    testRun(r, 'init, set_callback and start with 0 ns', prog, { data: packet(64) });
    lookup(r, 'the callback ran; the timer reads as zeros', map, u32(0), 32);
    testRun(r, 'a second run: init is EBUSY, a restart works', prog, { data: packet(64) });
    lookup(r, 'the callback ran again', map, u32(0), 32);
    r.close(map);
    r.record('closed the only fd of the map', true);
    testRun(r, 'with no user reference: init is EPERM, set_callback and start EINVAL', prog, { data: packet(64) });
    const again = r.call('MAP_GET_FD_BY_ID of the map (the program keeps it)', BpfCmd.BPF_MAP_GET_FD_BY_ID, encodeAttrGroup('get_id', { map_id: id }));
    if (again === undefined) return;
    r.own(again);
    lookup(r, 'what that run stored', again, u32(0), 32);
    testRun(r, 'a user reference again: the timer can be set up anew', prog, { data: packet(64) });
    lookup(r, 'and its callback runs', again, u32(0), 32);
  },
};

/** bpf_timer, recorded on Linux 6.18. */
export const TIMER_CASES: readonly SyscallCase[] = [TIMER_UREF];
