import {
  AT_FDCWD,
  BpfError,
  FsconfigCmd,
  MOVE_MOUNT_F_EMPTY_PATH,
  type Kernel,
  type Task,
} from '@bpfkit/kernel-api';
import { createDefaultKernel } from '@bpfkit/kernel/defaults';
import {
  BPF_ATTR_SIZE,
  BPF_F_TOKEN_FD,
  BpfCmd,
  CAP_FULL_SET,
  Capability,
  encodeAttr,
  type CapabilityName,
} from '@bpfkit/uapi';
import { spawnTask } from '../builders.js';
import { minimalBtf, ORACLE_PROGRAMS } from './programs.js';
import type { OracleFile, OracleScenario, OracleStep, ScenarioResult, SpawnSpec, StepResult } from './schema.js';

/** Options of {@link replayScenarios}. */
export interface ReplayOptions {
  /** Makes the kernel for one scenario (default: `createDefaultKernel` with the corpus environment). */
  readonly kernel?: (file: OracleFile) => Kernel;
  /** What `@dir` stands for (default `/scenario`). */
  readonly scratchDir?: string;
}

const LOG_SIZE = 65536;

/**
 * The init task's capability sets the harness ran with: every capability
 * except those the environment notes as absent (`CAP_SYS_RESOURCE absent`).
 */
export function harnessCaps(environment: Readonly<Record<string, unknown>> | undefined): bigint {
  let caps = CAP_FULL_SET;
  for (const v of Object.values(environment ?? {})) {
    if (typeof v !== 'string') continue;
    for (const m of v.matchAll(/\b(CAP_[A-Z_]+) absent/g)) {
      const cap = Capability[m[1] as CapabilityName] as number | undefined;
      if (cap !== undefined) caps &= ~(1n << BigInt(cap));
    }
  }
  return caps;
}

function defaultKernel(file: OracleFile): Kernel {
  const env = file.environment ?? {};
  const sysctl = env['kernel.unprivileged_bpf_disabled'];
  return createDefaultKernel({
    initCaps: harnessCaps(env),
    ...(typeof sysctl === 'number' ? { sysctls: { 'kernel.unprivileged_bpf_disabled': sysctl } } : {}),
  });
}

interface Actor {
  readonly task: Task;
  readonly handles: Map<string, number>;
  saved?: { effective: bigint; permitted: bigint; inheritable: bigint };
}

class StepFailure extends Error {}

function str(v: unknown, what: string): string {
  if (typeof v !== 'string') throw new StepFailure(`${what} must be a string`);
  return v;
}
function num(v: unknown, dflt: number): number {
  return typeof v === 'number' ? v : dflt;
}

/** Replays one scenario on a fresh kernel. */
function replayScenario(file: OracleFile, scenario: OracleScenario, options: ReplayOptions): ScenarioResult {
  const kernel = (options.kernel ?? defaultKernel)(file);
  const scratch = options.scratchDir ?? '/scenario';
  const orch = kernel.init;
  orch.mkdir(scratch, 0o755);
  orch.mkdir(`${scratch}/m`, 0o755);
  orch.mkdir(`${scratch}/b`, 0o755);
  const actors = new Map<string, Actor>();
  const path = (p: unknown): string => str(p, 'path').replace(/^@dir/, scratch);
  const actor = (name: string): Actor => {
    const a = actors.get(name);
    if (a === undefined) throw new StepFailure(`no actor ${name}`);
    return a;
  };
  const handle = (a: Actor, h: unknown): number => {
    const fd = a.handles.get(str(h, 'handle'));
    if (fd === undefined) throw new StepFailure(`no handle ${String(h)}`);
    return fd;
  };

  const runStep = (step: OracleStep): Record<string, unknown> | undefined => {
    if ('spawn' in step) {
      const spec: SpawnSpec = step.spec;
      const parent = step.parent === undefined ? undefined : actor(step.parent).task;
      const task = spawnTask(kernel, {
        ...(parent === undefined ? {} : { parent }),
        ...(spec.pre_uid === undefined ? {} : { preUid: spec.pre_uid }),
        ...(spec.userns === undefined ? {} : { userns: spec.userns }),
        ...(spec.map === undefined ? {} : { map: spec.map }),
        ...(spec.uid_map === undefined ? {} : { uidMap: spec.uid_map }),
        ...(spec.gid_map === undefined ? {} : { gidMap: spec.gid_map }),
        ...(spec.self_outer_uid === undefined ? {} : { selfOuterUid: spec.self_outer_uid }),
        ...(spec.self_outer_gid === undefined ? {} : { selfOuterGid: spec.self_outer_gid }),
        ...(spec.mntns === undefined ? {} : { mntns: spec.mntns }),
        ...(spec.uid === undefined ? {} : { uid: spec.uid }),
      });
      actors.set(step.spawn, { task, handles: new Map() });
      return { whoami: task.whoami() };
    }
    if ('pass_fd' in step) {
      const p = step.pass_fd;
      const from = actor(p.from);
      const to = actor(p.to);
      to.handles.set(p.save, from.task.passFd(handle(from, p.h), to.task));
      return undefined;
    }
    const a = actor(step.actor);
    const t = a.task;
    const args = step.args;
    const save = (fd: number): void => {
      if (step.save !== undefined) a.handles.set(step.save, fd);
      else t.close(fd);
    };
    const tokenArgs = (): { fd: number; flag: number } => {
      if (args['token'] !== undefined) return { fd: handle(a, args['token']), flag: args['token_flag'] === false ? 0 : BPF_F_TOKEN_FD };
      if (args['raw_token_fd'] !== undefined) return { fd: num(args['raw_token_fd'], 0), flag: args['token_flag'] === false ? 0 : BPF_F_TOKEN_FD };
      return { fd: 0, flag: 0 };
    };
    switch (step.op) {
      case 'fsopen':
        save(t.fsopen(typeof args['fsname'] === 'string' ? args['fsname'] : 'bpf', num(args['flags'], 0)));
        return undefined;
      case 'fsconfig': {
        const fd = handle(a, args['fs']);
        const cmd = (FsconfigCmd as Record<string, number>)[`FSCONFIG_${str(args['cmd'], 'cmd')}`];
        if (cmd === undefined) throw new StepFailure(`unknown fsconfig cmd ${String(args['cmd'])}`);
        try {
          t.fsconfig(fd, cmd, args['key'] as string | undefined, args['value'] as string | undefined, num(args['aux'], 0));
        } finally {
          const log = t.readFsLog(fd);
          if (log.length > 0) logOut.log = log;
        }
        return undefined;
      }
      case 'fsmount':
        save(t.fsmount(handle(a, args['fs']), num(args['flags'], 0), num(args['attr'], 0)));
        return undefined;
      case 'fspick':
        save(t.fspick(AT_FDCWD, path(args['path']), 0));
        return undefined;
      case 'move_mount':
        t.moveMount(handle(a, args['mnt']), '', AT_FDCWD, path(args['to']), MOVE_MOUNT_F_EMPTY_PATH);
        return undefined;
      case 'mount':
        t.mount(
          typeof args['source'] === 'string' ? path(args['source']) : null,
          path(args['target']),
          typeof args['fstype'] === 'string' ? args['fstype'] : null,
          num(args['flags'], 0),
          typeof args['data'] === 'string' ? args['data'] : null,
        );
        return undefined;
      case 'mkdir':
        t.mkdir(path(args['path']), num(args['mode'], 0o755));
        return undefined;
      case 'open':
        if (args['dir'] !== undefined) save(t.open(str(args['rel'], 'rel'), num(args['flags'], 0), handle(a, args['dir'])));
        else save(t.open(path(args['path']), num(args['flags'], 0)));
        return undefined;
      case 'close':
        t.close(handle(a, args['h']));
        a.handles.delete(str(args['h'], 'h'));
        return undefined;
      case 'mount_opts': {
        const target = path(args['path']);
        const entries = t.mountinfo().filter((e) => e.mountPoint === target);
        const last = entries[entries.length - 1];
        if (last === undefined) throw new StepFailure(`nothing mounted at ${target}`);
        return { fstype: last.fsType, source: last.source, super_opts: last.superOptions, mnt_opts: last.mountOptions };
      }
      case 'fdinfo':
        return { fdinfo: fdinfoLines(t, handle(a, args['h'])) };
      case 'fstat': {
        const fd = handle(a, args['h']);
        const st = t.fstat(fd);
        return {
          mode: `0o${st.mode.toString(8)}`,
          uid_in_ns: st.uid,
          gid_in_ns: st.gid,
          link: t.readlink(`/proc/self/fd/${fd}`),
          fd_flags_cloexec: (t.getFdFlags(fd) & 1) !== 0,
        };
      }
      case 'token_create': {
        const fd = args['bpffs'] !== undefined ? handle(a, args['bpffs']) : num(args['raw_fd'], -1);
        // A tail byte past sizeof(union bpf_attr) makes the attr that much longer (the kernel then wants it zero).
        const tail = typeof args['tail_byte_at'] === 'number' && Number.isInteger(args['tail_byte_at']) && args['tail_byte_at'] >= 0 ? args['tail_byte_at'] : -1;
        const attr = new Uint8Array(Math.max(BPF_ATTR_SIZE, tail + 1));
        attr.set(encodeAttr(BpfCmd.BPF_TOKEN_CREATE, { flags: num(args['flags'], 0), bpffs_fd: fd >>> 0 }));
        if (tail >= 0) attr[tail] = 1;
        const tok = t.bpf(BpfCmd.BPF_TOKEN_CREATE, attr);
        const info = { fdinfo: fdinfoLines(t, tok) };
        save(tok);
        return info;
      }
      case 'map_create': {
        const tk = tokenArgs();
        const attr = encodeAttr(BpfCmd.BPF_MAP_CREATE, {
          map_type: num(args['map_type'], 0),
          key_size: num(args['key_size'], 4),
          value_size: num(args['value_size'], 8),
          max_entries: num(args['max_entries'], 1),
          map_flags: (num(args['map_flags'], 0) | tk.flag) >>> 0,
          map_name: 'oracle',
          map_token_fd: tk.fd,
        });
        save(t.bpf(BpfCmd.BPF_MAP_CREATE, attr));
        return undefined;
      }
      case 'prog_load': {
        const tk = tokenArgs();
        const prog = ORACLE_PROGRAMS[typeof args['prog'] === 'string' ? args['prog'] : 'ret0'];
        if (prog === undefined) throw new StepFailure(`unknown program ${String(args['prog'])}`);
        const insns = t.memory.alloc(prog);
        const license = t.memory.alloc(new TextEncoder().encode('GPL\0'));
        const logBuf = t.memory.alloc(LOG_SIZE);
        const attr = encodeAttr(BpfCmd.BPF_PROG_LOAD, {
          prog_type: num(args['prog_type'], 0),
          insn_cnt: prog.length / 8,
          insns,
          license,
          log_level: 1,
          log_size: LOG_SIZE,
          log_buf: logBuf,
          prog_flags: (num(args['prog_flags'], 0) | tk.flag) >>> 0,
          expected_attach_type: num(args['expected_attach_type'], 0),
          prog_name: 'oracle',
          prog_token_fd: tk.fd,
        });
        try {
          save(t.bpf(BpfCmd.BPF_PROG_LOAD, attr));
        } catch (e) {
          const tail = logTail(t.memory.read(logBuf, LOG_SIZE));
          if (tail !== undefined) logOut.verifier_log_tail = tail;
          throw e;
        } finally {
          t.memory.free(insns);
          t.memory.free(license);
          t.memory.free(logBuf);
        }
        return undefined;
      }
      case 'btf_load': {
        const tk = tokenArgs();
        const blob = minimalBtf();
        const data = t.memory.alloc(blob);
        const attr = encodeAttr(BpfCmd.BPF_BTF_LOAD, {
          btf: data,
          btf_size: blob.length,
          btf_flags: (num(args['btf_flags'], 0) | tk.flag) >>> 0,
          btf_token_fd: tk.fd,
        });
        try {
          save(t.bpf(BpfCmd.BPF_BTF_LOAD, attr));
        } finally {
          t.memory.free(data);
        }
        return undefined;
      }
      case 'btf_get_fd_by_id': {
        const tk = tokenArgs();
        const attr = encodeAttr(BpfCmd.BPF_BTF_GET_FD_BY_ID, {
          btf_id: num(args['btf_id'], 1),
          open_flags: tk.flag,
          fd_by_id_token_fd: tk.fd,
        });
        save(t.bpf(BpfCmd.BPF_BTF_GET_FD_BY_ID, attr));
        return undefined;
      }
      case 'obj_pin': {
        const name = t.memory.alloc(new TextEncoder().encode(`${path(args['path'])}\0`));
        try {
          t.bpf(BpfCmd.BPF_OBJ_PIN, encodeAttr(BpfCmd.BPF_OBJ_PIN, { pathname: name, bpf_fd: handle(a, args['h']) }));
        } finally {
          t.memory.free(name);
        }
        return undefined;
      }
      case 'drop_caps': {
        const c = t.capget();
        a.saved ??= { effective: c.effective, permitted: c.permitted, inheritable: c.inheritable };
        let mask = 0n;
        if (args['all'] === true) mask = CAP_FULL_SET;
        for (const n of (args['caps'] as unknown[] | undefined) ?? []) {
          const cap = Capability[str(n, 'cap') as CapabilityName] as number | undefined;
          if (cap === undefined) throw new StepFailure(`unknown capability ${String(n)}`);
          mask |= 1n << BigInt(cap);
        }
        t.capset({ effective: c.effective & ~mask, permitted: c.permitted, inheritable: c.inheritable });
        return { cap_eff: `0x${t.capget().effective.toString(16)}` };
      }
      case 'restore_caps': {
        const c = t.capget();
        t.capset(a.saved ?? { effective: c.permitted, permitted: c.permitted, inheritable: c.inheritable });
        return { cap_eff: `0x${t.capget().effective.toString(16)}` };
      }
      default:
        throw new StepFailure(`unknown op ${step.op}`);
    }
  };

  let logOut: Record<string, unknown> = {};
  const steps: StepResult[] = [];
  for (const step of scenario.steps) {
    logOut = {};
    try {
      const info = runStep(step);
      const merged = { ...logOut, ...(info ?? {}) };
      steps.push(Object.keys(merged).length === 0 ? { ok: true, errno: null } : { ok: true, errno: null, info: merged });
    } catch (e) {
      if (e instanceof BpfError) {
        const info = Object.keys(logOut).length === 0 ? {} : { info: logOut };
        steps.push({ ok: false, errno: e.code, reason: e.reason, ...info });
      } else if (e instanceof StepFailure) {
        steps.push({ ok: false, errno: 'REPLAY', reason: `replay:${e.message}` });
      } else {
        steps.push({ ok: false, errno: 'CRASH', reason: `crash:${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}` });
      }
    }
  }
  return { name: scenario.name, steps };
}

function fdinfoLines(t: Task, fd: number): string[] {
  return t
    .readFile(`/proc/self/fdinfo/${fd}`)
    .split('\n')
    .filter((l) => l.startsWith('allowed_'));
}

/** The verifier's reason line: the last non-empty line that is not the `processed …` summary. */
export function logTail(buf: Uint8Array): string | undefined {
  const end = buf.indexOf(0);
  const text = new TextDecoder().decode(end < 0 ? buf : buf.subarray(0, end));
  const lines = text.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('processed '));
  return lines[lines.length - 1];
}

/**
 * Replays a `token-oracle/v1` file on the simulated kernel, one fresh kernel
 * per scenario, ignoring every `expect`. Each step yields `{ ok, errno, info }`
 * with the corpus's field names.
 *
 * @example
 * const results = replayScenarios(JSON.parse(readFileSync('scenarios.json', 'utf8')));
 * results[0]?.steps.at(-1)?.info?.fdinfo;
 */
export function replayScenarios(json: unknown, options: ReplayOptions = {}): ScenarioResult[] {
  const file = json as OracleFile | null;
  const scenarios: unknown = typeof file === 'object' && file !== null ? file.scenarios : undefined;
  if (file === null || !Array.isArray(scenarios)) {
    throw new TypeError('replayScenarios: not a token-oracle/v1 file (no scenarios array)');
  }
  return (scenarios as OracleScenario[]).map((s) => replayScenario(file, s, options));
}
