import type { Btf } from '@bpfkit/btf';
import { BpfError } from '@bpfkit/kernel-api';

/** One CO-RE relocation of an assembled program (`insn` is a slot in its code). */
export interface CoreReloInput {
  readonly insn: number;
  readonly typeId: number;
  readonly accessStr: string;
  readonly kind: number;
}

/** What the CO-RE step reports per relocation. */
export interface CoreStepResult {
  readonly log: readonly string[];
}

/**
 * Applies CO-RE relocations through `src/core` (owned separately). Until that module
 * lands, an object with CO-RE relocations fails with EOPNOTSUPP.
 *
 * @example
 * applyCore(code, relos, objBtf, vmlinux, 'handle_exec');
 */
export function applyCore(code: Uint8Array, relos: readonly CoreReloInput[], local: Btf, target: Btf, progName: string): CoreStepResult {
  void code;
  void local;
  void target;
  if (relos.length === 0) return { log: [] };
  throw new BpfError('EOPNOTSUPP', 'libbpf:core-unavailable', `prog '${progName}': ${String(relos.length)} CO-RE relocations, and CO-RE relocation is not available yet`);
}
