import { readFileSync } from 'node:fs';
import { POSSIBLE_CPUS_PATH, parseCpuList, possibleCpusOf, type LibbpfHost } from '@bpfkit/libbpf';
import { createDefaultKernel } from '@bpfkit/kernel/defaults';

/** Which kernel an object runs on. */
export type KernelChoice = 'sim' | 'linux';

/** A host to run an object on, and how to let it go. */
export interface KernelHost {
  readonly kernel: KernelChoice;
  readonly host: LibbpfHost;
  readonly possibleCpus: number;
  release(): void;
}

/** `num_possible_cpus()` of this machine, from `/sys/devices/system/cpu/possible` (`0-1` → 2); undefined where there is none. */
export function hostPossibleCpus(): number | undefined {
  try {
    return parseCpuList(readFileSync(POSSIBLE_CPUS_PATH, 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * The simulated kernel (root in the initial namespaces, `cpus` possible CPUs)
 * or the real one through `@bpfkit/linux` (loaded only when asked for, so the
 * CLI starts without the native bridge).
 *
 * @example
 * const k = await openKernel('sim', { cpus: 2 });
 */
export async function openKernel(kernel: KernelChoice, opts: { readonly cpus: number; readonly engine?: 'interp' | 'wasm' }): Promise<KernelHost> {
  if (kernel === 'sim') {
    const k = createDefaultKernel({ cpus: opts.cpus, ...(opts.engine === undefined ? {} : { engine: opts.engine }) });
    return { kernel, host: k.init, possibleCpus: opts.cpus, release: () => undefined };
  }
  const { createLinuxSyscall } = await import('@bpfkit/linux');
  const sys = createLinuxSyscall();
  // Test runs of packet programs run on the caller's CPU; the format says CPU 0.
  sys.pinCpu(0);
  return { kernel, host: sys, possibleCpus: possibleCpusOf(sys), release: () => {
    sys.pinCpu(-1);
  } };
}
