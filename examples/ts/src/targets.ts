import { readFileSync } from 'node:fs';
import { createDefaultKernel } from '@bpfkit/kernel/defaults';
import { createLinuxSyscall } from '@bpfkit/linux';
import type { Target } from './target.js';

/**
 * A fresh simulated kernel with `cpus` CPUs; the examples run as its init task.
 *
 * @example
 * runAll(simTarget(2));
 */
export function simTarget(cpus = 2): Target {
  return { host: createDefaultKernel({ cpus }).init, possibleCpus: cpus };
}

/**
 * The number of possible CPUs of this machine (`/sys/devices/system/cpu/possible`, e.g. `0-1`).
 *
 * @example
 * linuxPossibleCpus(); // 2
 */
export function linuxPossibleCpus(): number {
  const text = readFileSync('/sys/devices/system/cpu/possible', 'utf8').trim();
  let n = 0;
  for (const part of text.split(',')) {
    const [lo, hi] = part.split('-').map(Number);
    n += hi === undefined ? 1 : hi - (lo ?? 0) + 1;
  }
  return n;
}

/**
 * This machine's kernel (root needed), pinned to CPU 0 so per-CPU values land in slot 0, as in
 * the recorded kernel results. Throws when bpf() does not work here.
 *
 * @example
 * runAll(linuxTarget());
 */
export function linuxTarget(): Target {
  const sys = createLinuxSyscall();
  sys.pinCpu(0);
  return { host: sys, possibleCpus: linuxPossibleCpus() };
}
