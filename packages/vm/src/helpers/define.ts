import type { HelperCall, HelperDescriptor } from '@bpfkit/kernel-api';
import { bpfFuncId } from '@bpfkit/uapi';

/**
 * A helper descriptor from its `BPF_FUNC_*` name (without `bpf_`) and body;
 * the id comes from `@bpfkit/uapi` so it can never disagree with the ABI.
 *
 * @example
 * const ktimeGetNs = defineHelper('ktime_get_ns', (c) => setR0Big(c, c.env.services.clock.nowNs()));
 */
export function defineHelper(name: string, call: (c: HelperCall) => void): HelperDescriptor {
  const id = bpfFuncId(name);
  if (id === undefined) throw new TypeError(`defineHelper: no BPF_FUNC_${name} in @bpfkit/uapi`);
  return { id, name, call };
}

/**
 * A kfunc descriptor: kfuncs have BTF ids, not helper ids, so `id` is 0 and
 * engines find them by name.
 *
 * @example
 * const destroy = defineKfunc('bpf_iter_num_destroy', (c) => {});
 */
export function defineKfunc(name: string, call: (c: HelperCall) => void): HelperDescriptor {
  return { id: 0, name, call };
}
