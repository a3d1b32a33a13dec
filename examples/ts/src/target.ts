import { isBpfError } from '@bpfkit/kernel-api';
import type { LibbpfHost, RingBufferHost } from '@bpfkit/libbpf';

/**
 * Where an example runs: the process that makes the bpf() calls (a simulated `Task` or
 * `@bpfkit/linux`'s `LinuxSyscall`) and how many CPUs that kernel has (for per-CPU values).
 *
 * @example
 * const target: Target = { host: createDefaultKernel({ cpus: 2 }).init, possibleCpus: 2 };
 */
export interface Target {
  readonly host: LibbpfHost & RingBufferHost;
  readonly possibleCpus: number;
}

/**
 * A test run's outcome: the program's return value, or the errno name when bpf() refused.
 *
 * @example
 * const r: RunOutcome = { frame: 'ipv4_truncated', error: 'EINVAL' };
 */
export type RunOutcome<E extends object = object> = ({ readonly frame: string; readonly retval: number } & E) | { readonly frame: string; readonly error: string };

/**
 * Runs `fn`; a `BpfError` becomes `{ frame, error: code }`, anything else is rethrown.
 *
 * @example
 * outcome('udp_8080', () => ({ retval: prog.testRun({ dataIn }).retval }));
 */
export function outcome<E extends object>(frame: string, fn: () => { readonly retval: number } & E): RunOutcome<E> {
  try {
    return { frame, ...fn() };
  } catch (e) {
    if (isBpfError(e)) return { frame, error: e.code };
    throw e;
  }
}

/**
 * A u64 counter as a JSON number (the examples' counters stay far below 2^53).
 *
 * @example
 * count(3n); // 3
 */
export function count(v: bigint): number {
  return Number(v);
}
