import { BpfError } from '@bpfkit/kernel-api';
import { Capability } from '@bpfkit/uapi';
import type { BpfObject } from '../../bpf/objects.js';
import type { ProgRecord } from '../../bpf/prog-record.js';
import { progTag } from '../../bpf/prog-tag.js';
import type { SyscallContext } from '../../task/syscall-context.js';
import { BPF_PROG_INFO, InfoStruct } from './layout.js';
import { finishInfo, infoTailZero, nameBytes, readUserInfo } from './user-info.js';

type ProgInfo = InfoStruct<typeof BPF_PROG_INFO.fields>;

const FUNC_INFO_REC_SIZE = 8;
const LINE_INFO_REC_SIZE = 16;
const JITED_LINE_INFO_REC_SIZE = 8;

/** `set_info_rec_size`: a record size the caller gives (or a count without one) must be the kernel's (EINVAL). */
function setInfoRecSize(info: ProgInfo): void {
  const rule = (cnt: 'nr_func_info' | 'nr_line_info' | 'nr_jited_line_info', rec: 'func_info_rec_size' | 'line_info_rec_size' | 'jited_line_info_rec_size', size: number): void => {
    if ((info.getU32(cnt) !== 0 || info.getU32(rec) !== 0) && info.getU32(rec) !== size) {
      throw new BpfError('EINVAL', 'info:rec-size', `${rec} must be ${size}`);
    }
  };
  rule('nr_func_info', 'func_info_rec_size', FUNC_INFO_REC_SIZE);
  rule('nr_line_info', 'line_info_rec_size', LINE_INFO_REC_SIZE);
  rule('nr_jited_line_info', 'jited_line_info_rec_size', JITED_LINE_INFO_REC_SIZE);
  info.set('func_info_rec_size', FUNC_INFO_REC_SIZE);
  info.set('line_info_rec_size', LINE_INFO_REC_SIZE);
  info.set('jited_line_info_rec_size', JITED_LINE_INFO_REC_SIZE);
}

/** Reports how many records there are and copies as many as the caller has room for (`nr_*` in, `nr_*` out). */
function copyRecords(task: SyscallContext, info: ProgInfo, count: 'nr_func_info' | 'nr_line_info', ptr: 'func_info' | 'line_info', records: Uint8Array, size: number): void {
  const want = info.getU32(count);
  const have = records.length / size;
  info.set(count, have);
  if (have !== 0 && want !== 0) task.memory.write(info.get(ptr), records.subarray(0, Math.min(want, have) * size));
}

/** `bpf_insn_prepare_dump`: map loads show the map's id instead of the fd the loader used. */
function xlatedDump(prog: ProgRecord, task: SyscallContext): Uint8Array {
  const out = prog.insns.slice();
  const dv = new DataView(out.buffer);
  let mapIndex = 0;
  for (let off = 0; off + 16 <= out.length; off += 8) {
    if (out[off] !== 0x18) continue;
    const src = (out[off + 1] ?? 0) >> 4;
    if (src === 1 || src === 2 || src === 5 || src === 6) {
      const fd = dv.getInt32(off + 4, true);
      const byFd = task.fdTable.get(fd)?.file.payload.object;
      const obj = src === 1 || src === 2 ? prog.usedMaps.find((m) => m === byFd) ?? prog.usedMaps[mapIndex] : prog.usedMaps[mapIndex];
      mapIndex++;
      out[off + 1] = ((src === 1 || src === 5 ? 1 : 2) << 4) | ((out[off + 1] ?? 0) & 0x0f);
      dv.setInt32(off + 4, obj?.id ?? 0, true);
    }
    off += 8;
  }
  return out;
}

/**
 * `bpf_prog_get_info_by_fd`: the tail check, the caller's struct read in (its
 * counts and pointers say what to copy), then the program's attributes, its
 * map ids, record sizes, run statistics and, for a CAP_BPF caller, the
 * translated instructions; the tag is `bpf_prog_calc_tag`'s. The simulated kernel has no JIT image, so the
 * jited lengths read 0 and no jited addresses are written.
 */
export function progGetInfo(task: SyscallContext, obj: BpfObject, uinfo: bigint, infoLen: number, uattr: Uint8Array): number {
  const core = task.core;
  const prog = obj.impl as ProgRecord;
  const len = infoTailZero(task, uinfo, BPF_PROG_INFO.size, infoLen);
  const info = new InfoStruct(BPF_PROG_INFO, readUserInfo(task, uinfo, len));
  info.set('type', prog.progType);
  info.set('id', obj.id);
  info.set('load_time', prog.loadTimeNs);
  info.set('created_by_uid', core.deps.userNamespaces.mapUpMunged(task.cred.userNs, 'uid', prog.createdByUid));
  info.set('gpl_compatible', (info.getU32('gpl_compatible') & ~1) | (prog.gplCompatible ? 1 : 0));
  const tag = progTag(prog.insns);
  info.setBytes('tag', tag);
  info.setBytes('name', nameBytes(obj.name));

  const wantMaps = info.getU32('nr_map_ids');
  info.set('nr_map_ids', prog.usedMaps.length);
  const mapIds = info.get('map_ids');
  for (let i = 0; i < Math.min(wantMaps, prog.usedMaps.length); i++) {
    const id = new Uint8Array(4);
    new DataView(id.buffer).setUint32(0, prog.usedMaps[i]?.id ?? 0, true);
    task.memory.write(mapIds + BigInt(i * 4), id);
  }
  setInfoRecSize(info);
  info.set('run_time_ns', prog.stats.nsecs);
  info.set('run_cnt', prog.stats.cnt);
  info.set('recursion_misses', 0);
  info.set('verified_insns', prog.verifiedInsns);
  if (prog.btfId !== undefined) info.set('btf_id', prog.btfId);

  const bpfCapable = core.capable(task.cred, Capability.CAP_BPF) || core.capable(task.cred, Capability.CAP_SYS_ADMIN);
  if (!bpfCapable) {
    for (const f of ['jited_prog_len', 'xlated_prog_len', 'nr_jited_ksyms', 'nr_jited_func_lens', 'nr_func_info', 'nr_line_info', 'nr_jited_line_info'] as const) info.set(f, 0);
  } else {
    const wantXlated = info.getU32('xlated_prog_len');
    info.set('xlated_prog_len', prog.insns.length);
    if (prog.insns.length !== 0 && wantXlated !== 0) {
      task.memory.write(info.get('xlated_prog_insns'), xlatedDump(prog, task).subarray(0, Math.min(wantXlated, prog.insns.length)));
    }
    info.set('jited_prog_len', 0);
    info.set('nr_jited_ksyms', 1);
    if (info.get('jited_ksyms') !== 0n) info.set('jited_ksyms', 0);
    info.set('nr_jited_func_lens', 1);
    if (info.get('jited_func_lens') !== 0n) info.set('jited_func_lens', 0);
    info.set('attach_btf_id', prog.attachBtfId);
    if (prog.attachBtfObjId !== undefined) info.set('attach_btf_obj_id', prog.attachBtfObjId);
    copyRecords(task, info, 'nr_func_info', 'func_info', prog.funcInfo, FUNC_INFO_REC_SIZE);
    copyRecords(task, info, 'nr_line_info', 'line_info', prog.lineInfo, LINE_INFO_REC_SIZE);
    // No JIT image, so no jited line info.
    info.set('nr_jited_line_info', 0);
    const wantTags = info.getU32('nr_prog_tags');
    info.set('nr_prog_tags', 1);
    if (wantTags !== 0) task.memory.write(info.get('prog_tags'), tag);
  }
  finishInfo(task, uattr, uinfo, info.bytes, len);
  return 0;
}
