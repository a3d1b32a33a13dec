import type { ObjectRunDocument } from '@bpfkit/cli';

/** A real-kernel `object run` document as committed, with what it was recorded on. */
export interface ObjectRunRecord {
  readonly recorded_on: { readonly kernel: string; readonly possible_cpus: number };
  readonly document: ObjectRunDocument;
}
