import { delegateOptionString, formatDelegateOption, DELEGATE_ENUMS, DELEGATE_KINDS } from '@bpfkit/bpffs';
import type { DelegateKind } from '@bpfkit/kernel-api';
import { bpfAttachTypeTable, bpfCmdTable, bpfMapTypeTable, bpfProgTypeTable, enumName, enumValue, type BpfEnumTable } from '@bpfkit/uapi';

type Masks = Readonly<Record<DelegateKind, bigint>>;

const TABLES: Readonly<Record<DelegateKind, BpfEnumTable>> = {
  cmds: bpfCmdTable,
  maps: bpfMapTypeTable,
  progs: bpfProgTypeTable,
  attachs: bpfAttachTypeTable,
};

/** Values of one mask as names, in enum order (`any` when every known bit is set). */
function names(kind: DelegateKind, mask: bigint): string[] | undefined {
  const text = formatDelegateOption(kind, mask);
  return text === undefined ? undefined : text.split(':');
}

/** mount(2) data / fsconfig strings, e.g. `delegate_cmds=map_create:prog_load,delegate_maps=hash`. */
export function mountOptions(masks: Masks): string {
  return delegateOptionString(masks);
}

/** Incus instance keys (`security.bpffs.delegate_*`, comma-separated values). */
export function incusKeys(masks: Masks): string[] {
  return DELEGATE_KINDS.flatMap((kind) => {
    const list = names(kind, masks[kind]);
    return list === undefined ? [] : [`security.bpffs.${DELEGATE_ENUMS[kind].key}=${list.join(',')}`];
  });
}

const LXD_KEYS: Readonly<Record<DelegateKind, string>> = {
  cmds: 'cmd_types',
  maps: 'map_types',
  progs: 'prog_types',
  attachs: 'attach_types',
};

/** LXD instance keys (`security.delegate_bpf=true` and `security.delegate_bpf.*_types`, values as the kernel takes them). */
export function lxdKeys(masks: Masks): string[] {
  const keys = DELEGATE_KINDS.flatMap((kind) => {
    const text = formatDelegateOption(kind, masks[kind]);
    return text === undefined ? [] : [`security.delegate_bpf.${LXD_KEYS[kind]}=${text}`];
  });
  return keys.length === 0 ? [] : ['security.delegate_bpf=true', ...keys];
}

const SYSTEMD_KEYS: Readonly<Record<DelegateKind, string>> = {
  cmds: 'BPFDelegateCommands',
  maps: 'BPFDelegateMaps',
  progs: 'BPFDelegatePrograms',
  attachs: 'BPFDelegateAttachments',
};

/** `BPF_MAP_TYPE_LRU_HASH` → `BPFMapTypeLruHash`, the spelling systemd's BPFDelegate*= settings use. */
export function systemdName(enumerator: string): string {
  const words = enumerator.replace(/^BPF_/, '').split('_');
  return `BPF${words.map((w) => w.charAt(0) + w.slice(1).toLowerCase()).join('')}`;
}

/** systemd unit settings (v258+): `PrivateBPF=yes` with `BPFDelegate*=` lists. */
export function systemdSettings(masks: Masks): string[] {
  const lines = DELEGATE_KINDS.flatMap((kind) => {
    const list = names(kind, masks[kind]);
    if (list === undefined) return [];
    if (list.length === 1 && list[0] === 'any') return [`${SYSTEMD_KEYS[kind]}=any`];
    const table = TABLES[kind];
    const values = list.map((short) => {
      const value = enumValue(table, short);
      const full = value === undefined ? undefined : enumName(table, value);
      return full === undefined ? short : systemdName(full);
    });
    return [`${SYSTEMD_KEYS[kind]}=${values.join(',')}`];
  });
  // A token cannot be created in the initial user namespace, so the unit needs its own.
  return lines.length === 0 ? [] : ['PrivateBPF=yes', 'PrivateUsers=yes', ...lines];
}
