import type { DelegateKind, DelegateMasks, SuperBlock } from '@bpfkit/kernel-api';
import { DELEGATE_ENUMS, DELEGATE_KINDS } from './delegate-enums.js';
import { formatDelegateOption } from './delegate-option.js';
import { isMountOptions, toDelegateMasks } from './mount-opts.js';

/**
 * The delegation of a bpffs superblock, as BPF_TOKEN_CREATE copies it;
 * `undefined` for a superblock of another file system.
 *
 * @example
 * delegateMasksOf(sb)?.cmds; // 0x21n
 */
export function delegateMasksOf(sb: SuperBlock): DelegateMasks | undefined {
  return sb.fsType.name === 'bpf' && isMountOptions(sb.fsInfo) ? toDelegateMasks(sb.fsInfo) : undefined;
}

/**
 * The `delegate_*=` mount options that give exactly `masks` (within the known
 * bits), comma-separated as for mount(2) data, e.g. for `bpfkit token plan`.
 * Kinds with no known bit are left out.
 *
 * @example
 * delegateOptionString({ cmds: 0x21n, maps: 0x2n }); // 'delegate_cmds=map_create:prog_load,delegate_maps=hash'
 */
export function delegateOptionString(masks: Partial<Record<DelegateKind, bigint>>): string {
  const parts: string[] = [];
  for (const kind of DELEGATE_KINDS) {
    const text = formatDelegateOption(kind, masks[kind] ?? 0n);
    if (text !== undefined) parts.push(`${DELEGATE_ENUMS[kind].key}=${text}`);
  }
  return parts.join(',');
}
