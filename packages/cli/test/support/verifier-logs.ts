import { readFileSync } from 'node:fs';
import { verifyObjectPrograms, type KernelHost } from '@bpfkit/cli';
import { isBpfError } from '@bpfkit/kernel-api';
import type { ObjectCase } from './object-cases.js';

/** The log levels recorded: 1 (the path to the verdict) and 2 (every state). */
export const LOG_LEVELS = [1, 2] as const;

/** One program's verifier log at one level, as a kernel gave it. */
export interface ProgramLog {
  readonly program: string;
  readonly level: number;
  readonly accepted: boolean;
  readonly errno?: string;
  readonly log: string;
}

/** A real kernel's logs of an object's programs, with the kernel they were recorded on. */
export interface VerifierLogRecord {
  readonly recorded_on: { readonly kernel: string };
  readonly programs: readonly ProgramLog[];
}

/** Every program of the object at every recorded level, each loaded alone (none when the object does not open). */
export function programLogs(kernel: KernelHost, c: ObjectCase): ProgramLog[] {
  const bytes = new Uint8Array(readFileSync(c.object));
  try {
    return LOG_LEVELS.flatMap((level) => verifyObjectPrograms(kernel, c.object, bytes, { logLevel: level }).map((v) => ({
      program: v.program, level, accepted: v.accepted, ...(v.errno === undefined ? {} : { errno: v.errno }), log: v.log,
    })));
  } catch (e) {
    if (isBpfError(e)) return [];
    throw e;
  }
}

const LD_IMM64 = /\(18\) (r\d+) = 0x[0-9a-f]+ */;
const KFUNC_ID = /(call [A-Za-z_0-9]+)#\d+ */;

/**
 * What two kernels' logs may differ in and still agree: the address an `ld_imm64` loads (a map's
 * or a variable's, with the padding after it), the BTF id of a kfunc call (each kernel numbers its
 * vmlinux BTF), and the verification time.
 */
export function normalizeLog(log: string): string {
  return log.split('\n').map((l) => l
    .replace(LD_IMM64, '(18) $1 = <addr> ')
    .replace(KFUNC_ID, '$1#<id> ')
    .replace(/^verification time \d+ usec$/, 'verification time <t> usec')).join('\n');
}
