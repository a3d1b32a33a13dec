import type { HelperDescriptor } from '@bpfkit/kernel-api';
import { Errno } from '@bpfkit/uapi';
import { defineKfunc } from './define.js';
import { BPF_MAX_LOOPS } from './loop.js';
import { checkMem } from './memory.js';
import { argS32, ptrArg, setR0 } from './regs.js';

// struct bpf_iter_num_kern { int cur; int end; }: 8 opaque bytes on the program's stack.
const CUR = 0;
const END = 4;

/**
 * The open-coded numeric iterator kfuncs: `bpf_iter_num_new(it, start, end)`
 * (-EINVAL for start > end, -E2BIG for more than `BPF_MAX_LOOPS` values; the
 * iterator is then empty), `bpf_iter_num_next(it)` (a pointer to the current
 * value, or NULL when done) and `bpf_iter_num_destroy(it)`.
 *
 * @example
 * const next = iterNumKfuncs().find((k) => k.name === 'bpf_iter_num_next');
 */
export function iterNumKfuncs(): HelperDescriptor[] {
  return [
    defineKfunc('bpf_iter_num_new', (c) => {
      const it = ptrArg(c, 1, 'it');
      checkMem(c, it, 8, 'bpf_iter_num_new it');
      const v = c.env.arena.view;
      const start = argS32(c, 2);
      const end = argS32(c, 3);
      if (start > end || end - start > BPF_MAX_LOOPS) {
        v.setInt32(it + CUR, 0, true);
        v.setInt32(it + END, 0, true);
        return setR0(c, start > end ? -Errno.EINVAL : -Errno.E2BIG);
      }
      v.setInt32(it + CUR, start - 1, true);
      v.setInt32(it + END, end, true);
      setR0(c, 0);
    }),
    defineKfunc('bpf_iter_num_next', (c) => {
      const it = ptrArg(c, 1, 'it');
      checkMem(c, it, 8, 'bpf_iter_num_next it');
      const v = c.env.arena.view;
      const cur = v.getInt32(it + CUR, true);
      if (((cur + 1) | 0) >= v.getInt32(it + END, true)) {
        v.setInt32(it + CUR, 0, true);
        v.setInt32(it + END, 0, true);
        return setR0(c, 0);
      }
      v.setInt32(it + CUR, (cur + 1) | 0, true);
      setR0(c, it + CUR);
    }),
    defineKfunc('bpf_iter_num_destroy', (c) => {
      const it = ptrArg(c, 1, 'it');
      checkMem(c, it, 8, 'bpf_iter_num_destroy it');
      c.env.arena.view.setInt32(it + CUR, 0, true);
      c.env.arena.view.setInt32(it + END, 0, true);
      setR0(c, 0);
    }),
  ];
}
