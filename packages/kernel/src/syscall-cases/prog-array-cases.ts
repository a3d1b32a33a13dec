import { BpfCmd, BpfMapType as M, BpfProgType as P, encodeAttrGroup } from '@bpfkit/uapi';
import { mapCreate, objectId, u32 } from './ops.js';
import { load, packet, returning, tailCaller, testRun } from './prog-bytes.js';
import type { SyscallCase } from './runner.js';

/** Prog arrays hold programs of one type; tail calls run them. */
const PROG_ARRAY: SyscallCase = {
  name: 'map ops: prog_array with programs and tail calls',
  run(r) {
    const tx = load(r, 'load xdp returning XDP_TX', P.BPF_PROG_TYPE_XDP, returning(3));
    const kp = load(r, 'load kprobe', P.BPF_PROG_TYPE_KPROBE, returning(0));
    const pa = mapCreate(r, 'create a prog array', { map_type: M.BPF_MAP_TYPE_PROG_ARRAY, key_size: 4, value_size: 4, max_entries: 2 });
    if (tx === undefined || kp === undefined || pa === undefined) return;
    const caller = load(r, 'load the tail caller', P.BPF_PROG_TYPE_XDP, tailCaller(pa));
    if (caller === undefined) return;
    testRun(r, 'tail call into an empty slot falls through', caller, { data: packet(64) });
    const slot = (fd: number): Uint8Array => u32(fd);
    r.call('update slot 0 with the XDP_TX program', BpfCmd.BPF_MAP_UPDATE_ELEM, encodeAttrGroup('map_elem', { map_fd: pa, key: r.mem(u32(0)), value: r.mem(slot(tx)) }));
    r.call('update slot 1 with a kprobe program', BpfCmd.BPF_MAP_UPDATE_ELEM, encodeAttrGroup('map_elem', { map_fd: pa, key: r.mem(u32(1)), value: r.mem(slot(kp)) }));
    const txId = objectId(r, tx, 232);
    const value = r.mem(4);
    r.call('lookup slot 0 gives the program id', BpfCmd.BPF_MAP_LOOKUP_ELEM, encodeAttrGroup('map_elem', { map_fd: pa, key: r.mem(u32(0)), value }),
      () => ({ isProgId: new DataView(r.read(value, 4).buffer).getUint32(0, true) === txId }));
    testRun(r, 'tail call into slot 0 runs the XDP_TX program', caller, { data: packet(64) });
    r.call('delete slot 0', BpfCmd.BPF_MAP_DELETE_ELEM, encodeAttrGroup('map_elem', { map_fd: pa, key: r.mem(u32(0)) }));
    testRun(r, 'tail call after the delete falls through', caller, { data: packet(64) });
    const pa2 = mapCreate(r, 'create a second prog array', { map_type: M.BPF_MAP_TYPE_PROG_ARRAY, key_size: 4, value_size: 4, max_entries: 2 });
    if (pa2 === undefined) return;
    r.call('a kprobe program claims the second array', BpfCmd.BPF_MAP_UPDATE_ELEM, encodeAttrGroup('map_elem', { map_fd: pa2, key: r.mem(u32(0)), value: r.mem(slot(kp)) }));
    r.call('delete it again (the claim stays)', BpfCmd.BPF_MAP_DELETE_ELEM, encodeAttrGroup('map_elem', { map_fd: pa2, key: r.mem(u32(0)) }));
    load(r, 'load an xdp tail caller of the kprobe-owned array', P.BPF_PROG_TYPE_XDP, tailCaller(pa2));
    const pa3 = mapCreate(r, 'create a third prog array', { map_type: M.BPF_MAP_TYPE_PROG_ARRAY, key_size: 4, value_size: 4, max_entries: 2 });
    if (pa3 === undefined) return;
    load(r, 'load an xdp tail caller of the fresh array (claims it)', P.BPF_PROG_TYPE_XDP, tailCaller(pa3));
    r.call('a kprobe program into the xdp-claimed array', BpfCmd.BPF_MAP_UPDATE_ELEM, encodeAttrGroup('map_elem', { map_fd: pa3, key: r.mem(u32(0)), value: r.mem(slot(kp)) }));
  },
};

/** A prog array's entries go when its last fd (user reference) does, even while a program still uses the array. */
const PROG_ARRAY_UREF: SyscallCase = {
  name: 'map ops: prog_array cleared when its last fd closes',
  run(r) {
    const tx = load(r, 'load xdp returning XDP_TX', P.BPF_PROG_TYPE_XDP, returning(3));
    const pa = r.call('create a prog array', BpfCmd.BPF_MAP_CREATE, encodeAttrGroup('map_create', { map_type: M.BPF_MAP_TYPE_PROG_ARRAY, key_size: 4, value_size: 4, max_entries: 2 }));
    if (tx === undefined || pa === undefined) return;
    const caller = load(r, 'load a tail caller using the array', P.BPF_PROG_TYPE_XDP, tailCaller(pa));
    r.call('update slot 0', BpfCmd.BPF_MAP_UPDATE_ELEM, encodeAttrGroup('map_elem', { map_fd: pa, key: r.mem(u32(0)), value: r.mem(u32(tx)) }));
    const id = objectId(r, pa, 104);
    if (caller !== undefined) testRun(r, 'the tail call runs XDP_TX', caller, { data: packet(64) });
    r.sys.close(pa);
    r.record('closed the only fd of the array', true);
    const again = r.call('MAP_GET_FD_BY_ID of the array (the program keeps it)', BpfCmd.BPF_MAP_GET_FD_BY_ID, encodeAttrGroup('get_id', { map_id: id }));
    if (again === undefined) return;
    r.own(again);
    // Linux clears the array from a workqueue: poll until the slot is gone (at once on bpfkit).
    const attr = encodeAttrGroup('map_elem', { map_fd: again, key: r.mem(u32(0)), value: r.mem(4) });
    let cleared = false;
    for (let i = 0; i < 200_000 && !cleared; i++) {
      try {
        r.sys.bpf(BpfCmd.BPF_MAP_LOOKUP_ELEM, attr);
      } catch (e) {
        cleared = e instanceof Error && 'code' in e && e.code === 'ENOENT';
        if (!cleared) throw e;
      }
    }
    r.record('slot 0 is cleared', cleared);
    if (caller !== undefined) testRun(r, 'the tail call falls through', caller, { data: packet(64) });
  },
};

/** Prog arrays and tail calls, recorded on Linux 6.18. */
export const PROG_ARRAY_CASES: readonly SyscallCase[] = [PROG_ARRAY, PROG_ARRAY_UREF];
