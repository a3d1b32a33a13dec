import { linuxTarget, type Target } from '@bpfkit/examples';

/** This machine's kernel, or why bpf() does not work here. */
export function linuxOrReason(): Target | string {
  try {
    return linuxTarget();
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}
