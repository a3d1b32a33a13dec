import type { HelperDescriptor } from '@bpfkit/kernel-api';
import { defineHelper } from './define.js';
import { argLo, ptrArg } from './regs.js';

/**
 * `bpf_tail_call(ctx, prog_array, index)`: the engine runs the target in
 * place of the caller. When there is nothing to run (empty slot, index out
 * of range, 33 calls spent) the caller just goes on with r0 untouched, as the
 * kernel's interpreter and JITs do.
 *
 * @example
 * registry.get(12) // tail_call
 */
export const tailCallHelper: HelperDescriptor = defineHelper('tail_call', (c) => {
  c.env.tailCall(ptrArg(c, 2, 'prog_array'), argLo(c, 3));
});
