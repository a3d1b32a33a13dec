import type { HelperDescriptor } from '@bpfkit/kernel-api';
import { defineHelper } from './define.js';
import { checkMem } from './memory.js';
import { ptrArg, setR0 } from './regs.js';

/**
 * `bpf_spin_lock`/`bpf_spin_unlock`. Runs are sequential, so the lock never
 * contends; the word is set while held so that a map dump shows it as the
 * kernel's would (the syscall side skips it anyway).
 *
 * @example
 * for (const h of spinLockHelpers()) registry.set(h.id, h);
 */
export function spinLockHelpers(): HelperDescriptor[] {
  const set = (name: string, v: number): HelperDescriptor =>
    defineHelper(name, (c) => {
      const lock = ptrArg(c, 1, 'lock');
      checkMem(c, lock, 4, `bpf_${name}`);
      c.env.arena.view.setUint32(lock, v, true);
      setR0(c, 0);
    });
  return [set('spin_lock', 1), set('spin_unlock', 0)];
}
