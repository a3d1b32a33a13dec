import { isBpfError } from '@bpfkit/kernel-api';
import { objectNameFromPath } from '@bpfkit/libbpf';
import type { ObjectRunDocument } from './document.js';
import { openLibbpfSession } from './libbpf-session.js';
import type { KernelHost } from './open-kernel.js';
import { runObjectSession } from './run.js';
import type { StepsFile } from './steps.js';

/**
 * `object run` on one kernel: open (a bad object is an `open.ok: false`
 * document, not a crash), load, steps, dumps; every fd is closed afterwards.
 *
 * @example
 * const doc = runObjectBytes('xdp_firewall.o', bytes, steps, await openKernel('sim', { cpus: 2 }));
 */
export function runObjectBytes(file: string, bytes: Uint8Array, steps: StepsFile, kernel: KernelHost): ObjectRunDocument {
  const name = objectNameFromPath(file);
  let session;
  try {
    session = openLibbpfSession(bytes, { name, host: kernel.host, possibleCpus: kernel.possibleCpus });
  } catch (e) {
    if (!isBpfError(e)) throw e;
    return { file: file.split('/').pop() ?? file, open: { ok: false, errno_name: e.code, error: e.message } };
  }
  try {
    return runObjectSession(file.split('/').pop() ?? file, session, steps);
  } finally {
    session.close();
  }
}
