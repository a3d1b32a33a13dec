import type { HelperCall, HelperDescriptor } from '@bpfkit/kernel-api';
import { defineHelper } from './define.js';
import { checkMem } from './memory.js';
import { argLo, ptrArg, setR0, setR0Words } from './regs.js';

/**
 * Bytes of one CPU's copy of a per-CPU object: `bpf_percpu_obj_new` takes types of at most
 * `BPF_GLOBAL_PERCPU_MA_MAX_SIZE` (512) bytes, so copy `cpu` of the object at `p` is at `p + 512 * cpu`.
 */
export const PERCPU_STRIDE = 512;

/** `nr_cpu_ids` of the run. */
export function possibleCpus(c: HelperCall): number {
  return Math.max(1, c.env.services.possibleCpus ?? 1);
}

/**
 * `bpf_kptr_xchg` (stores a pointer in a map value's kptr and returns the one it held, NULL when
 * empty), `bpf_this_cpu_ptr` and `bpf_per_cpu_ptr` (the running CPU's, or the given CPU's, copy of a
 * per-CPU object; NULL past `nr_cpu_ids`).
 *
 * @example
 * for (const h of percpuHelpers()) registry.set(h.id, h);
 */
export function percpuHelpers(): HelperDescriptor[] {
  return [
    defineHelper('kptr_xchg', (c) => {
      const dst = ptrArg(c, 1, 'dst');
      checkMem(c, dst, 8, 'bpf_kptr_xchg dst');
      const view = c.env.arena.view;
      const lo = view.getUint32(dst, true);
      const hi = view.getUint32(dst + 4, true);
      view.setUint32(dst, argLo(c, 2), true);
      view.setUint32(dst + 4, c.regs[5] ?? 0, true);
      setR0Words(c, lo, hi);
    }),
    defineHelper('this_cpu_ptr', (c) => setR0(c, ptrArg(c, 1, 'percpu_ptr') + PERCPU_STRIDE * c.env.cpu)),
    defineHelper('per_cpu_ptr', (c) => {
      const p = ptrArg(c, 1, 'percpu_ptr');
      const cpu = argLo(c, 2);
      setR0(c, cpu >= possibleCpus(c) ? 0 : p + PERCPU_STRIDE * cpu);
    }),
  ];
}
