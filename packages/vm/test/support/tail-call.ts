import type { BpfMap, LoadedProgram, RunnableProgram } from '@bpfkit/kernel-api';

/**
 * A prog array as `bpf_tail_call` sees it: an address, `max_entries`, and
 * slots holding programs. Only what the engine's tail call reads is real.
 */
export function fakeProgArray(address: number, maxEntries: number, slots: (LoadedProgram | undefined)[]): BpfMap {
  const at = (i: number): { id: number; target: RunnableProgram; put(): void } | undefined => {
    const loaded = slots[i];
    if (loaded === undefined) return undefined;
    return { id: i + 1, target: { id: i + 1, progType: 0, expectedAttachType: 0, loaded }, put: () => undefined };
  };
  const map: Partial<BpfMap> = {
    info: { mapType: 3, keySize: 4, valueSize: 4, maxEntries, mapFlags: 0, isMapInMap: false },
    address,
    slots: { at },
  };
  return map as BpfMap;
}
