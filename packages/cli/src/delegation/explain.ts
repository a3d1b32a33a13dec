import { isBpfError, AT_FDCWD, type TraceStep, FsconfigCmd, MOVE_MOUNT_F_EMPTY_PATH, O_RDONLY, type Kernel, type Task } from '@bpfkit/kernel-api';
import { createDefaultKernel } from '@bpfkit/kernel/defaults';
import { childInUserns, minimalBtf, spawnTask, ORACLE_PROGRAMS } from '@bpfkit/testing';
import { BPF_F_TOKEN_FD, BpfCmd, BpfMapType, CAP_FULL_SET, capByName, cmdName, encodeAttr } from '@bpfkit/uapi';
import { CliError } from '../errors.js';
import { mountFlagSetup, mountFlagsNote } from './mount-flags.js';
import { parseMountFlags, parseMountText } from './mount-text.js';
import { formatOperation, operationCmd, type Operation } from './operation.js';
import { decidingFailure, findStep, TraceRecorder, type TraceNode } from './recorder.js';

/** Who runs the operation, relative to the bpffs mount's user namespace. */
export type CallerKind = 'container' | 'sibling' | 'nested' | 'host-root' | 'host-user';

/** What to explain. */
export interface ExplainRequest {
  /** bpffs options as `/proc/mounts` text or `key=value,...`. */
  readonly mount: string;
  readonly caller: CallerKind;
  /** The caller's effective capabilities in its own user namespace (names); undefined = all. */
  readonly caps?: readonly string[];
  /** Create a token from the mount and pass it (default true). */
  readonly useToken?: boolean;
  /** `kernel.unprivileged_bpf_disabled` (default 2, as measured). */
  readonly sysctl?: number;
  readonly operation: Operation;
  /** Instructions for prog_load (default `r0 = 0; exit`). */
  readonly program?: Uint8Array;
}

/** A failed check, for the summary. */
export interface FailedCheck {
  readonly check: string;
  readonly detail: string;
  readonly hint?: string;
}

/** The outcome and every check the simulated kernel made on the way. */
export interface Explanation {
  readonly operation: string;
  readonly allowed: boolean;
  readonly errno?: string;
  readonly reason?: string;
  readonly message?: string;
  /** What the mount shows in `/proc/self/mountinfo`. */
  readonly superOptions?: string;
  /** The mount's own flags in `/proc/self/mountinfo` (`rw,nosuid,relatime`). */
  readonly mountOptions?: string;
  /** What the VFS flags given with the mount options (`ro`, `nosuid`…) change, when any beyond `rw,relatime` was given. */
  readonly mountFlags?: string;
  /** The check that decided a refusal. */
  readonly decidedBy?: FailedCheck;
  /** Why the kernel silently dropped the token (an allow check failed), when it did. */
  readonly tokenDropped?: FailedCheck;
  /** The verifier's log (level 1) when the verifier refused the program. */
  readonly verifierLog?: readonly string[];
  /** What the answer does not show by itself: mount options the kernel ignores. */
  readonly warnings: readonly string[];
  readonly trace: readonly TraceNode[];
}

const LOG_SIZE = 65536;
const MOUNT_POINT = '/bpffs';

/** The keys bpffs parses; the kernel ignores any other key, without an error (bpf_parse_param). */
const BPFFS_KEYS: ReadonlySet<string> = new Set(['uid', 'gid', 'mode', 'delegate_cmds', 'delegate_maps', 'delegate_progs', 'delegate_attachs']);

/** One warning per mount option key bpffs would ignore. */
export function ignoredMountOptions(mount: string): string[] {
  return parseMountText(mount)
    .filter(({ key }) => !BPFFS_KEYS.has(key))
    .map(({ key }) =>
      key === 'source'
        ? "mount option 'source' names the mount's source; bpffs takes no meaning from it"
        : `mount option '${key}' is not a bpffs option: the kernel ignores it without an error (bpffs takes ${[...BPFFS_KEYS].join(', ')})`,
    );
}

class Refused extends Error {
  constructor(
    override readonly cause: unknown,
    /** For a failing mount option: the fsconfig call that failed. */
    readonly mountOption?: string,
    /** For a failed prog_load: the verifier log it wrote. */
    readonly log?: string,
  ) {
    super('refused');
  }
}

function attempt<T>(fn: () => T, mountOption?: string): T {
  try {
    return fn();
  } catch (e) {
    throw e instanceof Refused ? e : new Refused(e, mountOption);
  }
}

function capMaskOf(names: readonly string[] | undefined): bigint {
  if (names === undefined) return CAP_FULL_SET;
  let mask = 0n;
  for (const n of names) {
    if (n === '' || n.toLowerCase() === 'none') continue;
    const cap = capByName(n);
    if (cap === undefined) throw new CliError(`unknown capability '${n}'`);
    mask |= 1n << BigInt(cap);
  }
  return mask;
}

/** The delegated bpffs as the container gets it, and what mountinfo shows of it. */
interface MountedBpffs {
  readonly container: Task;
  readonly bpffsFd: number;
  readonly superOptions: string | undefined;
  readonly mountOptions: string | undefined;
}

/**
 * Sets up the manager's delegated bpffs and returns the container and its fd on the mount root.
 * VFS flags among the options are set as the kernel takes them: superblock flags through fsconfig,
 * per-mount flags as fsmount attributes.
 */
function mountDelegatedBpffs(kernel: Kernel, mount: string, rec: TraceRecorder): MountedBpffs {
  const container = childInUserns(kernel);
  const manager = spawnTask(kernel, { mntns: true });
  const fs = container.fsopen('bpf');
  const managerFs = container.passFd(fs, manager);
  const flags = mountFlagSetup(parseMountFlags(mount));
  rec.record('the manager configures the bpffs (fsconfig, as init-userns root)', () => {
    for (const key of flags.sbKeys) attempt(() => { manager.fsconfig(managerFs, FsconfigCmd.FSCONFIG_SET_FLAG, key); }, key);
    for (const { key, value } of parseMountText(mount)) {
      attempt(() => {
        if (value === undefined) manager.fsconfig(managerFs, FsconfigCmd.FSCONFIG_SET_FLAG, key);
        else manager.fsconfig(managerFs, FsconfigCmd.FSCONFIG_SET_STRING, key, value);
      }, value === undefined ? key : `${key}=${value}`);
    }
    attempt(() => {
      manager.fsconfig(managerFs, FsconfigCmd.FSCONFIG_CMD_CREATE);
    }, 'FSCONFIG_CMD_CREATE');
  });
  const mnt = manager.fsmount(managerFs, 0, flags.attrs);
  // Attach it in the manager's (private) namespace too, to read what /proc/self/mountinfo shows.
  manager.mkdir(MOUNT_POINT);
  manager.moveMount(mnt, '', AT_FDCWD, MOUNT_POINT, MOVE_MOUNT_F_EMPTY_PATH);
  const shown = manager.mountinfo().find((m) => m.mountPoint === MOUNT_POINT);
  const mountFd = manager.passFd(mnt, container);
  return { container, bpffsFd: container.open('.', O_RDONLY, mountFd), superOptions: shown?.superOptions, mountOptions: shown?.mountOptions };
}

function makeCaller(kernel: Kernel, kind: CallerKind, container: Task): Task {
  switch (kind) {
    case 'container':
      return container.fork();
    case 'sibling':
      return childInUserns(kernel, { uidMap: '0 200000 65536' });
    case 'nested':
      return spawnTask(kernel, { parent: container, userns: true, map: 'self' });
    case 'host-root':
      return kernel.init.fork({ fds: 'empty' });
    case 'host-user':
      return spawnTask(kernel, { uid: 1000 });
  }
}

function defaultMapShape(mapType: number): { key_size: number; value_size: number; max_entries: number; map_flags: number } {
  switch (mapType) {
    case BpfMapType.BPF_MAP_TYPE_RINGBUF:
    case BpfMapType.BPF_MAP_TYPE_USER_RINGBUF:
      return { key_size: 0, value_size: 0, max_entries: 4096, map_flags: 0 };
    case BpfMapType.BPF_MAP_TYPE_QUEUE:
    case BpfMapType.BPF_MAP_TYPE_STACK:
    case BpfMapType.BPF_MAP_TYPE_BLOOM_FILTER:
      return { key_size: 0, value_size: 8, max_entries: 1, map_flags: 0 };
    case BpfMapType.BPF_MAP_TYPE_LPM_TRIE:
      return { key_size: 8, value_size: 8, max_entries: 1, map_flags: 1 };
    default:
      return { key_size: 4, value_size: 8, max_entries: 1, map_flags: 0 };
  }
}

/** The text of a NUL-terminated log buffer. */
function logText(bytes: Uint8Array): string {
  const end = bytes.indexOf(0);
  return new TextDecoder().decode(end === -1 ? bytes : bytes.subarray(0, end));
}

/** Runs the operation in `caller`, with the token fd when there is one; a refused prog_load throws {@link Refused} with its log. */
function runOperation(caller: Task, op: Operation, tokenFd: number | undefined, program: Uint8Array): void {
  const flag = tokenFd === undefined ? 0 : BPF_F_TOKEN_FD;
  const fd = tokenFd ?? 0;
  const m = caller.memory;
  switch (op.op) {
    case 'map_create': {
      const shape = defaultMapShape(op.mapType);
      caller.bpf(BpfCmd.BPF_MAP_CREATE, encodeAttr(BpfCmd.BPF_MAP_CREATE, {
        map_type: op.mapType, ...shape, map_flags: shape.map_flags | flag, map_name: 'explain', map_token_fd: fd,
      }));
      return;
    }
    case 'prog_load': {
      const insns = m.alloc(program);
      const license = m.alloc(new TextEncoder().encode('GPL\0'));
      const log = m.alloc(LOG_SIZE);
      try {
        caller.bpf(BpfCmd.BPF_PROG_LOAD, encodeAttr(BpfCmd.BPF_PROG_LOAD, {
          prog_type: op.progType, expected_attach_type: op.attachType, insn_cnt: program.length / 8, insns, license,
          log_level: 1, log_size: LOG_SIZE, log_buf: log, prog_flags: flag, prog_token_fd: fd,
        }));
      } catch (e) {
        throw new Refused(e, undefined, logText(m.read(log, LOG_SIZE)));
      }
      return;
    }
    case 'btf_load': {
      const blob = minimalBtf();
      caller.bpf(BpfCmd.BPF_BTF_LOAD, encodeAttr(BpfCmd.BPF_BTF_LOAD, { btf: m.alloc(blob), btf_size: blob.length, btf_flags: flag, btf_token_fd: fd }));
      return;
    }
    case 'btf_get_fd_by_id':
      caller.bpf(BpfCmd.BPF_BTF_GET_FD_BY_ID, encodeAttr(BpfCmd.BPF_BTF_GET_FD_BY_ID, { btf_id: 1, open_flags: flag, fd_by_id_token_fd: fd }));
      return;
    case 'token_create':
      return;
    case 'other':
      throw new CliError(`token explain does not run ${cmdName(op.cmd) ?? op.cmd}: it takes no token`);
  }
}

function failedCheck(step: TraceStep | undefined): FailedCheck | undefined {
  return step === undefined ? undefined : { check: step.check, detail: step.detail, ...(step.hint === undefined ? {} : { hint: step.hint }) };
}

const VERIFIER_LOG_LINES = 20;

/** The verifier's log without its statistics line, at most its last 20 lines. */
function verifierLines(log: string | undefined): string[] {
  const lines = (log ?? '').split('\n').filter((l) => l.trim() !== '' && !l.startsWith('processed '));
  return lines.length <= VERIFIER_LOG_LINES ? lines : ['…', ...lines.slice(-VERIFIER_LOG_LINES)];
}

function refusal(refused: Refused, trace: readonly TraceNode[]): Pick<Explanation, 'errno' | 'reason' | 'message' | 'decidedBy' | 'verifierLog'> {
  const e = refused.cause;
  if (!isBpfError(e)) throw e;
  const answer = { errno: e.code, reason: e.reason, message: e.message };
  if (refused.mountOption !== undefined) {
    const hint = 'fix this mount option; bpfkit token plan prints the options an application needs';
    return { ...answer, decidedBy: { check: `the manager's fsconfig(${refused.mountOption})`, detail: `${e.code}: ${e.message}`, hint } };
  }
  if (e.reason.startsWith('verifier:')) {
    const log = verifierLines(refused.log ?? e.log);
    const hint = 'the program itself is refused: fix it (the verifier log says where); no delegation changes this';
    return { ...answer, decidedBy: { check: 'the verifier (bpf_check)', detail: e.message, hint }, ...(log.length === 0 ? {} : { verifierLog: log }) };
  }
  const decidedBy = failedCheck(decidingFailure(trace, e.code));
  return { ...answer, ...(decidedBy === undefined ? {} : { decidedBy }) };
}

/** The allow check that made the kernel drop the token (`bpf_token_allow_*`), if one failed. */
function tokenDrop(trace: readonly TraceNode[]): FailedCheck | undefined {
  return failedCheck(findStep(trace, (s) => s.outcome === 'fail' && s.check.startsWith('bpf_token_allow_')));
}

function common(
  trace: readonly TraceNode[],
  shown: Pick<MountedBpffs, 'superOptions' | 'mountOptions'>,
  mount: string,
): Pick<Explanation, 'trace' | 'superOptions' | 'mountOptions' | 'mountFlags' | 'tokenDropped' | 'warnings'> {
  const dropped = tokenDrop(trace);
  const { superOptions, mountOptions } = shown;
  const mountFlags = mountFlagsNote(parseMountFlags(mount));
  return {
    warnings: ignoredMountOptions(mount),
    trace,
    ...(superOptions === undefined ? {} : { superOptions }),
    ...(mountOptions === undefined ? {} : { mountOptions }),
    ...(mountFlags === undefined ? {} : { mountFlags }),
    ...(dropped === undefined ? {} : { tokenDropped: dropped }),
  };
}

/**
 * Sets the scene in a fresh simulated kernel — a manager mounts a delegated
 * bpffs for a container; the caller gets the mount — then runs the operation
 * and records every check the kernel makes, in the kernel's order.
 *
 * @example
 * explainDelegation({ mount: 'delegate_cmds=map_create,delegate_maps=hash', caller: 'container',
 *   operation: parseOperation('map_create array') }).decidedBy?.check;
 */
export function explainDelegation(req: ExplainRequest): Explanation {
  const rec = new TraceRecorder();
  const kernel = createDefaultKernel({ tracer: rec, sysctls: { 'kernel.unprivileged_bpf_disabled': req.sysctl ?? 2 } });
  const operation = formatOperation(req.operation);
  let shown: Pick<MountedBpffs, 'superOptions' | 'mountOptions'> = { superOptions: undefined, mountOptions: undefined };
  try {
    const mounted = mountDelegatedBpffs(kernel, req.mount, rec);
    const { container, bpffsFd } = mounted;
    shown = mounted;
    const caller = makeCaller(kernel, req.caller, container);
    const callerFd = caller === container ? bpffsFd : container.passFd(bpffsFd, caller);
    const mask = capMaskOf(req.caps);
    const sets = caller.capget();
    caller.capset({ effective: sets.permitted & mask, permitted: sets.permitted, inheritable: sets.inheritable });
    let tokenFd: number | undefined;
    if (req.useToken !== false || req.operation.op === 'token_create') {
      tokenFd = rec.record('BPF_TOKEN_CREATE (the caller, from the bpffs root)', () =>
        attempt(() => caller.bpf(BpfCmd.BPF_TOKEN_CREATE, encodeAttr(BpfCmd.BPF_TOKEN_CREATE, { bpffs_fd: callerFd }))),
      );
    }
    if (req.operation.op !== 'token_create') {
      const cmd = cmdName(operationCmd(req.operation)) ?? 'bpf';
      rec.record(`${cmd}${tokenFd === undefined ? ' (no token)' : ' with the token'}`, () => {
        attempt(() => {
          runOperation(caller, req.operation, tokenFd, req.program ?? ORACLE_PROGRAMS.ret0 ?? new Uint8Array());
        });
      });
    }
    return { operation, allowed: true, ...common(rec.nodes, shown, req.mount) };
  } catch (e) {
    if (!(e instanceof Refused)) throw e;
    return { operation, allowed: false, ...refusal(e, rec.nodes), ...common(rec.nodes, shown, req.mount) };
  }
}
