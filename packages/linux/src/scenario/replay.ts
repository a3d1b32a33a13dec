import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BpfError } from '@bpfkit/kernel-api';
import {
  BPF_ATTR_SIZE,
  BPF_F_TOKEN_FD,
  BpfCmd,
  CAP_FULL_SET,
  Capability,
  encodeAttr,
  errnoName,
  type CapabilityName,
} from '@bpfkit/uapi';
import { loadNativeBridge, type BuildOptions, type NativeBridge } from '../native.js';
import { Actor, ActorCallError, type CallBlob } from './actor.js';
import { SCENARIO_PROGRAMS, scenarioBtf } from './programs.js';
import type { LinuxScenarioResult, LinuxSpawnSpec, LinuxStep, LinuxStepResult } from './schema.js';
import { syscallNumbers, type SyscallNumbers } from './sysnr.js';

/** Options of {@link replayScenariosOnLinux}. */
export interface LinuxReplayOptions extends BuildOptions {
  /** How long one call in an actor may take (default 10 000 ms). */
  readonly callTimeoutMs?: number;
  /** Where the per-scenario scratch directories (`@dir`) go (default the OS temp dir). */
  readonly scratchRoot?: string;
}

const AT_FDCWD = -100;
const O_RDONLY = 0;
const O_WRONLY = 1;
const O_CLOEXEC = 0o2000000;
const AT_EMPTY_PATH = 0x1000;
const CLONE_NEWNS = 0x20000;
const CLONE_NEWUSER = 0x10000000;
const MS_REC = 0x4000;
const MS_PRIVATE = 0x40000;
const MNT_DETACH = 2;
const F_GETFD = 1;
const PR_SET_DUMPABLE = 4;
const CAP_VERSION_3 = 0x20080522;
const LOG_SIZE = 16384;
const FSCONFIG_CMDS: Readonly<Record<string, number>> = {
  SET_FLAG: 0, SET_STRING: 1, SET_BINARY: 2, SET_PATH: 3, SET_PATH_EMPTY: 4, SET_FD: 5,
  CMD_CREATE: 6, CMD_RECONFIGURE: 7, CMD_CREATE_EXCL: 8,
};
const KNOWN = new Set(['callTimeoutMs', 'scratchRoot', 'cacheDir', 'compiler']);

class StepFailure extends Error {}

function str(v: unknown, what: string): string {
  if (typeof v !== 'string') throw new StepFailure(`${what} must be a string`);
  return v;
}
function num(v: unknown, dflt: number): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : dflt;
}

/** The capability bits the environment says the harness lacked (`CAP_SYS_RESOURCE absent`). */
function absentCaps(environment: unknown): bigint {
  let mask = 0n;
  if (typeof environment !== 'object' || environment === null) return mask;
  for (const v of Object.values(environment as Record<string, unknown>)) {
    if (typeof v !== 'string') continue;
    for (const m of v.matchAll(/\b(CAP_[A-Z_]+) absent/g)) {
      const cap = (Capability as Record<string, number | undefined>)[m[1] ?? ''];
      if (cap !== undefined) mask |= 1n << BigInt(cap);
    }
  }
  return mask;
}

/** The verifier's reason line: the last non-empty line that is not the `processed …` summary. */
function logTail(buf: Uint8Array): string | undefined {
  const end = buf.indexOf(0);
  const text = new TextDecoder().decode(end < 0 ? buf : buf.subarray(0, end));
  const lines = text.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('processed '));
  return lines[lines.length - 1];
}

function unescapeMountPath(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** One scenario on the real kernel: actors, their handles, and the scratch directory. */
class LinuxScenarioRun {
  private readonly actors = new Map<string, Actor>();
  private readonly order: Actor[] = [];
  private logOut: Record<string, unknown> = {};

  constructor(
    private readonly native: NativeBridge,
    private readonly nr: SyscallNumbers,
    private readonly scratch: string,
    private readonly absent: bigint,
    private readonly timeoutMs: number,
  ) {}

  private path(p: unknown): string {
    return str(p, 'path').replace(/^@dir/, this.scratch);
  }

  private actor(name: unknown): Actor {
    const a = this.actors.get(str(name, 'actor'));
    if (a === undefined) throw new StepFailure(`no actor ${String(name)}`);
    return a;
  }

  private handle(a: Actor, h: unknown): number {
    const fd = a.handles.get(str(h, 'handle'));
    if (fd === undefined) throw new StepFailure(`no handle ${String(h)}`);
    return fd;
  }

  private sys(a: Actor, name: keyof SyscallNumbers, args: readonly (number | bigint)[], blob?: CallBlob): { ret: number; blob: Uint8Array } {
    const r = a.call(this.nr[name], name, args, blob);
    return { ret: Number(r.ret), blob: r.blob };
  }

  private readFile(a: Actor, path: string): string {
    const b0 = a.blob();
    const fd = this.sys(a, 'openat', [AT_FDCWD, b0.str(path), O_RDONLY | O_CLOEXEC, 0], b0).ret;
    try {
      const chunks: Uint8Array[] = [];
      for (let i = 0; i < 64; i++) {
        const b = a.blob();
        const off = b.put(65536);
        const r = this.sys(a, 'read', [fd, b.addr(off), 65536], b);
        if (r.ret <= 0) break;
        chunks.push(r.blob.slice(off, off + r.ret));
      }
      return Buffer.concat(chunks).toString('utf8');
    } finally {
      this.sys(a, 'close', [fd]);
    }
  }

  private writeFile(a: Actor, path: string, text: string): void {
    const b0 = a.blob();
    const fd = this.sys(a, 'openat', [AT_FDCWD, b0.str(path), O_WRONLY | O_CLOEXEC, 0], b0).ret;
    try {
      const b = a.blob();
      const data = new TextEncoder().encode(text);
      this.sys(a, 'write', [fd, b.addr(b.put(data)), data.length], b);
    } finally {
      this.sys(a, 'close', [fd]);
    }
  }

  private capget(a: Actor): { effective: bigint; permitted: bigint; inheritable: bigint } {
    const b = a.blob();
    const hdr = new Uint8Array(8);
    new DataView(hdr.buffer).setUint32(0, CAP_VERSION_3, true);
    const h = b.put(hdr);
    const d = b.put(24);
    const out = new DataView(this.sys(a, 'capget', [b.addr(h), b.addr(d)], b).blob.buffer);
    const pair = (i: number): bigint => BigInt(out.getUint32(d + i, true)) | (BigInt(out.getUint32(d + 12 + i, true)) << 32n);
    return { effective: pair(0), permitted: pair(4), inheritable: pair(8) };
  }

  private capset(a: Actor, c: { effective: bigint; permitted: bigint; inheritable: bigint }): void {
    const b = a.blob();
    const hdr = new Uint8Array(8);
    new DataView(hdr.buffer).setUint32(0, CAP_VERSION_3, true);
    const data = new Uint8Array(24);
    const v = new DataView(data.buffer);
    [c.effective, c.permitted, c.inheritable].forEach((m, i) => {
      v.setUint32(i * 4, Number(m & 0xffff_ffffn), true);
      v.setUint32(12 + i * 4, Number((m >> 32n) & 0xffff_ffffn), true);
    });
    this.sys(a, 'capset', [b.addr(b.put(hdr)), b.addr(b.put(data))], b);
  }

  // A credential change makes a process non-dumpable, and then its /proc/self files belong to the
  // init root: dumpable again, so that it can still write its own id maps (map: self).
  private setIds(a: Actor, id: number): void {
    this.sys(a, 'setresgid', [id, id, id]);
    this.sys(a, 'setresuid', [id, id, id]);
    this.sys(a, 'prctl', [PR_SET_DUMPABLE, 1, 0, 0, 0]);
  }

  private whoami(a: Actor): Record<string, unknown> {
    const ids = (call: 'getresuid' | 'getresgid'): number[] => {
      const b = a.blob();
      const o = b.put(12);
      const out = new DataView(this.sys(a, call, [b.addr(o), b.addr(o + 4), b.addr(o + 8)], b).blob.buffer);
      return [0, 4, 8].map((i) => out.getUint32(o + i, true));
    };
    const c = this.capget(a);
    return { resuid: ids('getresuid'), resgid: ids('getresgid'), cap_eff: `0x${c.effective.toString(16)}`, cap_prm: `0x${c.permitted.toString(16)}` };
  }

  private spawn(name: string, spec: LinuxSpawnSpec, parentName: string | undefined): Record<string, unknown> {
    const parent = parentName === undefined ? undefined : this.actor(parentName);
    const a = Actor.spawn(this.native, parent, this.timeoutMs);
    this.order.push(a);
    this.actors.set(name, a);
    if (parent === undefined && this.absent !== 0n) {
      const c = this.capget(a);
      this.capset(a, { effective: c.effective & ~this.absent, permitted: c.permitted & ~this.absent, inheritable: c.inheritable & ~this.absent });
    }
    if (spec.pre_uid !== undefined) this.setIds(a, spec.pre_uid);
    if (spec.userns === true) {
      const ids = this.whoami(a);
      const outerUid = (ids['resuid'] as number[])[1] ?? 0;
      const outerGid = (ids['resgid'] as number[])[1] ?? 0;
      this.sys(a, 'unshare', [CLONE_NEWUSER]);
      if (spec.map === 'self') {
        this.writeFile(a, '/proc/self/setgroups', 'deny');
        this.writeFile(a, '/proc/self/uid_map', `0 ${String(spec.self_outer_uid ?? outerUid)} 1\n`);
        this.writeFile(a, '/proc/self/gid_map', `0 ${String(spec.self_outer_gid ?? outerGid)} 1\n`);
      } else {
        const uidMap = spec.uid_map ?? '0 100000 65536';
        try {
          writeFileSync(`/proc/${String(a.pid)}/uid_map`, `${uidMap}\n`);
          writeFileSync(`/proc/${String(a.pid)}/gid_map`, `${spec.gid_map ?? uidMap}\n`);
        } catch (e) {
          const errno = -((e as { errno?: number }).errno ?? -5);
          throw new ActorCallError(errno, 'uid_map');
        }
      }
      this.setIds(a, 0);
    }
    if (spec.mntns === true) {
      this.sys(a, 'unshare', [CLONE_NEWNS]);
      const b = a.blob();
      this.sys(a, 'mount', [0, b.str('/'), 0, MS_REC | MS_PRIVATE, 0], b);
    }
    if (spec.uid !== undefined) this.setIds(a, spec.uid);
    return { whoami: this.whoami(a) };
  }

  private fdinfo(a: Actor, fd: number): string[] {
    return this.readFile(a, `/proc/self/fdinfo/${String(fd)}`)
      .split('\n')
      .filter((l) => l.startsWith('allowed_'));
  }

  private fsLog(a: Actor, fd: number): string[] {
    const lines: string[] = [];
    for (let i = 0; i < 32; i++) {
      const b = a.blob();
      const off = b.put(4096);
      let r: { ret: number; blob: Uint8Array };
      try {
        r = this.sys(a, 'read', [fd, b.addr(off), 4096], b);
      } catch {
        break; // ENODATA: the log is empty
      }
      if (r.ret <= 0) break;
      lines.push(new TextDecoder().decode(r.blob.slice(off, off + r.ret)).replace(/\n$/, ''));
    }
    return lines;
  }

  private save(a: Actor, step: LinuxStep, fd: number): void {
    if (step.save !== undefined) a.handles.set(step.save, fd);
    else this.sys(a, 'close', [fd]);
  }

  private tokenArgs(a: Actor, args: Readonly<Record<string, unknown>>): { fd: number; flag: number } {
    const flag = args['token_flag'] === false ? 0 : BPF_F_TOKEN_FD;
    if (args['token'] !== undefined) return { fd: this.handle(a, args['token']), flag };
    if (args['raw_token_fd'] !== undefined) return { fd: num(args['raw_token_fd'], 0), flag };
    return { fd: 0, flag: 0 };
  }

  private bpf(a: Actor, cmd: number, attr: Uint8Array, b: CallBlob = a.blob()): number {
    const off = b.put(attr);
    return this.sys(a, 'bpf', [cmd, b.addr(off), attr.length], b).ret;
  }

  private op(a: Actor, step: LinuxStep): Record<string, unknown> | undefined {
    const args = step.args ?? {};
    switch (step.op) {
      case 'fsopen': {
        const b = a.blob();
        this.save(a, step, this.sys(a, 'fsopen', [b.str(typeof args['fsname'] === 'string' ? args['fsname'] : 'bpf'), num(args['flags'], 0)], b).ret);
        return undefined;
      }
      case 'fsconfig': {
        const fd = this.handle(a, args['fs']);
        const cmd = FSCONFIG_CMDS[str(args['cmd'], 'cmd')];
        if (cmd === undefined) throw new StepFailure(`unknown fsconfig cmd ${String(args['cmd'])}`);
        const b = a.blob();
        const key = typeof args['key'] === 'string' ? b.str(args['key']) : 0n;
        const value = typeof args['value'] === 'string' ? b.str(args['value']) : 0n;
        try {
          this.sys(a, 'fsconfig', [fd, cmd, key, value, num(args['aux'], 0)], b);
        } finally {
          const log = this.fsLog(a, fd);
          if (log.length > 0) this.logOut['log'] = log;
        }
        return undefined;
      }
      case 'fsmount':
        this.save(a, step, this.sys(a, 'fsmount', [this.handle(a, args['fs']), num(args['flags'], 0), num(args['attr'], 0)]).ret);
        return undefined;
      case 'fspick': {
        const b = a.blob();
        this.save(a, step, this.sys(a, 'fspick', [AT_FDCWD, b.str(this.path(args['path'])), 0], b).ret);
        return undefined;
      }
      case 'move_mount': {
        const b = a.blob();
        this.sys(a, 'move_mount', [this.handle(a, args['mnt']), b.str(''), AT_FDCWD, b.str(this.path(args['to'])), 4], b);
        return undefined;
      }
      case 'mount': {
        const b = a.blob();
        const s = (v: unknown, isPath: boolean): bigint => (typeof v === 'string' ? b.str(isPath && v.startsWith('@dir') ? this.path(v) : v) : 0n);
        this.sys(a, 'mount', [s(args['source'], true), b.str(this.path(args['target'])), s(args['fstype'], false), num(args['flags'], 0), s(args['data'], false)], b);
        return undefined;
      }
      case 'mkdir': {
        const b = a.blob();
        this.sys(a, 'mkdirat', [AT_FDCWD, b.str(this.path(args['path'])), num(args['mode'], 0o755)], b);
        return undefined;
      }
      case 'open': {
        const b = a.blob();
        const flags = num(args['flags'], 0) | O_CLOEXEC;
        const fd =
          args['dir'] !== undefined
            ? this.sys(a, 'openat', [this.handle(a, args['dir']), b.str(str(args['rel'], 'rel')), flags, 0], b).ret
            : this.sys(a, 'openat', [AT_FDCWD, b.str(this.path(args['path'])), flags, 0], b).ret;
        this.save(a, step, fd);
        return undefined;
      }
      case 'close':
        this.sys(a, 'close', [this.handle(a, args['h'])]);
        a.handles.delete(str(args['h'], 'h'));
        return undefined;
      case 'mount_opts': {
        const target = this.path(args['path']);
        let last: { fstype: string; source: string; super_opts: string; mnt_opts: string } | undefined;
        for (const line of this.readFile(a, '/proc/self/mountinfo').split('\n')) {
          const [pre, post] = line.split(' - ');
          if (pre === undefined || post === undefined) continue;
          const fields = pre.split(' ');
          if (unescapeMountPath(fields[4] ?? '') !== target) continue;
          const [fstype = '', source = '', superOpts = ''] = post.split(' ');
          last = { fstype, source: unescapeMountPath(source), super_opts: superOpts, mnt_opts: fields[5] ?? '' };
        }
        if (last === undefined) throw new StepFailure(`nothing mounted at ${target}`);
        return last;
      }
      case 'fdinfo':
        return { fdinfo: this.fdinfo(a, this.handle(a, args['h'])) };
      case 'fstat': {
        const fd = this.handle(a, args['h']);
        const b = a.blob();
        const st = b.put(256);
        const out = new DataView(this.sys(a, 'statx', [fd, b.str(''), AT_EMPTY_PATH, 0x7ff, b.addr(st)], b).blob.buffer);
        const lb = a.blob();
        const lo = lb.put(4096);
        const lr = this.sys(a, 'readlinkat', [AT_FDCWD, lb.str(`/proc/self/fd/${String(fd)}`), lb.addr(lo), 4096], lb);
        return {
          mode: `0o${out.getUint16(st + 28, true).toString(8)}`,
          uid_in_ns: out.getUint32(st + 20, true),
          gid_in_ns: out.getUint32(st + 24, true),
          link: new TextDecoder().decode(lr.blob.slice(lo, lo + lr.ret)),
          fd_flags_cloexec: (this.sys(a, 'fcntl', [fd, F_GETFD]).ret & 1) !== 0,
        };
      }
      case 'token_create': {
        const fd = args['bpffs'] !== undefined ? this.handle(a, args['bpffs']) : num(args['raw_fd'], -1);
        const tail = typeof args['tail_byte_at'] === 'number' && Number.isInteger(args['tail_byte_at']) && args['tail_byte_at'] >= 0 ? args['tail_byte_at'] : -1;
        const attr = new Uint8Array(Math.max(BPF_ATTR_SIZE, tail + 1));
        attr.set(encodeAttr(BpfCmd.BPF_TOKEN_CREATE, { flags: num(args['flags'], 0) >>> 0, bpffs_fd: fd >>> 0 }));
        if (tail >= 0) attr[tail] = 1;
        const tok = this.bpf(a, BpfCmd.BPF_TOKEN_CREATE, attr);
        const info = { fdinfo: this.fdinfo(a, tok) };
        this.save(a, step, tok);
        return info;
      }
      case 'map_create': {
        const tk = this.tokenArgs(a, args);
        const attr = encodeAttr(BpfCmd.BPF_MAP_CREATE, {
          map_type: num(args['map_type'], 0),
          key_size: num(args['key_size'], 4),
          value_size: num(args['value_size'], 8),
          max_entries: num(args['max_entries'], 1),
          map_flags: (num(args['map_flags'], 0) | tk.flag) >>> 0,
          map_name: 'oracle',
          map_token_fd: tk.fd,
        });
        this.save(a, step, this.bpf(a, BpfCmd.BPF_MAP_CREATE, attr));
        return undefined;
      }
      case 'prog_load': {
        const tk = this.tokenArgs(a, args);
        const prog = SCENARIO_PROGRAMS[typeof args['prog'] === 'string' ? args['prog'] : 'ret0'];
        if (prog === undefined) throw new StepFailure(`unknown program ${String(args['prog'])}`);
        const b = a.blob();
        const insns = b.addr(b.put(prog));
        const license = b.str('GPL');
        const logOff = b.put(LOG_SIZE);
        const attr = encodeAttr(BpfCmd.BPF_PROG_LOAD, {
          prog_type: num(args['prog_type'], 0),
          insn_cnt: prog.length / 8,
          insns,
          license,
          log_level: 1,
          log_size: LOG_SIZE,
          log_buf: b.addr(logOff),
          prog_flags: (num(args['prog_flags'], 0) | tk.flag) >>> 0,
          expected_attach_type: num(args['expected_attach_type'], 0),
          prog_name: 'oracle',
          prog_token_fd: tk.fd,
        });
        const attrOff = b.put(attr);
        const r = a.tryCall(this.nr.bpf, [BpfCmd.BPF_PROG_LOAD, b.addr(attrOff), attr.length], b);
        if (r.ret < 0n) {
          const tail = logTail(r.blob.slice(logOff, logOff + LOG_SIZE));
          if (tail !== undefined) this.logOut['verifier_log_tail'] = tail;
          throw new ActorCallError(r.errno, 'bpf');
        }
        this.save(a, step, Number(r.ret));
        return undefined;
      }
      case 'btf_load': {
        const tk = this.tokenArgs(a, args);
        const b = a.blob();
        const blob = scenarioBtf();
        const attr = encodeAttr(BpfCmd.BPF_BTF_LOAD, {
          btf: b.addr(b.put(blob)),
          btf_size: blob.length,
          btf_flags: (num(args['btf_flags'], 0) | tk.flag) >>> 0,
          btf_token_fd: tk.fd,
        });
        this.save(a, step, this.bpf(a, BpfCmd.BPF_BTF_LOAD, attr, b));
        return undefined;
      }
      case 'btf_get_fd_by_id': {
        const tk = this.tokenArgs(a, args);
        const attr = encodeAttr(BpfCmd.BPF_BTF_GET_FD_BY_ID, { btf_id: num(args['btf_id'], 1), open_flags: tk.flag, fd_by_id_token_fd: tk.fd });
        this.save(a, step, this.bpf(a, BpfCmd.BPF_BTF_GET_FD_BY_ID, attr));
        return undefined;
      }
      case 'obj_pin': {
        const b = a.blob();
        const attr = encodeAttr(BpfCmd.BPF_OBJ_PIN, { pathname: b.str(this.path(args['path'])), bpf_fd: this.handle(a, args['h']) });
        this.bpf(a, BpfCmd.BPF_OBJ_PIN, attr, b);
        return undefined;
      }
      case 'drop_caps': {
        const c = this.capget(a);
        a.saved ??= c;
        let mask = args['all'] === true ? CAP_FULL_SET : 0n;
        for (const n of Array.isArray(args['caps']) ? (args['caps'] as unknown[]) : []) {
          const cap = (Capability as Record<string, number | undefined>)[str(n, 'cap') as CapabilityName];
          if (cap === undefined) throw new StepFailure(`unknown capability ${String(n)}`);
          mask |= 1n << BigInt(cap);
        }
        this.capset(a, { effective: c.effective & ~mask, permitted: c.permitted, inheritable: c.inheritable });
        return { cap_eff: `0x${this.capget(a).effective.toString(16)}` };
      }
      case 'restore_caps': {
        const c = this.capget(a);
        this.capset(a, a.saved ?? { effective: c.permitted, permitted: c.permitted, inheritable: c.inheritable });
        return { cap_eff: `0x${this.capget(a).effective.toString(16)}` };
      }
      default:
        throw new StepFailure(`unknown op ${String(step.op)}`);
    }
  }

  private runStep(step: LinuxStep): Record<string, unknown> | undefined {
    if (step.spawn !== undefined) return this.spawn(step.spawn, step.spec ?? {}, step.parent);
    if (step.pass_fd !== undefined) {
      const p = step.pass_fd;
      const from = this.actor(p.from);
      const to = this.actor(p.to);
      const fd = from.takeFd(this.handle(from, p.h));
      try {
        to.handles.set(str(p.save, 'save'), to.giveFd(fd));
      } finally {
        this.native.close(fd);
      }
      return undefined;
    }
    return this.op(this.actor(step.actor), step);
  }

  run(name: string, steps: readonly LinuxStep[]): LinuxScenarioResult {
    const results: LinuxStepResult[] = [];
    for (const step of steps) {
      this.logOut = {};
      try {
        const info = { ...this.logOut, ...(this.runStep(step) ?? {}) };
        results.push(Object.keys(info).length === 0 ? { ok: true, errno: null } : { ok: true, errno: null, info });
      } catch (e) {
        const info = Object.keys(this.logOut).length === 0 ? {} : { info: this.logOut };
        if (e instanceof ActorCallError) {
          results.push({ ok: false, errno: errnoName(e.errno) ?? `E${String(e.errno)}`, reason: `linux:${e.call}`, ...info });
        } else if (e instanceof BpfError) {
          results.push({ ok: false, errno: e.code, reason: e.reason, ...info });
        } else if (e instanceof StepFailure) {
          results.push({ ok: false, errno: 'REPLAY', reason: `replay:${e.message}` });
        } else {
          results.push({ ok: false, errno: 'CRASH', reason: `crash:${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}` });
        }
      }
    }
    return { name, steps: results };
  }

  /** Ends every actor and undoes the mounts the scenario left under its scratch directory. */
  finish(): void {
    for (const a of this.order) a.close();
    for (const a of this.order) this.native.waitpid(a.pid, 0);
    for (let round = 0; round < 8; round++) {
      const left = readFileSync('/proc/self/mountinfo', 'utf8')
        .split('\n')
        .map((l) => unescapeMountPath(l.split(' ')[4] ?? ''))
        .filter((m) => m === this.scratch || m.startsWith(`${this.scratch}/`));
      if (left.length === 0) break;
      const cleaner = Actor.spawn(this.native, undefined, this.timeoutMs);
      try {
        for (const m of left.reverse()) {
          const b = cleaner.blob();
          try {
            this.sys(cleaner, 'umount2', [b.str(m), MNT_DETACH], b);
          } catch {
            // already gone with its parent
          }
        }
      } finally {
        cleaner.close();
        this.native.waitpid(cleaner.pid, 0);
      }
    }
    rmSync(this.scratch, { recursive: true, force: true });
  }
}

/**
 * Replays a `token-oracle/v1` file on the running Linux kernel, ignoring every `expect`: each
 * actor is a forked process with its own credentials, user and mount namespaces and fd table,
 * each `@dir` a fresh scratch directory with `m/` and `b/`. Needs root in the initial user
 * namespace (to write id maps and set `delegate_*`). Each step yields `{ ok, errno, info }` with
 * the corpus's field names, as `replayScenarios` of `@bpfkit/testing` does on the simulated kernel.
 *
 * Throws `BpfError('ENOSYS', 'linux:unavailable')` where actors cannot run (not Linux, no bridge,
 * an unsupported architecture).
 *
 * @example
 * const [first] = replayScenariosOnLinux(JSON.parse(readFileSync('scenarios.json', 'utf8')));
 * first?.steps.at(-1)?.errno; // null, or 'EPERM', ...
 */
export function replayScenariosOnLinux(json: unknown, options: LinuxReplayOptions = {}): LinuxScenarioResult[] {
  for (const k of Object.keys(options)) {
    if (!KNOWN.has(k)) throw new BpfError('EINVAL', 'linux:scenario-options', `replayScenariosOnLinux: unknown option ${k}`);
  }
  const file = json as { scenarios?: unknown; environment?: unknown } | null;
  if (typeof file !== 'object' || file === null || !Array.isArray(file.scenarios)) {
    throw new BpfError('EINVAL', 'linux:scenario-file', 'replayScenariosOnLinux: not a token-oracle/v1 file (no scenarios array)');
  }
  const nr = syscallNumbers();
  if (nr === undefined) throw new BpfError('ENOSYS', 'linux:unavailable', `scenario actors are not supported on ${process.arch}`);
  const native = loadNativeBridge({
    ...(options.cacheDir === undefined ? {} : { cacheDir: options.cacheDir }),
    ...(options.compiler === undefined ? {} : { compiler: options.compiler }),
  });
  const absent = absentCaps(file.environment);
  const results: LinuxScenarioResult[] = [];
  for (const s of file.scenarios as unknown[]) {
    const sc = (typeof s === 'object' && s !== null ? s : {}) as { name?: unknown; steps?: unknown };
    const name = typeof sc.name === 'string' ? sc.name : '';
    const steps = Array.isArray(sc.steps) ? (sc.steps as LinuxStep[]) : [];
    const scratch = mkdtempSync(join(options.scratchRoot ?? tmpdir(), 'bpfkit-token-replay-'));
    chmodSync(scratch, 0o755);
    mkdirSync(join(scratch, 'm'));
    mkdirSync(join(scratch, 'b'));
    const run = new LinuxScenarioRun(native, nr, scratch, absent, options.callTimeoutMs ?? 10_000);
    try {
      results.push(run.run(name, steps));
    } finally {
      run.finish();
    }
  }
  return results;
}
