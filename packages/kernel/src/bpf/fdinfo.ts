import type { KernelCore } from '../core.js';
import type { MapRecord } from './map-record.js';
import type { BpfObject } from './objects.js';
import type { ProgRecord } from './prog-record.js';
import { progTag } from './prog-tag.js';

const PAGE_SIZE = 4096;
/** `offsetof(struct bpf_prog, insns)` on x86-64 6.18, for `bpf_prog_size`. */
const BPF_PROG_HEADER = 72;

/** Whether the kernel's engine compiles programs (`prog->jited`): the WebAssembly JIT does. */
function jited(core: KernelCore): number {
  return core.deps.engine?.name === 'wasm' ? 1 : 0;
}

/** `bpf_map_show_fdinfo`: the map's attributes, memory, id and `frozen`; prog arrays add their owner. */
export function mapFdinfo(core: KernelCore, obj: BpfObject): string {
  const m = obj.impl as MapRecord;
  const i = m.info;
  let text = `map_type:\t${i.mapType}\nkey_size:\t${i.keySize}\nvalue_size:\t${i.valueSize}\nmax_entries:\t${i.maxEntries}\n` +
    `map_flags:\t0x${(i.mapFlags >>> 0).toString(16)}\nmap_extra:\t0x${m.mapExtra.toString(16)}\nmemlock:\t${m.memlock}\n` +
    `map_id:\t${obj.id}\nfrozen:\t${m.frozen ? 1 : 0}\n`;
  if (m.owner !== undefined) text += `owner_prog_type:\t${m.owner.progType}\nowner_jited:\t${jited(core)}\n`;
  return text;
}

/** `bpf_prog_show_fdinfo`: type, JIT, tag, memory, id, run statistics and `verified_insns`. */
export function progFdinfo(core: KernelCore, obj: BpfObject): string {
  const p = obj.impl as ProgRecord;
  const tag = Array.from(progTag(p.insns), (b) => b.toString(16).padStart(2, '0')).join('');
  const memlock = Math.ceil((BPF_PROG_HEADER + p.insns.length) / PAGE_SIZE) * PAGE_SIZE;
  return `prog_type:\t${p.progType}\nprog_jited:\t${jited(core)}\nprog_tag:\t${tag}\nmemlock:\t${memlock}\nprog_id:\t${obj.id}\n` +
    `run_time_ns:\t${p.stats.nsecs}\nrun_cnt:\t${p.stats.cnt}\nrecursion_misses:\t0\nverified_insns:\t${p.verifiedInsns}\n`;
}
