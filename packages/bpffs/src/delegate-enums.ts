import type { DelegateKind } from '@bpfkit/kernel-api';
import { bpfAttachTypeTable, bpfCmdTable, bpfMapTypeTable, bpfProgTypeTable, type BpfEnumTable } from '@bpfkit/uapi';

/** The enum behind one `delegate_*` option, as bpffs reads it from vmlinux BTF. */
export interface DelegateEnum {
  readonly kind: DelegateKind;
  /** The mount option key, e.g. `delegate_maps`. */
  readonly key: `delegate_${DelegateKind}`;
  readonly table: BpfEnumTable;
  /** Every bit a known enumerator can name: `(1 << __MAX_*) - 1`. */
  readonly knownMask: bigint;
  /** Prefixless, ASCII-lower-case names in BTF order, aliases included, with their values. */
  readonly names: readonly (readonly [string, number])[];
  /** Name → value; the first enumerator in BTF order wins, as the kernel's linear scan does. */
  readonly byName: ReadonlyMap<string, number>;
}

/** ASCII-only lower-casing, as `strcasecmp`/`tolower` do in the kernel (no Unicode folding). */
export function asciiLower(s: string): string {
  return s.replace(/[A-Z]/g, (c) => String.fromCharCode(c.charCodeAt(0) | 0x20));
}

function build(kind: DelegateKind, table: BpfEnumTable): DelegateEnum {
  const prefix = asciiLower(table.prefix);
  const names: (readonly [string, number])[] = [];
  const byName = new Map<string, number>();
  for (const [name, value] of table.enumerators) {
    const lower = asciiLower(name);
    // Only enumerators spelled with the prefix count; this drops the __MAX_* sentinel.
    if (!lower.startsWith(prefix)) continue;
    const short = lower.slice(prefix.length);
    names.push([short, value]);
    if (!byName.has(short)) byName.set(short, value);
  }
  return {
    kind,
    key: `delegate_${kind}`,
    table,
    knownMask: (1n << BigInt(table.max)) - 1n,
    names,
    byName,
  };
}

/** The four delegate enums of Linux 6.18: cmds → `bpf_cmd`, maps → `bpf_map_type`, progs → `bpf_prog_type`, attachs → `bpf_attach_type`. */
export const DELEGATE_ENUMS: Readonly<Record<DelegateKind, DelegateEnum>> = Object.freeze({
  cmds: build('cmds', bpfCmdTable),
  maps: build('maps', bpfMapTypeTable),
  progs: build('progs', bpfProgTypeTable),
  attachs: build('attachs', bpfAttachTypeTable),
});

/** The kinds in the order show_options prints them. */
export const DELEGATE_KINDS: readonly DelegateKind[] = ['cmds', 'maps', 'progs', 'attachs'];
