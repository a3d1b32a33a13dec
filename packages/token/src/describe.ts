import type { UserNamespace } from '@bpfkit/kernel-api';
import { capName } from '@bpfkit/uapi';

/** `userns#2 (level 1, owner uid 100000)`. */
export function describeUserNs(ns: UserNamespace): string {
  return ns.parent === undefined ? `userns#${ns.id} (init)` : `userns#${ns.id} (level ${ns.level}, owner uid ${ns.owner})`;
}

export function capLabel(cap: number): string {
  return capName(cap) ?? `capability ${cap}`;
}

function isAncestorOrSelf(ancestor: UserNamespace, ns: UserNamespace): boolean {
  for (let n: UserNamespace | undefined = ns; n !== undefined; n = n.parent) if (n === ancestor) return true;
  return false;
}

/** How `ns` stands to `other`: `a descendant of`, `an ancestor of` or `unrelated to (a sibling branch of)`. */
export function relation(ns: UserNamespace, other: UserNamespace): string {
  if (isAncestorOrSelf(other, ns)) return 'a descendant of';
  if (isAncestorOrSelf(ns, other)) return 'an ancestor of';
  return 'a sibling branch of';
}
