import { BpfError, type BtfView } from '@bpfkit/kernel-api';
import { Errno } from '@bpfkit/uapi';
import type { LinkRecord } from '../bpf/link-record.js';
import type { MapRecord } from '../bpf/map-record.js';
import type { BpfObject } from '../bpf/objects.js';
import type { ProgRecord } from '../bpf/prog-record.js';
import { programServices } from '../bpf/services.js';
import { kernelBtfOf } from '../btf/object.js';
import type { SyscallContext } from '../task/syscall-context.js';
import type { TaskImpl } from '../task/task.js';

/** `sizeof(struct seq_file)`: the handle the program gets in `meta->seq`. */
const SEQ_FILE_SIZE = 120;
/** `sizeof(struct bpf_iter_meta)`: seq, session_id, seq_num. */
const META_SIZE = 24;
/** Comm of every simulated task. */
const COMM = 'bpfkit';

/** `session_id`'s counter (an atomic64 of the kernel): per simulated kernel. */
const sessions = new WeakMap<object, bigint>();

/** A struct's member byte offsets by name in the kernel's BTF, and its size. */
function layout(btf: BtfView | undefined, name: string): { size: number; at: (member: string) => number | undefined } | undefined {
  const id = btf?.findAll(name, 'STRUCT')[0];
  const t = id === undefined ? undefined : btf?.type(id);
  if (t?.size === undefined) return undefined;
  const members = t.members ?? [];
  return { size: t.size, at: (m) => { const x = members.find((mm) => mm.name === m); return x === undefined ? undefined : x.bitsOffset / 8; } };
}

type Image = (view: DataView, bytes: Uint8Array, base: number) => void;

/** What each visited object looks like to the program: a struct image with the fields the simulated kernel knows, at the BTF's offsets. */
function imageOf(target: string, obj: TaskImpl | BpfObject): { struct: string; fill: (at: (m: string) => number | undefined) => Image } {
  const enc = new TextEncoder();
  const put = (at: (m: string) => number | undefined, fields: readonly (readonly [string, 'u32' | 'str16', number | string])[]): Image => (view, bytes, base) => {
    for (const [m, kind, value] of fields) {
      const off = at(m);
      if (off === undefined) continue;
      if (kind === 'u32') view.setUint32(base + off, Number(value) >>> 0, true);
      else bytes.set(enc.encode(String(value)).subarray(0, 15), base + off);
    }
  };
  if (target === 'task') {
    const t = obj as TaskImpl;
    return { struct: 'task_struct', fill: (at) => put(at, [['pid', 'u32', t.pid], ['tgid', 'u32', t.pid], ['comm', 'str16', COMM]]) };
  }
  const o = obj as BpfObject;
  if (target === 'bpf_map') {
    const m = o.impl as MapRecord;
    return {
      struct: 'bpf_map', fill: (at) => put(at, [['id', 'u32', o.id], ['map_type', 'u32', m.info.mapType], ['key_size', 'u32', m.info.keySize],
        ['value_size', 'u32', m.info.valueSize], ['max_entries', 'u32', m.info.maxEntries], ['map_flags', 'u32', m.info.mapFlags], ['name', 'str16', m.name]]),
    };
  }
  return { struct: 'bpf_prog', fill: (at) => put(at, [['type', 'u32', (o.impl as ProgRecord).progType]]) };
}

/** The objects an iterator visits, in the kernel's order: tasks by pid (one, for a tid/pid filter), maps and programs by id. */
function visited(task: SyscallContext, t: Extract<LinkRecord['target'], { kind: 'iter' }>): (TaskImpl | BpfObject)[] {
  const core = task.core;
  if (t.target === 'task') {
    const all = [...core.tasks.values()].filter((x) => x.alive).sort((a, b) => a.pid - b.pid);
    return t.task === undefined || t.task.type === 'ALL' ? all : all.filter((x) => x.pid === t.task?.pid);
  }
  const kind = t.target === 'bpf_map' ? 'map' : 'prog';
  const out: BpfObject[] = [];
  for (let id = core.objects.nextLiveId(kind, 1); id !== undefined; id = core.objects.nextLiveId(kind, id + 1)) {
    const o = core.objects.byId(kind, id);
    if (o !== undefined) out.push(o);
  }
  return out;
}

/**
 * Runs an iterator link's program as a read of its `bpf_iter` file does (`bpf_seq_read`
 * over the target's seq_ops): once per visited object with `{ meta, object }` as its
 * context, `meta->seq_num` counting them, then once more with a NULL object (the stop
 * call); what `bpf_seq_write`/`bpf_seq_printf` wrote is the file's content. Objects are
 * struct images in the VM's memory with the fields the simulated kernel has (a task's
 * pid, tgid and comm; a map's id, type, sizes, flags and name; a program's type) at the
 * kernel BTF's offsets, everything else zero. The seq_file never overflows (the kernel
 * grows its buffer and re-runs the object; here nothing needs re-running).
 */
export function runIterator(task: SyscallContext, link: LinkRecord): Uint8Array {
  const core = task.core;
  const t = link.target;
  if (t.kind !== 'iter') throw new BpfError('EINVAL', 'iter:not-an-iterator-link', 'not an iterator link');
  const { arena, helpers } = core.deps;
  const runnable = (link.prog.impl as ProgRecord).runnable;
  if (arena === undefined || helpers === undefined || runnable === undefined) {
    throw new BpfError('ENOTSUPP', 'kernel:no-engine', 'this kernel has no execution engine: iterator programs cannot run');
  }
  const btf = kernelBtfOf(core.objects.byId('btf', 1))?.view;
  const chunks: Uint8Array[] = [];
  const seq = arena.alloc(SEQ_FILE_SIZE);
  const meta = arena.alloc(META_SIZE);
  const ctx = arena.alloc(16);
  const session = (sessions.get(core) ?? 0n) + 1n;
  sessions.set(core, session);
  const services = {
    ...programServices(task, 0, link.prog),
    seqWrite: (s: number, bytes: Uint8Array): number => {
      if (s !== seq) return -Errno.EINVAL;
      chunks.push(bytes);
      return 0;
    },
  };
  const run = (objAddr: number, seqNum: number): void => {
    arena.view.setBigUint64(meta, BigInt(seq), true);
    arena.view.setBigUint64(meta + 8, session, true);
    arena.view.setBigUint64(meta + 16, BigInt(seqNum), true);
    arena.view.setBigUint64(ctx, BigInt(meta), true);
    arena.view.setBigUint64(ctx + 8, BigInt(objAddr), true);
    const out = runnable.loaded.run({ r1: ctx }, { arena, cpu: 0, helpers, services });
    if (out.kind === 'fault') throw new BpfError('EFAULT', 'iter:program-fault', `iterator program faulted: ${out.fault.kind} at insn ${out.fault.pc}`);
  };
  try {
    let n = 0;
    for (const o of visited(task, t)) {
      const img = imageOf(t.target, o);
      const l = layout(btf, img.struct);
      const addr = arena.alloc(Math.max(8, l?.size ?? 8));
      try {
        if (l !== undefined) img.fill(l.at)(arena.view, arena.bytes, addr);
        run(addr, n++);
      } finally {
        arena.free(addr);
      }
    }
    run(0, n);
  } finally {
    arena.free(ctx);
    arena.free(meta);
    arena.free(seq);
  }
  const total = chunks.reduce((a, c) => a + c.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
