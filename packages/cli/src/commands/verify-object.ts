import { basename } from 'node:path';
import { isBpfError } from '@bpfkit/kernel-api';
import { BpfObject, objectNameFromPath } from '@bpfkit/libbpf';
import { CliError, ExitWith } from '../errors.js';
import { openKernel, type KernelChoice, type KernelHost } from '../object-run/open-kernel.js';
import { printJson, println, type Io } from '../output.js';

/** One program's verdict from `verify OBJ.o`. */
export interface ObjectProgramVerdict {
  readonly program: string;
  readonly section: string;
  readonly accepted: boolean;
  readonly errno?: string;
  readonly message?: string;
  readonly log: string;
}

/** Options of `verify OBJ.o`. */
export interface VerifyObjectOptions {
  readonly prog?: string;
  readonly logLevel: number;
  readonly kernel: KernelChoice;
  readonly json: boolean;
}

/**
 * Each program of an object (or only `prog`) loaded alone into `kernel` as veristat does (the
 * object's maps created, the program relocated as the load does it), with its verifier log at
 * `logLevel`.
 *
 * @example
 * const kernel = await openKernel('sim', { cpus: 2 });
 * verifyObjectPrograms(kernel, 'xdp.o', bytes, { logLevel: 2 }); // [{ program: 'xdp_prog', accepted: true, log: '...' }]
 */
export function verifyObjectPrograms(
  kernel: KernelHost, file: string, bytes: Uint8Array, opts: { readonly logLevel: number; readonly prog?: string },
): ObjectProgramVerdict[] {
  const name = objectNameFromPath(file);
  const names = BpfObject.open(bytes, { name, host: kernel.host }).programs.map((p) => p.name);
  const chosen = opts.prog === undefined ? names : names.filter((n) => n === opts.prog);
  if (opts.prog !== undefined && chosen.length === 0) throw new CliError(`${file}: no program '${opts.prog ?? ''}' (programs: ${names.join(', ') || 'none'})`);
  const verdicts: ObjectProgramVerdict[] = [];
  for (const progName of chosen) {
    const obj = BpfObject.open(bytes, { name, host: kernel.host, possibleCpus: kernel.possibleCpus });
    for (const p of obj.programs) p.autoload = p.name === progName;
    const prog = obj.program(progName);
    prog.logLevel = opts.logLevel;
    let error: unknown;
    try {
      obj.load();
    } catch (e) {
      if (!isBpfError(e)) throw e;
      error = e;
    } finally {
      obj.close();
    }
    verdicts.push({
      program: progName, section: prog.spec.sectionName, accepted: error === undefined, log: prog.loadRecord?.log ?? '',
      ...(isBpfError(error) ? { errno: error.code, message: error.message.split('\n')[0] ?? '' } : {}),
    });
  }
  return verdicts;
}

/**
 * `bpfkit verify OBJ.o`: {@link verifyObjectPrograms} on the chosen kernel, printed as text
 * (the log, then the verdict, per program) or JSON.
 */
export async function verifyObject(io: Io, file: string, bytes: Uint8Array, opts: VerifyObjectOptions): Promise<void> {
  const kernel = await openKernel(opts.kernel, { cpus: 2 });
  let verdicts: ObjectProgramVerdict[];
  try {
    verdicts = verifyObjectPrograms(kernel, file, bytes, { logLevel: opts.logLevel, ...(opts.prog === undefined ? {} : { prog: opts.prog }) });
  } finally {
    kernel.release();
  }
  if (opts.json) printJson(io.stdout, { file: basename(file), kernel: opts.kernel, programs: verdicts });
  else {
    for (const v of verdicts) {
      println(io.stdout, `== prog ${v.program} (section ${v.section}) ==`);
      if (v.log !== '') io.stdout.write(v.log.endsWith('\n') ? v.log : `${v.log}\n`);
      println(io.stdout, v.accepted ? 'verdict: accepted' : `verdict: rejected with ${v.errno ?? '?'}: ${v.message ?? ''}`);
    }
  }
  if (verdicts.some((v) => !v.accepted)) throw new ExitWith(1);
}
