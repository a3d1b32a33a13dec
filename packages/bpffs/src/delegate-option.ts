import { BpfError, type DelegateKind } from '@bpfkit/kernel-api';
import { asciiLower, DELEGATE_ENUMS } from './delegate-enums.js';
import { kstrtoull } from './kstrtox.js';

const ALL_BITS = (1n << 64n) - 1n;

/**
 * Parses one `delegate_<kind>` value the way bpffs does and ORs it into `prev`.
 * The value is split on `:`; each element is `any` (all 64 bits; case-sensitive),
 * a case-insensitive enumerator name without its prefix (aliases work), or a u64
 * (`0x`/`0`/decimal) that **replaces** what the earlier elements of this value
 * built (`hash:0x4` is 0x4, `0x4:hash` is 0x6). Anything else, including an
 * empty element, is EINVAL; a number past 64 bits is ERANGE. Unknown bits are kept.
 *
 * @example
 * parseDelegateOption('maps', 'hash:array'); // 0x6n
 * parseDelegateOption('cmds', 'prog_load', 0x1n); // 0x21n
 */
export function parseDelegateOption(kind: DelegateKind, value: string, prev = 0n): bigint {
  const e = DELEGATE_ENUMS[kind];
  let mask = 0n;
  for (const element of value.split(':')) {
    if (element === 'any') {
      mask = ALL_BITS;
      continue;
    }
    const named = e.byName.get(asciiLower(element));
    if (named !== undefined) {
      mask |= 1n << BigInt(named);
      continue;
    }
    const num = kstrtoull(element, 0);
    if (!num.ok) {
      throw new BpfError(
        num.errno,
        num.errno === 'ERANGE' ? 'bpffs:delegate-number-range' : 'bpffs:delegate-bad-value',
        num.errno === 'ERANGE'
          ? `${e.key}: '${element}' does not fit in 64 bits`
          : `${e.key}: '${element}' is not 'any', a ${e.table.enumName} name without '${e.table.prefix}', or a number`,
      );
    }
    // The kernel parses the number straight into the accumulator: it replaces, not ORs.
    mask = num.value;
  }
  return prev | mask;
}

/**
 * The text bpffs shows for a delegate mask (after `delegate_<kind>=`), or
 * `undefined` when nothing is shown. Bits past `__MAX_*` are dropped first;
 * all known bits read `any`; otherwise the lower-case prefixless names in BTF
 * order (only the first enumerator of an aliased value), then any leftover bits
 * as `0x..`, joined by `:`.
 *
 * @example
 * formatDelegateOption('cmds', 0x21n); // 'map_create:prog_load'
 * formatDelegateOption('cmds', 1n << 63n); // undefined (unknown bits are hidden)
 */
export function formatDelegateOption(kind: DelegateKind, mask: bigint): string | undefined {
  const e = DELEGATE_ENUMS[kind];
  let left = BigInt.asUintN(64, mask) & e.knownMask;
  if (left === 0n) return undefined;
  if (left === e.knownMask) return 'any';
  const parts: string[] = [];
  for (const [name, value] of e.names) {
    const bit = 1n << BigInt(value);
    if ((left & bit) === 0n) continue;
    parts.push(name);
    left &= ~bit;
  }
  if (left !== 0n) parts.push(`0x${left.toString(16)}`);
  return parts.join(':');
}
