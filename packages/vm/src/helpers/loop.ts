import type { HelperDescriptor } from '@bpfkit/kernel-api';
import { Errno } from '@bpfkit/uapi';
import { defineHelper } from './define.js';
import { argLo, argZero, setR0 } from './regs.js';

/** `BPF_MAX_LOOPS`: the most iterations `bpf_loop` and the numeric iterator allow. */
export const BPF_MAX_LOOPS = 1 << 23;

/**
 * `bpf_loop(nr_loops, callback_fn, callback_ctx, flags)`: flags must be 0
 * (-EINVAL), `nr_loops` at most {@link BPF_MAX_LOOPS} (-E2BIG); the callback
 * gets (i, ctx) and stops the loop by returning non-zero. r0 is the number of
 * callbacks made.
 *
 * @example
 * registry.get(BpfFuncId.loop)
 */
export const loopHelper: HelperDescriptor = defineHelper('loop', (c) => {
  if (!argZero(c, 4)) return setR0(c, -Errno.EINVAL);
  const nr = argLo(c, 1);
  if (nr > BPF_MAX_LOOPS) return setR0(c, -Errno.E2BIG);
  const fn = argLo(c, 2);
  const ctx = argLo(c, 3);
  for (let i = 0; i < nr; i++) {
    if (c.env.callback(fn, i, ctx, 0, 0, 0) !== 0n) return setR0(c, i + 1);
  }
  setR0(c, nr);
});
