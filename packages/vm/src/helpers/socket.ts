import type { HelperDescriptor } from '@bpfkit/kernel-api';
import { defineHelper } from './define.js';
import { setR0 } from './regs.js';

/**
 * Socket lookups (`sk_lookup_tcp`, `sk_lookup_udp`, `skc_lookup_tcp`): the
 * simulated network namespace has no sockets, so every lookup finds none
 * (NULL), and `sk_release` has nothing to drop.
 *
 * @example
 * for (const h of socketHelpers()) registry.set(h.id, h);
 */
export function socketHelpers(): HelperDescriptor[] {
  const none = (name: string): HelperDescriptor => defineHelper(name, (c) => setR0(c, 0));
  return [none('sk_lookup_tcp'), none('sk_lookup_udp'), none('skc_lookup_tcp'), none('sk_release')];
}
