import { gunzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BpfSyscall, BtfView } from '@bpfkit/kernel-api';
import { BpfProgType } from '@bpfkit/uapi';
import { attachTargetId } from './btf-names.js';
import { SetupError, type LoadPlan } from './plan.js';
import type { CorpusAuxProg, CorpusCase, CorpusReplayLine, CorpusRunLine, FixupKind } from './schema.js';
import { setupClassic } from './setup-classic.js';
import { planProgsLoad, setupProgsMaps, type ProgsFds } from './setup-progs.js';
import { fromHex, toHex, ReplaySys } from './sys.js';

/** Where a replay loads: a task with the corpus harness's privileges, less the capabilities named. */
export interface ReplayTarget {
  /** A task for one case (root without CAP_SYS_ADMIN, and without `drop`). */
  open(drop: readonly string[]): BpfSyscall;
  /** Ends the task (closing whatever it still holds). */
  close(sys: BpfSyscall): void;
}

/** What a replay of one case file needs besides the cases. */
export interface CaseFileContext {
  /** The file's folder (classic `insns_file` paths are relative to it). */
  readonly dir: string;
  /** The progs file's `btf_blobs`. */
  readonly btfBlobs: Readonly<Record<string, string>>;
  /** Classic fixup kinds (`fixup_kinds.json`). */
  readonly fixupKinds: Readonly<Record<string, FixupKind>>;
  /** The kernel's vmlinux BTF, for kfunc, ksym and attach-target names. */
  readonly vmlinux: BtfView | undefined;
}

/** Options of {@link replayCorpusCase}. */
export interface CorpusReplayOptions {
  /** `log_size` of every load (default 16 MiB, as the corpus harness). */
  readonly logSize?: number;
  /** `data_size_out` of every test run (default 256). */
  readonly dataOutSize?: number;
}

const PROCESSED = /^processed (\d+) insns/;

function hexInsns(list: readonly string[]): Uint8Array {
  return fromHex(list.join(''));
}

function caseInsns(c: CorpusCase, dir: string): Uint8Array {
  if (c.insns !== null) return hexInsns(c.insns);
  if (c.insns_file === undefined) throw new SetupError('the case has neither insns nor insns_file');
  return new Uint8Array(gunzipSync(readFileSync(join(dir, c.insns_file))));
}

/** The last ≤ 5 non-empty lines of a verifier log, and its `processed N insns` count. */
export function logSummary(log: string): { tail: string[]; processed: number | null } {
  const lines = log.split('\n').filter((l) => l.trim() !== '');
  let processed: number | null = null;
  for (let i = lines.length - 1; i >= 0; i--) {
    const m = PROCESSED.exec(lines[i] ?? '');
    if (m !== null) {
      processed = Number(m[1]);
      break;
    }
  }
  return { tail: lines.slice(-5), processed };
}

/** The inputs of a case's test runs: `test_runs`, else `expected.runs`, else 64 zero bytes (none for SYSCALL programs). */
export function runInputs(c: CorpusCase): (Uint8Array | undefined)[] {
  const declared = c.test_runs ?? c.expected?.runs ?? [];
  const syscall = c.prog_type.number === BpfProgType.BPF_PROG_TYPE_SYSCALL;
  const fallback = (): Uint8Array | undefined => (syscall ? undefined : new Uint8Array(64));
  if (declared.length === 0) return [fallback()];
  return declared.map((r) => (r.data === undefined || r.data === null ? fallback() : fromHex(r.data)));
}

interface Loaded {
  readonly fd: number;
  readonly log: string;
}

function load(sys: ReplaySys, c: CorpusCase | CorpusAuxProg, plan: LoadPlan, logLevel: number, logSize: number, vmlinux: BtfView | undefined): Loaded | { errno: string; log: string } {
  const progType = c.prog_type?.number ?? 0;
  const attachType = c.expected_attach_type?.number ?? 0;
  let attachBtfId = plan.attachBtfId;
  if (plan.attachBtfIdName !== undefined) {
    const id = attachTargetId(vmlinux, plan.attachBtfIdName, attachType);
    if (id === undefined) throw new SetupError(`vmlinux BTF has no attach target for '${plan.attachBtfIdName}'`);
    attachBtfId = id;
  }
  const license = 'license' in c && c.license !== undefined ? c.license : 'GPL';
  const extra = [plan.funcInfo?.bytes ?? new Uint8Array(0), plan.lineInfo?.bytes ?? new Uint8Array(0)];
  return sys.progLoad((a) => ({
    prog_type: progType,
    expected_attach_type: attachType,
    insn_cnt: plan.insns.length / 8,
    insns: a.insns,
    license: a.license,
    prog_flags: c.flags?.prog_flags ?? 0,
    prog_name: ('prog_name' in c ? (c.prog_name ?? '') : '').slice(0, 15),
    log_level: logSize === 0 ? 0 : logLevel,
    log_size: logSize === 0 ? 0 : logSize,
    log_buf: a.logBuf,
    prog_btf_fd: plan.progBtfFd,
    attach_btf_id: attachBtfId,
    ...(plan.funcInfo === undefined ? {} : { func_info: a.extra[0] ?? 0n, func_info_cnt: plan.funcInfo.count, func_info_rec_size: plan.funcInfo.recSize }),
    ...(plan.lineInfo === undefined ? {} : { line_info: a.extra[1] ?? 0n, line_info_cnt: plan.lineInfo.count, line_info_rec_size: plan.lineInfo.recSize }),
  }), plan.insns, license, logSize, extra);
}

interface CaseSetup {
  readonly plan: LoadPlan;
  readonly progsFds?: ProgsFds;
}

function isClassic(c: CorpusCase): boolean {
  return c.fixups !== undefined || c.kfunc_fixups !== undefined || c.btf !== undefined || c.attach_btf_func !== undefined;
}

/**
 * The log level the corpus harness loaded with: classic cases say it (2 for
 * VERBOSE_ACCEPT, else 4); progs cases record libbpf's level, to which the
 * harness added BPF_LOG_STATS (4) so that `processed N insns` is always there.
 */
export function harnessLogLevel(c: CorpusCase): number {
  const level = c.log_level ?? 0;
  return isClassic(c) ? (level === 0 ? 4 : level) : level | 4;
}

function setup(sys: ReplaySys, c: CorpusCase, ctx: CaseFileContext): CaseSetup {
  const insns = caseInsns(c, ctx.dir);
  if (isClassic(c)) {
    return { plan: setupClassic(sys, c, ctx.fixupKinds, insns, ctx.vmlinux) };
  }
  const progsFds = setupProgsMaps(sys, c, ctx.btfBlobs, ctx.vmlinux);
  return { plan: planProgsLoad(sys, progsFds, c, insns, ctx.btfBlobs, ctx.vmlinux), progsFds };
}

/** Loads `__auxiliary` programs and fills prog-array slots as libbpf does after the load. */
function auxAndPostLoad(sys: ReplaySys, c: CorpusCase, fds: ProgsFds | undefined, selfFd: number, ctx: CaseFileContext): void {
  if (fds === undefined) return;
  const progs = new Map<string, number>([['self', selfFd]]);
  for (const aux of c.aux_progs ?? []) {
    const plan = planProgsLoad(sys, fds, aux, hexInsns(aux.insns), ctx.btfBlobs, ctx.vmlinux);
    const res = load(sys, aux, plan, 0, 0, ctx.vmlinux);
    if ('fd' in res && 'id' in aux) progs.set(String((aux as { id: unknown }).id), res.fd);
  }
  for (const op of c.post_load ?? []) {
    if (op.op !== 'prog_array_update') throw new SetupError(`post_load op '${op.op}' is not known`);
    const map = fds.maps.get(op.map);
    const prog = progs.get(op.prog);
    if (map === undefined || prog === undefined) continue;
    sys.updateElem(map, fromHex(op.key), new Uint8Array(new Uint32Array([prog]).buffer));
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * Replays one verifier-corpus case as the corpus harness did: sets up its
 * maps, BTF, kfuncs, attach target and aux programs, loads it through
 * `BPF_PROG_LOAD`, and if it loaded, test-runs it once per input on fresh maps.
 * The result is one line of `bpfkit corpus replay`.
 *
 * @example
 * const line = replayCorpusCase(target, c, { dir, btfBlobs, fixupKinds, vmlinux });
 * console.log(JSON.stringify(line));
 */
export function replayCorpusCase(target: ReplayTarget, c: CorpusCase, ctx: CaseFileContext, options: CorpusReplayOptions = {}): CorpusReplayLine {
  return replay(target, c, ctx, options, true).line;
}

/** What {@link replayCorpusLoad} gives: the replay line without runs, and the whole verifier log of the load. */
export interface CorpusLoadResult {
  readonly line: CorpusReplayLine;
  /** The log of the case's load (`undefined` when the case could not be set up). */
  readonly log: string | undefined;
}

/**
 * Sets up and loads one case as {@link replayCorpusCase} does, without the
 * test runs, and keeps the whole verifier log (the line has only its tail):
 * what a verifier score compares with the kernel's verdict, errno, message
 * and count.
 *
 * @example
 * const { line, log } = replayCorpusLoad(target, c, file.context);
 * if ('verdict' in line && line.verdict === 'reject') console.log(log);
 */
export function replayCorpusLoad(target: ReplayTarget, c: CorpusCase, ctx: CaseFileContext, options: CorpusReplayOptions = {}): CorpusLoadResult {
  return replay(target, c, ctx, options, false);
}

function replay(target: ReplayTarget, c: CorpusCase, ctx: CaseFileContext, options: CorpusReplayOptions, withRuns: boolean): CorpusLoadResult {
  const logSize = options.logSize ?? 16 * 1024 * 1024;
  const dataOutSize = options.dataOutSize ?? 256;
  const drop = c.caps_drop ?? [];
  const attempt = (): { sys: BpfSyscall; rs: ReplaySys; loaded: Loaded | { errno: string; log: string } } => {
    const sys = target.open(drop);
    const rs = new ReplaySys(sys);
    try {
      const s = setup(rs, c, ctx);
      let loaded = load(rs, c, s.plan, harnessLogLevel(c), logSize, ctx.vmlinux);
      // The harness reloads at stats level when the log did not fit its buffer.
      if ('errno' in loaded && loaded.errno === 'ENOSPC' && (harnessLogLevel(c) & 3) !== 0) {
        loaded = load(rs, c, s.plan, 4, logSize, ctx.vmlinux);
      }
      if ('fd' in loaded) auxAndPostLoad(rs, c, s.progsFds, loaded.fd, ctx);
      return { sys, rs, loaded };
    } catch (e) {
      rs.closeAll();
      target.close(sys);
      throw e;
    }
  };
  let first;
  try {
    first = attempt();
  } catch (e) {
    return { line: { id: c.id, error: e instanceof Error ? e.message : String(e) }, log: undefined };
  }
  const log = first.loaded.log;
  const { tail, processed } = logSummary(log);
  if (!('fd' in first.loaded) || !withRuns) {
    first.rs.closeAll();
    target.close(first.sys);
    const errno = 'fd' in first.loaded ? null : first.loaded.errno;
    return { line: { id: c.id, verdict: errno === null ? 'accept' : 'reject', errno, log_tail: tail, processed, runs: [] }, log };
  }
  const runs: CorpusRunLine[] = [];
  let current: typeof first | undefined = first;
  try {
    runInputs(c).forEach((input, i) => {
      if (i > 0 || current === undefined) {
        if (current !== undefined) {
          current.rs.closeAll();
          target.close(current.sys);
        }
        current = attempt();
      }
      const loaded = current.loaded;
      if (!('fd' in loaded)) throw new SetupError(`reload for run ${i} was refused: ${loaded.errno}`);
      const r = current.rs.testRun(loaded.fd, input, dataOutSize);
      const out = r.dataOut;
      const dataOut = out === undefined || input === undefined || sameBytes(out, input) ? 'unchanged' : toHex(out);
      runs.push({ retval: r.retval, errno: r.errno, data_out: dataOut });
    });
  } catch (e) {
    return { line: { id: c.id, error: e instanceof Error ? e.message : String(e) }, log };
  } finally {
    const last = current as typeof first | undefined;
    if (last !== undefined) {
      last.rs.closeAll();
      target.close(last.sys);
    }
  }
  return { line: { id: c.id, verdict: 'accept', errno: null, log_tail: tail, processed, runs }, log };
}
