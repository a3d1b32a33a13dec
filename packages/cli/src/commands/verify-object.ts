import { basename } from 'node:path';
import type { LineInfo } from '@bpfkit/elf';
import { isBpfError } from '@bpfkit/kernel-api';
import { BpfObject, objectNameFromPath } from '@bpfkit/libbpf';
import { CliError, ExitWith } from '../errors.js';
import { openKernel, type KernelChoice } from '../object-run/open-kernel.js';
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

const INSN_LINE = /^(\d+): \(/;

/** The line-info record that covers slot `insn`: the last one starting at or before it. */
function lineFor(lines: readonly LineInfo[], insn: number): LineInfo | undefined {
  let found: LineInfo | undefined;
  for (const l of lines) {
    if (l.insnOff > insn) break;
    found = l;
  }
  return found;
}

/**
 * Puts `; <source line> @ <file>:<line>` before the first logged instruction of
 * each source line, as the kernel does when a load carries line_info (and
 * bpftool and veristat show). A log that has them already (Linux) is kept as is.
 *
 * @example
 * withSourceLines('0: (b7) r0 = 0\n', [{ insnOff: 0, fileName: 'x.c', line: '\treturn 0;', lineNum: 3, column: 2 }]);
 * // '; return 0; @ x.c:3\n0: (b7) r0 = 0\n'
 */
export function withSourceLines(log: string, lineInfo: readonly LineInfo[]): string {
  const lines = log.split('\n');
  if (lineInfo.length === 0 || lines.some((l) => l.startsWith('; ') && l.includes(' @ '))) return log;
  const sorted = [...lineInfo].sort((a, b) => a.insnOff - b.insnOff);
  const out: string[] = [];
  let previous: LineInfo | undefined;
  for (const l of lines) {
    const m = INSN_LINE.exec(l);
    if (m !== null) {
      const info = lineFor(sorted, Number(m[1]));
      if (info !== undefined && info !== previous && info.line.trim() !== '') out.push(`; ${info.line.trimStart()} @ ${info.fileName}:${String(info.lineNum)}`);
      if (info !== undefined) previous = info;
    }
    out.push(l);
  }
  return out.join('\n');
}

/** Options of `verify OBJ.o`. */
export interface VerifyObjectOptions {
  readonly prog?: string;
  readonly logLevel: number;
  readonly kernel: KernelChoice;
  readonly json: boolean;
}

/**
 * `bpfkit verify OBJ.o`: each program (or `--prog NAME`) loaded alone as
 * veristat does (the object's maps created, the program relocated as the load
 * does it), with the verifier log at the asked level and source lines.
 */
export async function verifyObject(io: Io, file: string, bytes: Uint8Array, opts: VerifyObjectOptions): Promise<void> {
  const name = objectNameFromPath(file);
  const kernel = await openKernel(opts.kernel, { cpus: 2 });
  const verdicts: ObjectProgramVerdict[] = [];
  try {
    const names = BpfObject.open(bytes, { name, host: kernel.host }).programs.map((p) => p.name);
    const chosen = opts.prog === undefined ? names : names.filter((n) => n === opts.prog);
    if (chosen.length === 0) throw new CliError(`${file}: no program '${opts.prog ?? ''}' (programs: ${names.join(', ') || 'none'})`);
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
      const record = prog.loadRecord;
      const log = withSourceLines(record?.log ?? '', record?.lineInfo ?? []);
      verdicts.push({
        program: progName, section: prog.spec.sectionName, accepted: error === undefined, log,
        ...(isBpfError(error) ? { errno: error.code, message: error.message.split('\n')[0] ?? '' } : {}),
      });
    }
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
