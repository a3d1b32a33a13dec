import type { Btf } from '@bpfkit/btf';
import { applyCoreRelocations, type CoreReloResult } from '../core/index.js';

/** One CO-RE relocation of an assembled program (`insn` is a slot in its code). */
export interface CoreReloInput {
  readonly insn: number;
  readonly typeId: number;
  readonly accessStr: string;
  readonly kind: number;
}

/** What the CO-RE step reports for a program. */
export interface CoreStepResult {
  readonly log: readonly string[];
  readonly results: readonly CoreReloResult[];
}

/**
 * Applies a program's CO-RE relocations in place through `src/core` (libbpf
 * `bpf_object__relocate_core`): failed ones poison their instruction, as libbpf does.
 *
 * @example
 * applyCore(code, relos, objBtf, vmlinux, 'handle_exec').log;
 */
export function applyCore(code: Uint8Array, relos: readonly CoreReloInput[], local: Btf, target: Btf, progName: string): CoreStepResult {
  if (relos.length === 0) return { log: [], results: [] };
  const results = applyCoreRelocations(code, relos, local, target, progName);
  return { log: results.flatMap((r) => r.log), results };
}
