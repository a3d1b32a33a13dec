import { BpfError } from '@bpfkit/kernel-api';
import type { LibbpfHost } from './host.js';

/** Where the kernel lists its possible CPUs, as libbpf reads them. */
export const POSSIBLE_CPUS_PATH = '/sys/devices/system/cpu/possible';

/**
 * Counts the CPUs of a kernel CPU list (`0-3,8,10-11` → 7), the format of
 * {@link POSSIBLE_CPUS_PATH}. A malformed list is EINVAL.
 *
 * @example
 * parseCpuList('0-1\n'); // 2
 */
export function parseCpuList(text: string): number {
  const list = text.trim();
  let n = 0;
  for (const part of list.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    const first = Number(m?.[1]);
    const last = m?.[2] === undefined ? first : Number(m[2]);
    if (m === null || last < first) throw new BpfError('EINVAL', 'libbpf:cpu-list', `'${list}' is not a CPU list`);
    n += last - first + 1;
  }
  return n;
}

/**
 * `libbpf_num_possible_cpus()`: the host's possible CPUs, read once from
 * {@link POSSIBLE_CPUS_PATH}. A host that cannot read files is EOPNOTSUPP:
 * pass `possibleCpus` to `BpfObject.open` there.
 *
 * @example
 * possibleCpusOf(createDefaultKernel({ cpus: 4 }).init); // 4
 */
export function possibleCpusOf(host: LibbpfHost): number {
  if (host.readFile === undefined) {
    throw new BpfError('EOPNOTSUPP', 'libbpf:possible-cpus', `this host cannot read ${POSSIBLE_CPUS_PATH}: pass possibleCpus`);
  }
  return parseCpuList(host.readFile(POSSIBLE_CPUS_PATH));
}
