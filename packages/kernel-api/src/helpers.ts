import type { VmMemory } from './engine.js';

/** What a helper sees when a program calls it. */
export interface HelperContext {
  readonly memory: VmMemory;
  /** The CPU the program runs on (`bpf_get_smp_processor_id`). */
  readonly cpu: number;
  readonly progType: number;
}

/** One helper function (`struct bpf_func_proto` plus its body). */
export interface HelperDescriptor {
  /** `BPF_FUNC_*` id. */
  readonly id: number;
  /** Name without the `bpf_` prefix, as `bpfFuncName` gives it. */
  readonly name: string;
  /** Runs the helper on r1–r5 and returns r0. */
  call(ctx: HelperContext, r1: bigint, r2: bigint, r3: bigint, r4: bigint, r5: bigint): bigint;
}

/** The helpers an engine can call, by id. */
export interface HelperRegistry {
  get(id: number): HelperDescriptor | undefined;
  all(): readonly HelperDescriptor[];
}
