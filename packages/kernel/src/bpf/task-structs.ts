import type { KernelCore } from '../core.js';
import { vmlinuxView } from './struct-ops.js';

/** `TASK_COMM_LEN`. */
const TASK_COMM_LEN = 16;

/**
 * The `task_struct` of task `pid` in the VM arena, made on first use: zeroed, with its `pid`,
 * `tgid` and `comm` where the kernel's BTF puts them (the rest of the task is not modelled and
 * reads as 0). 0 when there is no such task, no BTF `task_struct` or no arena. The image lives
 * until the task exits.
 *
 * @example
 * const task = taskStructOf(core, 1); // what bpf_get_current_task_btf() gives init's programs
 */
export function taskStructOf(core: KernelCore, pid: number, comm: string): number {
  const known = core.taskStructs.get(pid);
  if (known !== undefined) return known;
  const arena = core.deps.arena;
  const btf = vmlinuxView(core);
  const id = btf?.findAll('task_struct', 'STRUCT')[0];
  const t = id === undefined ? undefined : btf?.type(id);
  if (arena === undefined || t?.size === undefined || !core.tasks.has(pid)) return 0;
  const addr = arena.alloc(t.size, 8);
  arena.bytes.fill(0, addr, addr + t.size);
  const at = (name: string): number | undefined => {
    const m = t.members?.find((x) => x.name === name);
    return m === undefined ? undefined : addr + Math.floor(m.bitsOffset / 8);
  };
  const pidAt = at('pid');
  const tgidAt = at('tgid');
  const commAt = at('comm');
  if (pidAt !== undefined) arena.view.setInt32(pidAt, pid, true);
  if (tgidAt !== undefined) arena.view.setInt32(tgidAt, pid, true);
  if (commAt !== undefined) arena.bytes.set(new TextEncoder().encode(comm).subarray(0, TASK_COMM_LEN - 1), commAt);
  core.taskStructs.set(pid, addr);
  return addr;
}

/** Frees task `pid`'s `task_struct` image, if it has one (at exit). */
export function freeTaskStruct(core: KernelCore, pid: number): void {
  const addr = core.taskStructs.get(pid);
  if (addr === undefined) return;
  core.taskStructs.delete(pid);
  core.deps.arena?.free(addr);
}
