import { BpfFuncIdEnumerators } from './enums.generated.js';

const PREFIX = 'BPF_FUNC_';
const nameById = new Map<number, string>();
const idByName = new Map<string, number>();
for (const [name, id] of BpfFuncIdEnumerators) {
  if (!name.startsWith(PREFIX) || name === 'BPF_FUNC_unspec') continue;
  const short = name.slice(PREFIX.length);
  nameById.set(id, short);
  idByName.set(short, id);
}

/** One past the last helper id of this kernel (`__BPF_FUNC_MAX_ID`). */
export const BPF_FUNC_MAX_ID = 212;

/**
 * The helper's name without the `bpf_` prefix, as in `BPF_FUNC_<name>`.
 *
 * @example
 * bpfFuncName(1); // 'map_lookup_elem' (the verifier log prints `call bpf_map_lookup_elem#1`)
 */
export function bpfFuncName(id: number): string | undefined {
  return nameById.get(id);
}

/**
 * The helper id for a name, with or without the `bpf_` prefix.
 *
 * @example
 * bpfFuncId('bpf_probe_read_kernel'); // 113
 */
export function bpfFuncId(name: string): number | undefined {
  return idByName.get(name.startsWith('bpf_') ? name.slice(4) : name);
}
