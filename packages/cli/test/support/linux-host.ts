import { openKernel, type KernelHost } from '@bpfkit/cli';

/** This machine's kernel as an `object run` host, or why it cannot be opened (no root, no bpf(), another platform). */
export async function linuxHost(cpus: number): Promise<KernelHost | string> {
  try {
    return await openKernel('linux', { cpus });
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}
