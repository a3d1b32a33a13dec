import type { LinkRecord, LinkTarget } from './link-record.js';
import type { BpfObject } from './objects.js';
import type { ProgRecord } from './prog-record.js';
import { progTag } from './prog-tag.js';

/** `bpf_link_type_strs`: the names fdinfo prints, by `enum bpf_link_type` (perf event links are `perf`). */
const LINK_TYPE_STRS = ['', 'raw_tracepoint', 'tracing', 'cgroup', 'iter', 'netns', 'xdp', 'perf', 'kprobe_multi', 'struct_ops',
  'netfilter', 'tcx', 'uprobe_multi', 'netkit', 'sockmap'];

/** `bpf_perf_link_show_fdinfo`: by the kind of event. */
function perfFdinfo(t: Extract<LinkTarget, { kind: 'perf_event' }>): string {
  const trace = t.trace;
  if (trace === undefined) return `type:\t${t.eventType}\nconfig:\t${t.config}\nevent_type:\tevent\ncookie:\t${t.cookie}\n`;
  if ('event' in trace) return `tp_name:\t${trace.event.name}\nevent_type:\ttracepoint\ncookie:\t${t.cookie}\n`;
  if (trace.kind === 'kprobe') {
    return `name:\t${trace.func ?? ''}\noffset:\t0x${trace.offset.toString(16)}\nmissed:\t0\naddr:\t${trace.addr.toString(16).padStart(16, '0')}\n` +
      `event_type:\t${trace.retprobe ? 'kretprobe' : 'kprobe'}\ncookie:\t${t.cookie}\n`;
  }
  return `name:\t${trace.path}\noffset:\t0x${trace.offset.toString(16)}\nref_ctr_offset:\t0x${trace.refCtrOffset.toString(16)}\n` +
    `event_type:\t${trace.retprobe ? 'uretprobe' : 'uprobe'}\ncookie:\t${t.cookie}\n`;
}

/**
 * `bpf_link_show_fdinfo`: the link type's name, id, its program's tag and id, then the
 * type's own lines (a raw tracepoint's name and cookie; a tracing link's attach type,
 * target and cookie; a perf event's type and config).
 *
 * @example
 * linkFdinfo(obj); // 'link_type:\traw_tracepoint\nlink_id:\t3\nprog_tag:\t…\nprog_id:\t7\ntp_name:\tsys_enter\ncookie:\t0\n'
 */
export function linkFdinfo(obj: BpfObject): string {
  const link = obj.impl as LinkRecord;
  const typeName = LINK_TYPE_STRS[link.type] || undefined;
  const p = link.prog.impl as ProgRecord;
  const tag = Array.from(progTag(p.insns), (b) => b.toString(16).padStart(2, '0')).join('');
  let text = `${typeName === undefined ? `link_type:\t<${link.type}>` : `link_type:\t${typeName}`}\nlink_id:\t${obj.id}\n` +
    `prog_tag:\t${tag}\nprog_id:\t${link.prog.id}\n`;
  const t = link.target;
  if (t.kind === 'raw_tracepoint') text += `tp_name:\t${t.tpName}\ncookie:\t${t.cookie}\n`;
  else if (t.kind === 'perf_event') text += perfFdinfo(t);
  else if (t.kind === 'iter') {
    text += `target_name:\t${t.target}\n`;
    if (t.task !== undefined) text += `task_type:\t${t.task.type}\n${t.task.type === 'TID' ? `tid:\t${t.task.pid}\n` : t.task.type === 'PID' ? `pid:\t${t.task.pid}\n` : ''}`;
  }
  else text += `attach_type:\t${link.attachType}\ntarget_obj_id:\t${t.targetObjId}\ntarget_btf_id:\t${t.targetBtfId}\ncookie:\t${t.cookie}\n`;
  return text;
}
