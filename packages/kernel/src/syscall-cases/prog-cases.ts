import { BpfCmd, BpfMapType as M, BpfProgType as P, encodeAttrGroup, encodeInfoAttr, encodeProgLoadAttr, decodeAttrGroup } from '@bpfkit/uapi';
import { btfBlobWithStrings, loadBtf } from './btf.js';
import { concat, hex, lookup, mapCreate, objectId, u32 } from './ops.js';
import type { CaseRunner, SyscallCase } from './runner.js';

/** One 8-byte instruction. */
function insn(code: number, dst: number, src: number, off: number, imm: number): number[] {
  const b = new Uint8Array(8);
  const v = new DataView(b.buffer);
  v.setUint8(0, code);
  v.setUint8(1, (src << 4) | dst);
  v.setInt16(2, off, true);
  v.setInt32(4, imm, true);
  return [...b];
}

const movImm = (dst: number, imm: number): number[] => insn(0xb7, dst, 0, 0, imm);
const exit = (): number[] => insn(0x95, 0, 0, 0, 0);
const GPL = new TextEncoder().encode('GPL\0');

/** `r0 = <ret>; exit`. */
const returning = (ret: number): Uint8Array => Uint8Array.from([...movImm(0, ret), ...exit()]);

/** An XDP program counting its runs in slot 0 of the array `mapFd`, returning XDP_PASS. */
function counter(mapFd: number): Uint8Array {
  return Uint8Array.from([
    ...insn(0x18, 1, 1, 0, mapFd), ...insn(0, 0, 0, 0, 0), // r1 = map
    ...insn(0x62, 10, 0, -4, 0), // *(u32 *)(r10 - 4) = 0
    ...insn(0xbf, 2, 10, 0, 0), ...insn(0x07, 2, 0, 0, -4), // r2 = r10 - 4
    ...insn(0x85, 0, 0, 0, 1), // call bpf_map_lookup_elem
    ...insn(0x15, 0, 0, 2, 0), // if r0 == 0 goto +2
    ...movImm(1, 1),
    ...insn(0xdb, 0, 1, 0, 0), // lock *(u64 *)(r0 + 0) += r1
    ...movImm(0, 2),
    ...exit(),
  ]);
}

function load(r: CaseRunner, step: string, type: number, insns: Uint8Array, name = ''): number | undefined {
  const fd = r.call(step, BpfCmd.BPF_PROG_LOAD, encodeProgLoadAttr({
    prog_type: type, insn_cnt: insns.length / 8, insns: r.mem(insns), license: r.mem(GPL), prog_name: name,
  }));
  return fd === undefined ? undefined : r.own(fd);
}

/** BPF_PROG_TEST_RUN with a packet; records retval, data_size_out and whether data_out holds the packet. */
function testRun(r: CaseRunner, step: string, prog: number, opts: { data?: Uint8Array; sizeOut?: number; repeat?: number; flags?: number; ctxSizeIn?: number; cpu?: number }): void {
  const data = opts.data;
  const sizeOut = opts.sizeOut ?? 256;
  const out = r.mem(Math.max(1, sizeOut));
  const attr = encodeAttrGroup('test', {
    prog_fd: prog,
    data_in: data === undefined ? 0n : r.mem(data),
    data_size_in: data?.length ?? 0,
    data_out: out,
    data_size_out: sizeOut,
    repeat: opts.repeat ?? 1,
    flags: opts.flags ?? 0,
    ctx_size_in: opts.ctxSizeIn ?? 0,
    cpu: opts.cpu ?? 0,
  });
  const more = (): Record<string, number | boolean | string> => {
    const t = decodeAttrGroup('test', attr);
    const got = r.read(out, Math.min(sizeOut, t.data_size_out));
    const same = data !== undefined && hex(got) === hex(data.subarray(0, got.length));
    return { retval: t.retval, data_size_out: t.data_size_out, dataIsInput: same, ...(same || got.length === 0 ? {} : { data: hex(got.subarray(0, 64)) }) };
  };
  r.call(step, BpfCmd.BPF_PROG_TEST_RUN, attr, more);
}

const packet = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 7 + 3) & 0xff);

/** BPF_PROG_TEST_RUN of XDP and socket filter programs, its attr checks and its copy-out rules. */
const TEST_RUN: SyscallCase = {
  name: 'prog test run: xdp and socket filter',
  run(r) {
    const xdp = load(r, 'load xdp returning XDP_PASS', P.BPF_PROG_TYPE_XDP, returning(2));
    const sk = load(r, 'load socket filter returning 0', P.BPF_PROG_TYPE_SOCKET_FILTER, returning(0));
    const kp = load(r, 'load kprobe returning 0', P.BPF_PROG_TYPE_KPROBE, returning(0));
    if (xdp === undefined || sk === undefined || kp === undefined) return;
    testRun(r, 'xdp with a 64-byte packet', xdp, { data: packet(64) });
    testRun(r, 'xdp repeat 0 runs once', xdp, { data: packet(64), repeat: 0 });
    testRun(r, 'xdp repeat 10', xdp, { data: packet(64), repeat: 10 });
    testRun(r, 'xdp with data_size_out 10 (ENOSPC after the copy)', xdp, { data: packet(64), sizeOut: 10 });
    testRun(r, 'xdp with a 10-byte packet (shorter than ETH_HLEN)', xdp, { data: packet(10) });
    testRun(r, 'xdp without a packet', xdp, {});
    testRun(r, 'xdp with BPF_F_TEST_RUN_ON_CPU', xdp, { data: packet(64), flags: 1 });
    testRun(r, 'xdp with ctx_size_in but no ctx_in', xdp, { data: packet(64), ctxSizeIn: 24 });
    testRun(r, 'socket filter with a 64-byte packet', sk, { data: packet(64) });
    testRun(r, 'socket filter with cpu 1 but no flag', sk, { data: packet(64), cpu: 1 });
    testRun(r, 'kprobe (no test run)', kp, { data: packet(64) });
    testRun(r, 'prog_fd 9999', 9999, { data: packet(64) });
    const m = mapCreate(r, 'create an array', { map_type: M.BPF_MAP_TYPE_ARRAY, key_size: 4, value_size: 8, max_entries: 1 });
    if (m === undefined) return;
    testRun(r, 'prog_fd is a map', m, { data: packet(64) });
    const count = load(r, 'load an xdp program counting runs in the array', P.BPF_PROG_TYPE_XDP, counter(m), 'counter');
    if (count === undefined) return;
    testRun(r, 'counter with repeat 3', count, { data: packet(64), repeat: 3 });
    lookup(r, 'the array counts 3 runs', m, u32(0), 8);
    testRun(r, 'counter with repeat 1', count, { data: packet(64) });
    lookup(r, 'the array counts 4 runs', m, u32(0), 8);
  },
};

/** BPF_OBJ_GET_INFO_BY_FD on programs: what the kernel reports of a loaded program. */
const PROG_INFO: SyscallCase = {
  name: 'obj info: programs',
  run(r) {
    const m = mapCreate(r, 'create an array', { map_type: M.BPF_MAP_TYPE_ARRAY, key_size: 4, value_size: 8, max_entries: 1 });
    const xdp = load(r, 'load xdp', P.BPF_PROG_TYPE_XDP, returning(2), 'pass_all');
    if (m === undefined || xdp === undefined) return;
    const count = load(r, 'load the counter', P.BPF_PROG_TYPE_XDP, counter(m), 'counter');
    const info = (step: string, fd: number, extra?: (b: Uint8Array, v: DataView) => Record<string, number | boolean | string>): void => {
      const init = new Uint8Array(232);
      const iv = new DataView(init.buffer);
      iv.setUint32(52, 4, true);
      iv.setBigUint64(56, r.mem(16), true);
      const buf = r.mem(init);
      const attr = encodeInfoAttr({ bpf_fd: fd, info_len: 232, info: buf });
      r.call(step, BpfCmd.BPF_OBJ_GET_INFO_BY_FD, attr, () => {
        const b = r.read(buf, 232);
        const v = new DataView(b.buffer);
        const name = b.subarray(64, 80);
        const nul = name.indexOf(0);
        return {
          type: v.getUint32(0, true),
          nr_map_ids: v.getUint32(52, true),
          name: new TextDecoder().decode(nul < 0 ? name : name.subarray(0, nul)),
          gpl_compatible: v.getUint32(84, true) & 1,
          created_by_uid: v.getUint32(48, true),
          loadTimeNonZero: v.getBigUint64(40, true) !== 0n,
          func_info_rec_size: v.getUint32(132, true),
          line_info_rec_size: v.getUint32(172, true),
          nr_prog_tags: v.getUint32(180, true),
          tag: hex(b.subarray(8, 16)),
          ...(extra?.(b, v) ?? {}),
        };
      });
    };
    info('info of an xdp program', xdp, (_b, v) => ({ xlated_prog_len: v.getUint32(20, true), verified_insns: v.getUint32(216, true) }));
    if (count !== undefined) {
      const mapId = objectId(r, m, 104);
      const ids = r.mem(16);
      const init = new Uint8Array(232);
      const iv = new DataView(init.buffer);
      iv.setUint32(52, 4, true);
      iv.setBigUint64(56, ids, true);
      const buf = r.mem(init);
      r.call('map ids of the counter', BpfCmd.BPF_OBJ_GET_INFO_BY_FD, encodeInfoAttr({ bpf_fd: count, info_len: 232, info: buf }), () => ({
        nr_map_ids: new DataView(r.read(buf, 232).buffer).getUint32(52, true),
        firstIsTheArray: new DataView(r.read(ids, 4).buffer).getUint32(0, true) === mapId,
        tag: hex(r.read(buf + 8n, 8)),
      }));
    }
    const m2 = mapCreate(r, 'create a second array', { map_type: M.BPF_MAP_TYPE_ARRAY, key_size: 4, value_size: 8, max_entries: 1 });
    if (m2 !== undefined) {
      const bind = (step: string, prog: number, map: number, flags = 0): void => {
        r.call(step, BpfCmd.BPF_PROG_BIND_MAP, encodeAttrGroup('prog_bind_map', { prog_fd: prog, map_fd: map, flags }));
      };
      bind('bind the second array to the xdp program', xdp, m2);
      bind('bind it again', xdp, m2);
      bind('bind with flags 1', xdp, m2, 1);
      bind('bind a map fd as the program', m2, m2);
      bind('bind fd 9999 as the map', xdp, 9999);
      const m2Id = objectId(r, m2, 104);
      r.close(m2);
      const ids = r.mem(16);
      const init = new Uint8Array(232);
      new DataView(init.buffer).setUint32(52, 4, true);
      new DataView(init.buffer).setBigUint64(56, ids, true);
      const buf = r.mem(init);
      r.call('the bound map is listed (and kept) after its fd closed', BpfCmd.BPF_OBJ_GET_INFO_BY_FD, encodeInfoAttr({ bpf_fd: xdp, info_len: 232, info: buf }), () => ({
        nr_map_ids: new DataView(r.read(buf, 232).buffer).getUint32(52, true),
        isBound: new DataView(r.read(ids, 4).buffer).getUint32(0, true) === m2Id,
      }));
    }
    const bad = new Uint8Array(232);
    new DataView(bad.buffer).setUint32(144, 1, true);
    r.call('nr_func_info without func_info_rec_size', BpfCmd.BPF_OBJ_GET_INFO_BY_FD, encodeInfoAttr({ bpf_fd: xdp, info_len: 232, info: r.mem(bad) }));
    const badRec = new Uint8Array(232);
    new DataView(badRec.buffer).setUint32(132, 12, true);
    r.call('func_info_rec_size 12', BpfCmd.BPF_OBJ_GET_INFO_BY_FD, encodeInfoAttr({ bpf_fd: xdp, info_len: 232, info: r.mem(badRec) }));
    const id = objectId(r, xdp, 232);
    const byId = r.call('PROG_GET_FD_BY_ID of the xdp program', BpfCmd.BPF_PROG_GET_FD_BY_ID, encodeAttrGroup('get_id', { prog_id: id }));
    if (byId !== undefined) r.own(byId);
  },
};

/** An XDP program that tail-calls slot 0 of `progArray` and returns XDP_PASS when the slot is empty. */
function tailCaller(progArray: number): Uint8Array {
  return Uint8Array.from([
    ...insn(0x18, 2, 1, 0, progArray), ...insn(0, 0, 0, 0, 0), // r2 = prog array
    ...movImm(3, 0),
    ...insn(0x85, 0, 0, 0, 12), // call bpf_tail_call
    ...movImm(0, 2),
    ...exit(),
  ]);
}

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

/** Test runs of other program types: what each accepts and reports. */
const MORE_TEST_RUNS: SyscallCase = {
  name: 'prog test run: tc, raw tracepoint and socket filter contexts',
  run(r) {
    const tc = load(r, 'load sched_cls returning TC_ACT_OK', P.BPF_PROG_TYPE_SCHED_CLS, returning(0));
    const rawTp = load(r, 'load raw_tracepoint returning 7', P.BPF_PROG_TYPE_RAW_TRACEPOINT, returning(7));
    if (tc === undefined || rawTp === undefined) return;
    testRun(r, 'sched_cls with a 64-byte packet', tc, { data: packet(64) });
    testRun(r, 'sched_cls with a 10-byte packet', tc, { data: packet(10) });
    const ctxOut = r.mem(256);
    const a = encodeAttrGroup('test', {
      prog_fd: tc, data_in: r.mem(packet(64)), data_size_in: 64, data_out: r.mem(256), data_size_out: 256, ctx_out: ctxOut, ctx_size_out: 256, repeat: 1,
    });
    r.call('sched_cls with ctx_out', BpfCmd.BPF_PROG_TEST_RUN, a, () => ({ ctx_size_out: decodeAttrGroup('test', a).ctx_size_out, retval: decodeAttrGroup('test', a).retval }));
    const small = encodeAttrGroup('test', {
      prog_fd: tc, data_in: r.mem(packet(64)), data_size_in: 64, data_out: r.mem(256), data_size_out: 256, ctx_out: r.mem(16), ctx_size_out: 16, repeat: 1,
    });
    r.call('sched_cls with a 16-byte ctx_out', BpfCmd.BPF_PROG_TEST_RUN, small, () => ({ ctx_size_out: decodeAttrGroup('test', small).ctx_size_out }));
    const ctx = encodeAttrGroup('test', { prog_fd: rawTp, ctx_in: r.mem(new Uint8Array(16)), ctx_size_in: 16 });
    r.call('raw_tracepoint with a 16-byte context', BpfCmd.BPF_PROG_TEST_RUN, ctx, () => ({ retval: decodeAttrGroup('test', ctx).retval }));
    testRun(r, 'raw_tracepoint with a packet', rawTp, { data: packet(64) });
    const noCtx = encodeAttrGroup('test', { prog_fd: rawTp });
    r.call('raw_tracepoint without a context', BpfCmd.BPF_PROG_TEST_RUN, noCtx, () => ({ retval: decodeAttrGroup('test', noCtx).retval }));

  },
};

/** A program loaded with BTF, func_info and line_info: what prog info reports of them. */
const PROG_BTF_INFO: SyscallCase = {
  name: 'obj info: program BTF, func_info and line_info',
  run(r) {
    const { blob, offsets } = btfBlobWithStrings([
      { kind: 'int', name: 'int' },
      { kind: 'func_proto', ret: 1 },
      { kind: 'func', name: 'pass_all', proto: 2 },
    ], ['prog.c', 'return XDP_PASS;']);
    const btf = loadBtf(r, 'load BTF with a function', blob);
    if (btf === undefined) return;
    const funcInfo = concat(u32(0), u32(3));
    const line = (insnOff: number, lineNo: number): Uint8Array =>
      concat(u32(insnOff), u32(offsets.get('prog.c') ?? 0), u32(offsets.get('return XDP_PASS;') ?? 0), u32((lineNo << 10) | 5));
    const lineInfo = concat(line(0, 3), line(1, 4));
    const insns = returning(2);
    const fd = r.call('load with func_info and line_info', BpfCmd.BPF_PROG_LOAD, encodeProgLoadAttr({
      prog_type: P.BPF_PROG_TYPE_XDP, insn_cnt: 2, insns: r.mem(insns), license: r.mem(GPL), prog_name: 'pass_all',
      prog_btf_fd: btf, func_info: r.mem(funcInfo), func_info_cnt: 1, func_info_rec_size: 8,
      line_info: r.mem(lineInfo), line_info_cnt: 2, line_info_rec_size: 16,
    }));
    if (fd === undefined) return;
    r.own(fd);
    const btfInfo = r.mem(32);
    r.sys.bpf(BpfCmd.BPF_OBJ_GET_INFO_BY_FD, encodeInfoAttr({ bpf_fd: btf, info_len: 32, info: btfInfo }));
    const btfId = new DataView(r.read(btfInfo, 16).buffer).getUint32(12, true);
    const ask = (step: string, nFunc: number, nLine: number): void => {
      const fi = r.mem(16);
      const li = r.mem(64);
      const init = new Uint8Array(232);
      const v = new DataView(init.buffer);
      v.setUint32(144, nFunc, true);
      v.setUint32(132, nFunc === 0 ? 0 : 8, true);
      v.setBigUint64(136, fi, true);
      v.setUint32(148, nLine, true);
      v.setUint32(172, nLine === 0 ? 0 : 16, true);
      v.setBigUint64(152, li, true);
      const buf = r.mem(init);
      r.call(step, BpfCmd.BPF_OBJ_GET_INFO_BY_FD, encodeInfoAttr({ bpf_fd: fd, info_len: 232, info: buf }), () => {
        const out = new DataView(r.read(buf, 232).buffer);
        return {
          btfIsOurs: out.getUint32(128, true) === btfId,
          nr_func_info: out.getUint32(144, true),
          nr_line_info: out.getUint32(148, true),
          func_info: hex(r.read(fi, 16)),
          line_info: hex(r.read(li, 64)),
        };
      });
    };
    ask('info with room for nothing', 0, 0);
    ask('info with room for 1 func and 1 line', 1, 1);
    ask('info with room for 2 funcs and 4 lines', 2, 4);
  },
};

/** BPF_ENABLE_STATS: runs are counted while a stats fd is open. */
const STATS: SyscallCase = {
  name: 'prog stats: BPF_ENABLE_STATS counts runs',
  run(r) {
    const xdp = load(r, 'load xdp', P.BPF_PROG_TYPE_XDP, returning(2));
    if (xdp === undefined) return;
    const stats = (step: string): void => {
      const buf = r.mem(232);
      r.call(step, BpfCmd.BPF_OBJ_GET_INFO_BY_FD, encodeInfoAttr({ bpf_fd: xdp, info_len: 232, info: buf }), () => {
        const v = new DataView(r.read(buf, 232).buffer);
        return { run_cnt: Number(v.getBigUint64(200, true)), ranForSomeTime: v.getBigUint64(192, true) > 0n };
      });
    };
    testRun(r, 'a run before stats are on', xdp, { data: packet(64) });
    stats('nothing counted yet');
    r.call('ENABLE_STATS type 1 (unknown)', BpfCmd.BPF_ENABLE_STATS, encodeAttrGroup('enable_stats', { type: 1 }));
    const fd = r.call('ENABLE_STATS BPF_STATS_RUN_TIME', BpfCmd.BPF_ENABLE_STATS, encodeAttrGroup('enable_stats', { type: 0 }));
    if (fd === undefined) return;
    testRun(r, 'three runs with stats on', xdp, { data: packet(64), repeat: 3 });
    stats('three runs counted');
    r.close(fd);
    testRun(r, 'a run after the stats fd is closed', xdp, { data: packet(64) });
    stats('still three runs');
  },
};

/** A sleepable syscall program writing its context: the context goes back into `ctx_in`. */
const SYSCALL_PROG: SyscallCase = {
  name: 'prog test run: a syscall program writes its context back',
  run(r) {
    const sys = r.call('load a syscall program writing its context', BpfCmd.BPF_PROG_LOAD, encodeProgLoadAttr({
      prog_type: P.BPF_PROG_TYPE_SYSCALL, insn_cnt: 3, prog_flags: 1 << 4, license: r.mem(GPL),
      insns: r.mem(Uint8Array.from([...insn(0x62, 1, 0, 0, 42), ...movImm(0, 7), ...exit()])),
    }));
    if (sys === undefined) return;
    r.own(sys);
    const ctxIn = r.mem(new Uint8Array(8).fill(0xee));
    const run = encodeAttrGroup('test', { prog_fd: sys, ctx_in: ctxIn, ctx_size_in: 8 });
    r.call('syscall program with an 8-byte context', BpfCmd.BPF_PROG_TEST_RUN, run, () => ({ retval: decodeAttrGroup('test', run).retval, ctx_in: hex(r.read(ctxIn, 8)) }));
    const withData = encodeAttrGroup('test', { prog_fd: sys, ctx_in: r.mem(8), ctx_size_in: 8, data_in: r.mem(packet(64)), data_size_in: 64 });
    r.call('syscall program with a packet', BpfCmd.BPF_PROG_TEST_RUN, withData);
    const repeat = encodeAttrGroup('test', { prog_fd: sys, ctx_in: r.mem(8), ctx_size_in: 8, repeat: 2 });
    r.call('syscall program with repeat 2', BpfCmd.BPF_PROG_TEST_RUN, repeat);
  },
};

/** Program test runs and program info, recorded on Linux 6.18. */
export const PROG_CASES: readonly SyscallCase[] = [TEST_RUN, PROG_INFO, PROG_ARRAY, PROG_ARRAY_UREF, MORE_TEST_RUNS, SYSCALL_PROG, PROG_BTF_INFO, STATS];
