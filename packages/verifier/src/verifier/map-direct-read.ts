import type { VerifierMap } from '@bpfkit/kernel-api';
import { Reject } from './log.js';
import { constScalar, unknownScalar, type RegState } from './state.js';

/**
 * `bpf_map_direct_read`: a load from a read-only, frozen array at a constant
 * offset is the value's bytes (little-endian, zero-extended; the caller narrows
 * or sign-extends as for any load). `at` and `size` are already checked to lie
 * inside the value. An array with more than one entry has no direct value
 * address: the load fails with ENOTSUPP and nothing logged.
 */
export function mapDirectRead(map: VerifierMap, at: number, size: number): RegState {
  const bytes = map.frozenValue;
  if (bytes === undefined || at < 0 || at + size > bytes.length) return unknownScalar;
  if (map.maxEntries !== 1) throw new Reject('ENOTSUPP', 'verifier:map-direct-read', 'map_direct_value_addr needs an array with one entry');
  if (size === 8) return constScalar((BigInt(u32(bytes, at + 4)) << 32n) | BigInt(u32(bytes, at)));
  let v = 0;
  for (let i = size - 1; i >= 0; i--) v = v * 256 + (bytes[at + i] ?? 0);
  return constScalar(BigInt(v));
}

function u32(b: Uint8Array, at: number): number {
  return ((b[at] ?? 0) | ((b[at + 1] ?? 0) << 8) | ((b[at + 2] ?? 0) << 16) | ((b[at + 3] ?? 0) << 24)) >>> 0;
}
