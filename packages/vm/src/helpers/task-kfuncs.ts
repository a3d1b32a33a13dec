import type { HelperCall, HelperDescriptor } from '@bpfkit/kernel-api';
import { defineHelper, defineKfunc } from './define.js';
import { argLo, ptrArg, setR0 } from './regs.js';

/**
 * `bpf_get_current_task_btf` and the task and cgroup kfuncs of kernel/bpf/helpers.c, on the
 * kernel's `task_struct`s (`services.kernelObjects`): `bpf_task_from_pid` finds a task (NULL when
 * none), `bpf_task_acquire` takes another reference to a live one (the object stays while its
 * task lives, so a reference changes nothing here), `bpf_task_release` drops one. The simulated
 * kernel has no cgroup hierarchy: `bpf_cgroup_from_id` finds no cgroup for any id.
 *
 * @example
 * taskKfuncs().map((k) => k.name); // ['bpf_task_from_pid', …]
 */
export function taskKfuncs(): HelperDescriptor[] {
  const same = (name: string): HelperDescriptor => defineKfunc(name, (c) => setR0(c, ptrArg(c, 1, 'p')));
  const none = (name: string): HelperDescriptor => defineKfunc(name, (c) => {
    ptrArg(c, 1, 'p');
    setR0(c, 0);
  });
  return [
    defineKfunc('bpf_task_from_pid', (c) => setR0(c, c.env.services.kernelObjects?.taskByPid(argLo(c, 1) | 0) ?? 0)),
    same('bpf_task_acquire'),
    none('bpf_task_release'),
    defineKfunc('bpf_cgroup_from_id', (c: HelperCall) => setR0(c, 0)),
    same('bpf_cgroup_acquire'),
    none('bpf_cgroup_release'),
  ];
}

/** `bpf_get_current_task_btf`: the current task's `task_struct` (NULL in a kernel without one). */
export const currentTaskBtfHelper: HelperDescriptor = defineHelper('get_current_task_btf', (c) =>
  setR0(c, c.env.services.kernelObjects?.currentTask() ?? 0));
