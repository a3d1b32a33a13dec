import type { HelperCall, HelperDescriptor } from '@bpfkit/kernel-api';
import { defineKfunc } from './define.js';
import { possibleCpus } from './percpu.js';
import { argLo, ptrArg, setR0 } from './regs.js';
import { tryAlloc } from './memory.js';

// A `struct bpf_cpumask` in the arena: the mask's bits (as many as `NR_CPUS`, 8192, allows) and then
// its reference count. `struct cpumask *` arguments point at the bits, which start the object.
const MASK_BYTES = 1024;
const USAGE = MASK_BYTES;
const OBJ_BYTES = MASK_BYTES + 8;

function bitAt(c: HelperCall, mask: number, cpu: number): boolean {
  return ((c.env.arena.bytes[mask + (cpu >>> 3)] ?? 0) & (1 << (cpu & 7))) !== 0;
}

function setBit(c: HelperCall, mask: number, cpu: number, on: boolean): void {
  const at = mask + (cpu >>> 3);
  const bytes = c.env.arena.bytes;
  bytes[at] = on ? (bytes[at] ?? 0) | (1 << (cpu & 7)) : (bytes[at] ?? 0) & ~(1 << (cpu & 7));
}

/** The first of `nr_cpu_ids` CPUs `pick` accepts, or `nr_cpu_ids` when none does (`cpumask_first*`). */
function first(c: HelperCall, pick: (cpu: number) => boolean): number {
  const n = possibleCpus(c);
  for (let cpu = 0; cpu < n; cpu++) if (pick(cpu)) return cpu;
  return n;
}

function every(c: HelperCall, test: (cpu: number) => boolean): boolean {
  const n = possibleCpus(c);
  for (let cpu = 0; cpu < n; cpu++) if (!test(cpu)) return false;
  return true;
}

/** Sets each of `dst`'s `nr_cpu_ids` bits to `f(cpu)`; true when any is set. */
function fill(c: HelperCall, dst: number, f: (cpu: number) => boolean): boolean {
  let any = false;
  const n = possibleCpus(c);
  for (let cpu = 0; cpu < n; cpu++) {
    const on = f(cpu);
    setBit(c, dst, cpu, on);
    any ||= on;
  }
  return any;
}

/**
 * The cpumask kfuncs of kernel/bpf/cpumask.c over `nr_cpu_ids` CPUs: `bpf_cpumask_create` (an
 * empty mask, one reference; NULL when the arena is full), `acquire`/`release` (the last release
 * frees it), bit operations by CPU (a CPU past `nr_cpu_ids` is ignored or false), the set
 * operations and queries.
 *
 * @example
 * cpumaskKfuncs().map((k) => k.name); // ['bpf_cpumask_create', …]
 */
export function cpumaskKfuncs(): HelperDescriptor[] {
  const k = defineKfunc;
  const m = (c: HelperCall, i: number): number => ptrArg(c, i, 'cpumask');
  const cpuIn = (c: HelperCall, cpu: number): boolean => cpu >>> 0 < possibleCpus(c);
  const bitOp = (name: string, on: boolean): HelperDescriptor => k(name, (c) => {
    const cpu = argLo(c, 1);
    if (cpuIn(c, cpu)) setBit(c, m(c, 2), cpu, on);
    setR0(c, 0);
  });
  const testAnd = (name: string, on: boolean): HelperDescriptor => k(name, (c) => {
    const cpu = argLo(c, 1);
    if (!cpuIn(c, cpu)) return setR0(c, 0);
    const mask = m(c, 2);
    const was = bitAt(c, mask, cpu);
    setBit(c, mask, cpu, on);
    setR0(c, was ? 1 : 0);
  });
  const binary = (name: string, op: (a: boolean, b: boolean) => boolean): HelperDescriptor => k(name, (c) => {
    const dst = m(c, 1), a = m(c, 2), b = m(c, 3);
    setR0(c, fill(c, dst, (cpu) => op(bitAt(c, a, cpu), bitAt(c, b, cpu))) ? 1 : 0);
  });
  return [
    k('bpf_cpumask_create', (c) => {
      const obj = tryAlloc(c, OBJ_BYTES);
      if (obj !== 0) {
        c.env.arena.bytes.fill(0, obj, obj + OBJ_BYTES);
        c.env.arena.view.setUint32(obj + USAGE, 1, true);
      }
      setR0(c, obj);
    }),
    k('bpf_cpumask_acquire', (c) => {
      const obj = m(c, 1);
      c.env.arena.view.setUint32(obj + USAGE, c.env.arena.view.getUint32(obj + USAGE, true) + 1, true);
      setR0(c, obj);
    }),
    k('bpf_cpumask_release', (c) => {
      const obj = m(c, 1);
      const left = c.env.arena.view.getUint32(obj + USAGE, true) - 1;
      c.env.arena.view.setUint32(obj + USAGE, left, true);
      if (left === 0) c.env.arena.free(obj);
      setR0(c, 0);
    }),
    k('bpf_cpumask_first', (c) => setR0(c, first(c, (cpu) => bitAt(c, m(c, 1), cpu)))),
    k('bpf_cpumask_first_zero', (c) => setR0(c, first(c, (cpu) => !bitAt(c, m(c, 1), cpu)))),
    k('bpf_cpumask_first_and', (c) => setR0(c, first(c, (cpu) => bitAt(c, m(c, 1), cpu) && bitAt(c, m(c, 2), cpu)))),
    bitOp('bpf_cpumask_set_cpu', true),
    bitOp('bpf_cpumask_clear_cpu', false),
    k('bpf_cpumask_test_cpu', (c) => {
      const cpu = argLo(c, 1);
      setR0(c, cpuIn(c, cpu) && bitAt(c, m(c, 2), cpu) ? 1 : 0);
    }),
    testAnd('bpf_cpumask_test_and_set_cpu', true),
    testAnd('bpf_cpumask_test_and_clear_cpu', false),
    k('bpf_cpumask_setall', (c) => {
      fill(c, m(c, 1), () => true);
      setR0(c, 0);
    }),
    k('bpf_cpumask_clear', (c) => {
      fill(c, m(c, 1), () => false);
      setR0(c, 0);
    }),
    binary('bpf_cpumask_and', (a, b) => a && b),
    k('bpf_cpumask_or', (c) => {
      const dst = m(c, 1), a = m(c, 2), b = m(c, 3);
      fill(c, dst, (cpu) => bitAt(c, a, cpu) || bitAt(c, b, cpu));
      setR0(c, 0);
    }),
    k('bpf_cpumask_xor', (c) => {
      const dst = m(c, 1), a = m(c, 2), b = m(c, 3);
      fill(c, dst, (cpu) => bitAt(c, a, cpu) !== bitAt(c, b, cpu));
      setR0(c, 0);
    }),
    k('bpf_cpumask_equal', (c) => setR0(c, every(c, (cpu) => bitAt(c, m(c, 1), cpu) === bitAt(c, m(c, 2), cpu)) ? 1 : 0)),
    k('bpf_cpumask_intersects', (c) => setR0(c, first(c, (cpu) => bitAt(c, m(c, 1), cpu) && bitAt(c, m(c, 2), cpu)) < possibleCpus(c) ? 1 : 0)),
    k('bpf_cpumask_subset', (c) => setR0(c, every(c, (cpu) => !bitAt(c, m(c, 1), cpu) || bitAt(c, m(c, 2), cpu)) ? 1 : 0)),
    k('bpf_cpumask_empty', (c) => setR0(c, every(c, (cpu) => !bitAt(c, m(c, 1), cpu)) ? 1 : 0)),
    k('bpf_cpumask_full', (c) => setR0(c, every(c, (cpu) => bitAt(c, m(c, 1), cpu)) ? 1 : 0)),
    k('bpf_cpumask_copy', (c) => {
      const dst = m(c, 1), src = m(c, 2);
      fill(c, dst, (cpu) => bitAt(c, src, cpu));
      setR0(c, 0);
    }),
    k('bpf_cpumask_weight', (c) => {
      let n = 0;
      every(c, (cpu) => {
        if (bitAt(c, m(c, 1), cpu)) n++;
        return true;
      });
      setR0(c, n);
    }),
  ];
}
