/**
 * What a simulated kernel needs to behave as the one `../shared/corpus/verifier` was recorded on:
 * a 6.18.44 build from before upstream f597664454bd, where a callback-calling helper call is not a
 * loop of its own (no SCC, no backedge when its callback converges). Its records show it: every
 * `bpf_loop` case's `peak_states` counts no backedge, and `iter_limit_bug` processes 68
 * instructions where later builds process 74. Spread into `createDefaultKernel`'s options.
 *
 * @example
 * const kernel = createDefaultKernel({ ...CORPUS_KERNEL_OPTIONS, vmlinuxBtf: () => vmlinux });
 */
export const CORPUS_KERNEL_OPTIONS: { readonly verifier: { readonly callbackLoops: boolean } } = { verifier: { callbackLoops: false } };
