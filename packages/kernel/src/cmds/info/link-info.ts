import { BpfError } from '@bpfkit/kernel-api';
import { Capability } from '@bpfkit/uapi';
import type { LinkRecord } from '../../bpf/link-record.js';
import type { BpfObject } from '../../bpf/objects.js';
import type { SyscallContext } from '../../task/syscall-context.js';
import { InfoStruct } from './layout.js';
import { finishInfo, infoTailZero, readUserInfo } from './user-info.js';

/**
 * `struct bpf_link_info` (64 bytes on 6.18): the header, then the union of the link
 * types' parts; the raw tracepoint, tracing and perf event members are laid out here.
 */
export const BPF_LINK_INFO = {
  size: 64,
  fields: {
    type: [0, 4], id: [4, 4], prog_id: [8, 4],
    'raw_tracepoint.tp_name': [16, 8], 'raw_tracepoint.tp_name_len': [24, 4], 'raw_tracepoint.cookie': [32, 8],
    'tracing.attach_type': [16, 4], 'tracing.target_obj_id': [20, 4], 'tracing.target_btf_id': [24, 4], 'tracing.cookie': [32, 8],
    'perf_event.type': [16, 4], 'perf_event.event.config': [24, 8], 'perf_event.event.type': [32, 4], 'perf_event.event.cookie': [40, 8],
    'perf_event.name': [24, 8], 'perf_event.name_len': [32, 4],
    'perf_event.tracepoint.cookie': [40, 8],
    'perf_event.kprobe.offset': [36, 4], 'perf_event.kprobe.addr': [40, 8], 'perf_event.kprobe.missed': [48, 8], 'perf_event.kprobe.cookie': [56, 8],
    'perf_event.uprobe.offset': [36, 4], 'perf_event.uprobe.cookie': [40, 8], 'perf_event.uprobe.ref_ctr_offset': [48, 8],
    'iter.target_name': [16, 8], 'iter.target_name_len': [24, 4], 'iter.map_id': [28, 4], 'iter.task.tid': [32, 4], 'iter.task.pid': [36, 4],
  },
} as const;

/** `enum bpf_perf_event_type`. */
const BPF_PERF_EVENT_UPROBE = 1;
const BPF_PERF_EVENT_URETPROBE = 2;
const BPF_PERF_EVENT_KPROBE = 3;
const BPF_PERF_EVENT_KRETPROBE = 4;
const BPF_PERF_EVENT_TRACEPOINT = 5;
const BPF_PERF_EVENT_EVENT = 6;

type LinkInfoStruct = InfoStruct<typeof BPF_LINK_INFO.fields>;

/**
 * `bpf_perf_link_fill_common`: a name buffer without a length (or the reverse) is EINVAL;
 * `name_len` becomes the name's length with its NUL (1 without a name); the name is
 * copied into the buffer, cut short with a NUL and ENOSPC when it does not fit.
 */
function fillPerfName(task: SyscallContext, info: LinkInfoStruct, name: string | undefined): void {
  const ubuf = info.get('perf_event.name');
  const ulen = info.getU32('perf_event.name_len');
  if ((ulen !== 0) !== (ubuf !== 0n)) throw new BpfError('EINVAL', 'info:perf-name-buffer', 'the name buffer and its length must be given together');
  const bytes = new TextEncoder().encode(name ?? '');
  info.set('perf_event.name_len', bytes.length + 1);
  if (ubuf === 0n) return;
  if (ulen >= bytes.length + 1) {
    task.memory.write(ubuf, Uint8Array.from([...bytes, 0]));
    return;
  }
  const cut = new Uint8Array(ulen);
  cut.set(bytes.subarray(0, ulen - 1));
  task.memory.write(ubuf, cut);
  throw new BpfError('ENOSPC', 'info:perf-name-too-long', `name_len ${ulen} cannot hold '${name ?? ''}' and its NUL`);
}

/** `bpf_perf_link_fill_link_info`: by the kind of event, the software event's config, the tracepoint's name or the probe's target. */
function fillPerf(task: SyscallContext, info: LinkInfoStruct, t: Extract<LinkRecord['target'], { kind: 'perf_event' }>): void {
  const trace = t.trace;
  if (trace === undefined) {
    info.set('perf_event.type', BPF_PERF_EVENT_EVENT);
    info.set('perf_event.event.config', t.config);
    info.set('perf_event.event.type', t.eventType);
    info.set('perf_event.event.cookie', t.cookie);
  } else if ('event' in trace) {
    fillPerfName(task, info, trace.event.name);
    info.set('perf_event.type', BPF_PERF_EVENT_TRACEPOINT);
    info.set('perf_event.tracepoint.cookie', t.cookie);
  } else if (trace.kind === 'kprobe') {
    fillPerfName(task, info, trace.func);
    info.set('perf_event.type', trace.retprobe ? BPF_PERF_EVENT_KRETPROBE : BPF_PERF_EVENT_KPROBE);
    info.set('perf_event.kprobe.offset', Number(trace.offset & 0xffff_ffffn));
    info.set('perf_event.kprobe.missed', 0n);
    // kallsyms_show_value: addresses only for readers with CAP_SYSLOG.
    info.set('perf_event.kprobe.addr', task.core.capable(task.cred, Capability.CAP_SYSLOG) ? trace.addr : 0n);
    info.set('perf_event.kprobe.cookie', t.cookie);
  } else {
    fillPerfName(task, info, trace.path);
    info.set('perf_event.type', trace.retprobe ? BPF_PERF_EVENT_URETPROBE : BPF_PERF_EVENT_UPROBE);
    info.set('perf_event.uprobe.offset', Number(trace.offset & 0xffff_ffffn));
    info.set('perf_event.uprobe.cookie', t.cookie);
    info.set('perf_event.uprobe.ref_ctr_offset', trace.refCtrOffset);
  }
}

/**
 * `bpf_raw_tp_link_fill_link_info`: `tp_name_len` becomes the name's length with its NUL;
 * with a buffer, the name is copied, cut short with a NUL and ENOSPC when it does not fit.
 * A buffer without a length (or the reverse) is EINVAL.
 */
function fillRawTp(task: SyscallContext, info: InfoStruct<typeof BPF_LINK_INFO.fields>, tpName: string, cookie: bigint): void {
  const ubuf = info.get('raw_tracepoint.tp_name');
  const ulen = info.getU32('raw_tracepoint.tp_name_len');
  if ((ulen !== 0) !== (ubuf !== 0n)) throw new BpfError('EINVAL', 'info:tp-name-buffer', 'tp_name and tp_name_len must be given together');
  const name = new TextEncoder().encode(tpName);
  info.set('raw_tracepoint.tp_name_len', name.length + 1);
  info.set('raw_tracepoint.cookie', cookie);
  if (ubuf === 0n) return;
  if (ulen >= name.length + 1) {
    task.memory.write(ubuf, Uint8Array.from([...name, 0]));
    return;
  }
  const cut = new Uint8Array(ulen);
  cut.set(name.subarray(0, ulen - 1));
  task.memory.write(ubuf, cut);
  throw new BpfError('ENOSPC', 'info:tp-name-too-long', `tp_name_len ${ulen} cannot hold '${tpName}' and its NUL`);
}

/**
 * `bpf_iter_link_fill_link_info`: the target's name as the raw tracepoint's is given
 * (buffer and length together, EINVAL; `target_name_len` its length with the NUL; cut
 * short with ENOSPC), then a task iterator's tid or pid.
 */
function fillIter(task: SyscallContext, info: LinkInfoStruct, t: Extract<LinkRecord['target'], { kind: 'iter' }>): void {
  const ubuf = info.get('iter.target_name');
  const ulen = info.getU32('iter.target_name_len');
  if ((ulen !== 0) !== (ubuf !== 0n)) throw new BpfError('EINVAL', 'info:iter-name-buffer', 'target_name and target_name_len must be given together');
  const name = new TextEncoder().encode(t.target);
  info.set('iter.target_name_len', name.length + 1);
  if (ubuf !== 0n) {
    if (ulen < name.length + 1) {
      const cut = new Uint8Array(ulen);
      cut.set(name.subarray(0, ulen - 1));
      task.memory.write(ubuf, cut);
      throw new BpfError('ENOSPC', 'info:iter-name-too-long', `target_name_len ${ulen} cannot hold '${t.target}' and its NUL`);
    }
    task.memory.write(ubuf, Uint8Array.from([...name, 0]));
  }
  if (t.task?.type === 'TID') info.set('iter.task.tid', t.task.pid);
  if (t.task?.type === 'PID') info.set('iter.task.pid', t.task.pid);
}

/**
 * `bpf_link_get_info_by_fd`: the caller's struct (tail beyond 64 bytes zero), type, id
 * and prog_id, then the link type's part; copied back at `min(info_len, 64)` bytes.
 */
export function linkGetInfo(task: SyscallContext, obj: BpfObject, uinfo: bigint, infoLen: number, uattr: Uint8Array): number {
  const link = obj.impl as LinkRecord;
  const len = infoTailZero(task, uinfo, BPF_LINK_INFO.size, infoLen);
  const info = new InfoStruct(BPF_LINK_INFO, readUserInfo(task, uinfo, len));
  info.set('type', link.type);
  info.set('id', obj.id);
  info.set('prog_id', link.prog.id);
  const t = link.target;
  if (t.kind === 'raw_tracepoint') fillRawTp(task, info, t.tpName, t.cookie);
  else if (t.kind === 'perf_event') fillPerf(task, info, t);
  else if (t.kind === 'iter') fillIter(task, info, t);
  else {
    info.set('tracing.attach_type', link.attachType);
    info.set('tracing.target_obj_id', t.targetObjId);
    info.set('tracing.target_btf_id', t.targetBtfId);
    info.set('tracing.cookie', t.cookie);
  }
  finishInfo(task, uattr, uinfo, info.bytes, len);
  return 0;
}
