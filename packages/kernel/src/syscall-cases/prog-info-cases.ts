import { BpfCmd, BpfMapType as M, BpfProgType as P, encodeAttrGroup, encodeInfoAttr, encodeProgLoadAttr } from '@bpfkit/uapi';
import { btfBlobWithStrings, loadBtf } from './btf.js';
import { concat, hex, mapCreate, objectId, u32 } from './ops.js';
import { GPL, counter, load, returning } from './prog-bytes.js';
import type { SyscallCase } from './runner.js';

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

/** Program info, recorded on Linux 6.18. */
export const PROG_INFO_CASES: readonly SyscallCase[] = [PROG_INFO, PROG_BTF_INFO];
