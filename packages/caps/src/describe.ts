import type { UserNamespace } from '@bpfkit/kernel-api';
import { capName } from '@bpfkit/uapi';

/** `userns#2 (level 1, owner uid 100000)`, as traces print a namespace. */
export function describeUserNs(ns: UserNamespace): string {
  return ns.parent === undefined ? `userns#${ns.id} (init)` : `userns#${ns.id} (level ${ns.level}, owner uid ${ns.owner})`;
}

/** `CAP_BPF`, or `capability 99` for a number that names none. */
export function capLabel(cap: number): string {
  return capName(cap) ?? `capability ${cap}`;
}
