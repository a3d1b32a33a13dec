import { BpfError } from '@bpfkit/kernel-api';
import { CAP_FULL_SET, capName, capsInMask } from '@bpfkit/uapi';

/**
 * A capability mask as the corpus's `whoami` prints capget's result: `0x`
 * and lower-case hex without padding (`0x1ffffffffff`, `0x0`). For the
 * `/proc/<pid>/status` form (`000001ffffffffff`) use `formatCapMask` of `@bpfkit/uapi`.
 *
 * @example
 * formatCapgetMask(CAP_FULL_SET); // '0x1ffffffffff'
 */
export function formatCapgetMask(mask: bigint): string {
  return `0x${BigInt.asUintN(64, mask).toString(16)}`;
}

/**
 * The names of the capabilities in a mask, `CAP_` prefixed, ascending; bits
 * above CAP_LAST_CAP print as numbers. `=ep`-style shorthands are not used.
 *
 * @example
 * capNamesInMask(0xc000000000n); // ['CAP_PERFMON', 'CAP_BPF']
 */
export function capNamesInMask(mask: bigint): string[] {
  return capsInMask(mask).map((cap) => capName(cap) ?? String(cap));
}

/**
 * Parses a mask written as `0x…` hex, decimal, or capability names joined by
 * `,` (`CAP_BPF,perfmon`); `full` is every capability. EINVAL otherwise.
 *
 * @example
 * parseCapSet('bpf,perfmon'); // 0xc000000000n
 */
export function parseCapSet(text: string): bigint {
  const t = text.trim();
  if (t === '') return 0n;
  if (t === 'full') return CAP_FULL_SET;
  if (/^0x[0-9a-f]{1,16}$/i.test(t)) return BigInt(t);
  if (/^[0-9]{1,20}$/.test(t) && BigInt(t) < 1n << 64n) return BigInt(t);
  let mask = 0n;
  for (const part of t.split(',')) {
    const upper = part.trim().toUpperCase();
    const key = upper.startsWith('CAP_') ? upper : `CAP_${upper}`;
    const cap = capsInMask(CAP_FULL_SET).find((c) => capName(c) === key);
    if (cap === undefined) throw new BpfError('EINVAL', 'caps:unknown-capability', `'${part}' is not a capability name`);
    mask |= 1n << BigInt(cap);
  }
  return mask;
}
