import type { IdMapExtent, UserNamespace } from '@bpfkit/kernel-api';

/** The mutable namespace behind the read-only {@link UserNamespace} view. */
export class UserNamespaceNode implements UserNamespace {
  uidMap: readonly IdMapExtent[] = [];
  gidMap: readonly IdMapExtent[] = [];
  setgroups: 'allow' | 'deny';
  readonly level: number;

  constructor(
    readonly id: number,
    readonly parent: UserNamespaceNode | undefined,
    readonly owner: number,
    readonly group: number,
    /** Whether the creator had CAP_SETFCAP effective (`parent_could_setfcap`): a self-written map of root needs it. */
    readonly parentCouldSetfcap: boolean,
  ) {
    // A child starts with its parent's setgroups policy.
    this.setgroups = parent?.setgroups ?? 'allow';
    this.level = parent === undefined ? 0 : parent.level + 1;
  }
}
