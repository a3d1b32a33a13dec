import type { BtfView, ProgTypeRegistry, Verifier, VerifierProgBtf, VerifierResult, VerifierUserRecords } from '@bpfkit/kernel-api';

/**
 * A verifier that accepts every program (a test overrides `verify` to reject).
 *
 * @example
 * const v = makeNoopVerifier(); v.verify(req).stats.insnProcessed; // 0
 */
export function makeNoopVerifier(partial: Partial<Verifier> = {}): Verifier {
  const accepted: VerifierResult = {
    log: '', logTrueSize: 0, stackDepth: 0,
    stats: { insnProcessed: 0, maxStatesPerInsn: 0, totalStates: 0, peakStates: 0, markRead: 0 },
  };
  return { verify: () => accepted, ...partial };
}

/** A registry with no program types (every type unknown), unless overridden. */
export function makeNoopProgTypes(partial: Partial<ProgTypeRegistry> = {}): ProgTypeRegistry {
  return { get: () => undefined, all: () => [], ...partial };
}

/**
 * Records in a buffer, as `attr->func_info` or `attr->line_info` would point to them: reads
 * past the buffer fault (EFAULT); a rec size written back is kept in `writtenRecSize`.
 *
 * @example
 * const recs = userRecords(bytes, 8); recs.read(0, 8); // the first record
 */
export function userRecords(bytes: Uint8Array, recSize: number, count = recSize === 0 ? 0 : Math.floor(bytes.length / recSize)): VerifierUserRecords & { writtenRecSize?: number } {
  const recs: VerifierUserRecords & { writtenRecSize?: number } = {
    count,
    recSize,
    read: (offset, length) => (offset + length <= bytes.length ? bytes.slice(offset, offset + length) : undefined),
    putRecSize(size) {
      recs.writtenRecSize = size;
      return true;
    },
  };
  return recs;
}

/** `struct bpf_func_info` records (insn_off, type_id), 8 bytes each. */
export function funcInfoBytes(funcs: readonly { readonly insnOff: number; readonly typeId: number }[]): Uint8Array {
  const out = new Uint8Array(funcs.length * 8);
  const dv = new DataView(out.buffer);
  funcs.forEach((f, i) => {
    dv.setUint32(i * 8, f.insnOff, true);
    dv.setUint32(i * 8 + 4, f.typeId, true);
  });
  return out;
}

/**
 * A request's `progBtf`: program BTF with func_info records for `funcs` and no line_info.
 *
 * @example
 * const req = { ...base, progBtf: progBtfWith(btf, [{ insnOff: 0, typeId: 3 }]) };
 */
export function progBtfWith(btf: BtfView, funcs: readonly { readonly insnOff: number; readonly typeId: number }[]): VerifierProgBtf {
  return { btfFd: { btf, isKernel: false }, funcInfo: userRecords(funcInfoBytes(funcs), 8), lineInfo: userRecords(new Uint8Array(0), 16) };
}
