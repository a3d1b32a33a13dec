import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readSync, writeFileSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { BpfError } from '@bpfkit/kernel-api';
import { ERRNO_DESCRIPTIONS, errnoName, type ErrnoName } from '@bpfkit/uapi';
import { loadNativeBridge, type NativeBridge } from '../native.js';
import {
  CHILD_SPEC_ENV,
  FSCONFIG_CMD_CREATE,
  FSCONFIG_SET_STRING,
  FSMOUNT_CLOEXEC,
  MSG_DONTWAIT,
  MSG_FSCTX,
  MSG_MAPPED,
  MSG_MOUNT,
  SOCK_CLOEXEC,
  SOCK_SEQPACKET,
  cstr,
  type ChildError,
  type ChildEvent,
  type ChildSpec,
} from './protocol.js';

/**
 * One line of `/proc/<pid>/uid_map` or `gid_map`: `count` ids from `inside` map to `outside` in the parent's userns.
 *
 * @example
 * const uidMap: IdMapEntry[] = [{ inside: 0, outside: 0, count: 1 }, { inside: 1, outside: 100000, count: 65535 }];
 */
export interface IdMapEntry {
  readonly inside: number;
  readonly outside: number;
  readonly count: number;
}

/**
 * A delegate_* value: the option string itself, names joined with `:`, or a mask.
 *
 * @example
 * const maps: DelegateValue = ['array', 'hash']; // same as 'array:hash' or (1n << 2n) | (1n << 1n)
 */
export type DelegateValue = string | readonly string[] | bigint;

/**
 * Options of {@link runWithDelegatedBpffs}; unknown keys are rejected.
 *
 * @example
 * const options: DelegatedRunOptions = { module: '/abs/child.js', delegate: { cmds: 'any', maps: 'any', progs: 'any', attachs: 'any' }, mountAt: '/sys/fs/bpf' };
 */
export interface DelegatedRunOptions {
  /** The ES module the child runs (absolute path or `file:` URL); its default export is a {@link DelegatedMain}. */
  readonly module: string;
  /** JSON-serialisable first argument of the module's default export (default `null`; keep it under ~100 KB, it travels in the environment). */
  readonly args?: unknown;
  /** delegate_cmds/maps/progs/attachs of the new bpffs; an omitted key is not set (mask 0). */
  readonly delegate?: {
    readonly cmds?: DelegateValue;
    readonly maps?: DelegateValue;
    readonly progs?: DelegateValue;
    readonly attachs?: DelegateValue;
  };
  /**
   * Also mount the bpffs at this absolute path in the child's (private) mount namespace, e.g.
   * `/sys/fs/bpf`, where libbpf-style clients look for a token by default. Default: not mounted,
   * reachable only through its fds and `/proc/self/fd/<n>`.
   */
  readonly mountAt?: string;
  /** Other bpffs options (`uid`, `gid`, `mode`), set as strings before the delegate_* keys, in the parent. */
  readonly mountOptions?: Readonly<Record<string, string>>;
  /**
   * uid_map of the child's userns (default `[{ inside: 0, outside: 0, count: 1 }]`: root is root).
   * It must map inside 0 to outside 0: the child execs Node as that uid, and only the userns root
   * keeps its capabilities across exec. Further ranges are free.
   */
  readonly uidMap?: readonly IdMapEntry[];
  /** gid_map of the child's userns (default `[{ inside: 0, outside: 0, count: 1 }]`), same rule. */
  readonly gidMap?: readonly IdMapEntry[];
  /** Kill the child (SIGKILL to its process group) and reject with ETIMEDOUT after this long (default 30 000 ms). */
  readonly timeoutMs?: number;
  /** Extra environment for the child (on top of this process's). */
  readonly env?: Readonly<Record<string, string>>;
  /** Node binary for the child (default `process.execPath`). */
  readonly node?: string;
  /** util-linux `unshare` binary (default `unshare`). */
  readonly unshare?: string;
  /** Bridge build options, as {@link LinuxSyscallOptions}. */
  readonly cacheDir?: string;
  readonly compiler?: string;
}

/**
 * What {@link runWithDelegatedBpffs} resolves with.
 *
 * @example
 * const { result, stderr }: DelegatedRunResult<{ ok: boolean }> = await runWithDelegatedBpffs({ module: '/abs/child.js' });
 */
export interface DelegatedRunResult<R> {
  /** The module's return value after a JSON round trip. */
  readonly result: R;
  /** The child's stdout and stderr (each capped at 1 MiB). */
  readonly stdout: string;
  readonly stderr: string;
}

const KNOWN = new Set([
  'module', 'args', 'delegate', 'mountAt', 'mountOptions', 'uidMap', 'gidMap',
  'timeoutMs', 'env', 'node', 'unshare', 'cacheDir', 'compiler',
]);
const DELEGATE_KEYS = ['cmds', 'maps', 'progs', 'attachs'] as const;
const OUTPUT_CAP = 1 << 20;
const CHILD_ENTRY = fileURLToPath(new URL('./child.js', import.meta.url));
// Runs in the new userns before Node: says hello, waits until the parent wrote the id maps
// (one byte on the control socket), then execs Node, which thus starts as the mapped root.
const WRAPPER = `printf '{"t":"hello"}\\n' >&4 && head -c 1 <&3 >/dev/null && exec "$0" "$@"`;
const ROOT_MAP: readonly IdMapEntry[] = [{ inside: 0, outside: 0, count: 1 }];

function invalid(message: string): BpfError {
  return new BpfError('EINVAL', 'linux:delegation-options', `runWithDelegatedBpffs: ${message}`);
}

function fail(errno: number, reason: `linux:${string}`, message: string): BpfError {
  const code: ErrnoName = errnoName(errno) ?? 'EIO';
  return new BpfError(code, reason, `${message}: ${code}`);
}

function delegateString(key: string, v: DelegateValue): string {
  if (typeof v === 'bigint') {
    if (v < 0n || v >= 1n << 64n) throw invalid(`delegate.${key} mask ${String(v)} is not a u64`);
    return `0x${v.toString(16)}`;
  }
  const s = typeof v === 'string' ? v : v.join(':');
  if (s.includes('\0')) throw invalid(`delegate.${key} contains a NUL byte`);
  return s;
}

function mapText(name: string, entries: readonly IdMapEntry[]): string {
  if (entries.length === 0 || entries.length > 340) throw invalid(`${name} needs 1 to 340 entries`);
  if (!entries.some((e) => e.inside === 0 && e.outside === 0)) throw invalid(`${name} must map inside 0 to outside 0`);
  return entries
    .map((e) => {
      for (const n of [e.inside, e.outside, e.count]) {
        if (!Number.isInteger(n) || n < 0 || n > 0xffff_ffff) throw invalid(`${name} entry ${JSON.stringify(e)} is not three u32`);
      }
      return `${String(e.inside)} ${String(e.outside)} ${String(e.count)}\n`;
    })
    .join('');
}

function validate(o: DelegatedRunOptions): void {
  for (const k of Object.keys(o)) if (!KNOWN.has(k)) throw invalid(`unknown option ${k}`);
  if (typeof o.module !== 'string' || (!isAbsolute(o.module) && !o.module.startsWith('file:'))) {
    throw invalid('module must be an absolute path or a file: URL');
  }
  if (o.mountAt !== undefined && (typeof o.mountAt !== 'string' || !isAbsolute(o.mountAt) || o.mountAt.includes('\0'))) {
    throw invalid('mountAt must be an absolute path');
  }
  for (const k of Object.keys(o.delegate ?? {})) {
    if (!(DELEGATE_KEYS as readonly string[]).includes(k)) throw invalid(`unknown delegate key ${k}`);
  }
  for (const [k, v] of Object.entries(o.mountOptions ?? {})) {
    if (k.startsWith('delegate_')) throw invalid(`set ${k} through the delegate option`);
    if (typeof v !== 'string' || k.includes('\0') || v.includes('\0')) throw invalid(`mount option ${k} must be a string without NUL bytes`);
  }
  for (const [k, v] of [['timeoutMs', o.timeoutMs]] as const) {
    if (v !== undefined && (!Number.isInteger(v) || v < 0 || v > 0xffff_ffff)) throw invalid(`${k} must be a non-negative integer`);
  }
}

/** The fs_context's error log (`e bpf: Bad value for ...`), drained after a failed fsconfig. */
function fsLog(fd: number): string {
  const lines: string[] = [];
  const buf = Buffer.alloc(4096);
  for (let i = 0; i < 16; i++) {
    try {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n <= 0) break;
      lines.push(buf.subarray(0, n).toString());
    } catch {
      break; // ENODATA: empty
    }
  }
  return lines.join('; ');
}

/** In the parent: fsconfig the child's fs_context, create the superblock, fsmount it. Returns the mount fd. */
function makeMount(native: NativeBridge, fsfd: number, o: DelegatedRunOptions): number {
  const set = (key: string, value: string): void => {
    const r = native.fsconfig(fsfd, FSCONFIG_SET_STRING, cstr(key), cstr(value), 0);
    if (r < 0) {
      const log = fsLog(fsfd);
      throw fail(-r, 'linux:fsconfig', `fsconfig(${key}=${value})${log === '' ? '' : ` [${log}]`}`);
    }
  };
  for (const [k, v] of Object.entries(o.mountOptions ?? {})) set(k, v);
  for (const k of DELEGATE_KEYS) {
    const v = o.delegate?.[k];
    if (v !== undefined) set(`delegate_${k}`, delegateString(k, v));
  }
  const c = native.fsconfig(fsfd, FSCONFIG_CMD_CREATE, new Uint8Array(0), new Uint8Array(0), 0);
  if (c < 0) {
    const log = fsLog(fsfd);
    throw fail(-c, 'linux:fsconfig', `fsconfig(FSCONFIG_CMD_CREATE)${log === '' ? '' : ` [${log}]`}`);
  }
  const m = native.fsmount(fsfd, FSMOUNT_CLOEXEC, 0);
  if (m < 0) throw fail(-m, 'linux:fsmount', 'fsmount() of the delegating bpffs');
  return m;
}

function childError(e: ChildError, stderr: string): Error {
  const where = e.stage === 'setup' ? 'delegation child setup failed' : 'delegation child module threw';
  const message = `${where}: ${e.name}: ${e.message}${stderr === '' ? '' : `\nchild stderr:\n${stderr.slice(-4000)}`}`;
  const err =
    e.code !== undefined && e.code in ERRNO_DESCRIPTIONS && e.reason?.includes(':') === true
      ? new BpfError(e.code as ErrnoName, e.reason as `${string}:${string}`, message)
      : new Error(message);
  if (e.stack !== undefined) err.stack = `${message}\n--- child stack ---\n${e.stack}`;
  return err;
}

function collect(stream: NodeJS.ReadableStream | null, sink: { text: string }): void {
  stream?.setEncoding('utf8');
  stream?.on('data', (chunk: string) => {
    if (sink.text.length < OUTPUT_CAP) sink.text += chunk.slice(0, OUTPUT_CAP - sink.text.length);
  });
}

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    child.kill('SIGKILL');
  }
}

/**
 * Runs an ES module in a child Node process that sits in a new user namespace and mount
 * namespace, with a bpffs whose delegation this process (the init-ns root) set up — the
 * kernel's token dance, as cilium/ebpf's `testutils.RunWithToken` does it:
 *
 * 1. `unshare --user --mount` starts `node <child entry>`; this process writes its uid/gid maps;
 * 2. the child calls `fsopen("bpf")` (so the superblock belongs to its userns) and passes the
 *    fd here over a socketpair (SCM_RIGHTS);
 * 3. here, `fsconfig` sets `delegate_*` (this needs CAP_SYS_ADMIN in the init userns),
 *    `FSCONFIG_CMD_CREATE` and `fsmount`; the mount fd goes back to the child;
 * 4. the child imports `module` and calls its default export with `(args, ctx)`
 *    ({@link DelegatedContext}: `sys`, `bpffsFd` for BPF_TOKEN_CREATE, `bpffsPath` for path-based
 *    clients); the JSON result comes back here.
 *
 * The child's module can import workspace packages by their names as long as its own file sits
 * inside the workspace. Nothing is left behind: the socket and fds close, the child is killed
 * (its process group) on timeout or on a setup failure.
 *
 * Rejects with `BpfError` for bad options (`EINVAL linux:delegation-options`), a failed step here
 * (`linux:fsconfig`, `linux:fsmount`, `linux:delegation`), a timeout (`ETIMEDOUT`), or the child's
 * error: a `BpfError` with the same code and reason when the module threw one, else an `Error`.
 *
 * @example
 * const { result } = await runWithDelegatedBpffs<{ token: number }>({
 *   module: '/abs/path/child.mjs',
 *   args: { mapType: 'array' },
 *   delegate: { cmds: ['map_create', 'prog_load'], maps: 'array:hash', progs: 'socket_filter', attachs: 'any' },
 * });
 */
export function runWithDelegatedBpffs<R = unknown>(options: DelegatedRunOptions): Promise<DelegatedRunResult<R>> {
  let native: NativeBridge;
  let uidMap: string;
  let gidMap: string;
  try {
    validate(options);
    uidMap = mapText('uidMap', options.uidMap ?? ROOT_MAP);
    gidMap = mapText('gidMap', options.gidMap ?? ROOT_MAP);
    native = loadNativeBridge({
      ...(options.cacheDir === undefined ? {} : { cacheDir: options.cacheDir }),
      ...(options.compiler === undefined ? {} : { compiler: options.compiler }),
    });
  } catch (e) {
    return Promise.reject(e instanceof Error ? e : new Error(String(e)));
  }
  const spec: ChildSpec = {
    moduleUrl: options.module.startsWith('file:') ? options.module : pathToFileURL(options.module).href,
    args: options.args ?? null,
    ...(options.mountAt === undefined ? {} : { mountAt: options.mountAt }),
    ...(options.cacheDir === undefined ? {} : { cacheDir: options.cacheDir }),
    ...(options.compiler === undefined ? {} : { compiler: options.compiler }),
  };
  const pair = new Uint8Array(8);
  const sp = native.socketpair(SOCK_SEQPACKET | SOCK_CLOEXEC, pair);
  if (sp < 0) return Promise.reject(fail(-sp, 'linux:delegation', 'socketpair()'));
  const view = new DataView(pair.buffer);
  const parentSock = view.getInt32(0, true);
  const childSock = view.getInt32(4, true);

  return new Promise<DelegatedRunResult<R>>((resolve, reject) => {
    let child: ChildProcess;
    try {
      child = spawn(
        options.unshare ?? 'unshare',
        ['--user', '--mount', '--propagation', 'private', '--', '/bin/sh', '-c', WRAPPER, options.node ?? process.execPath, CHILD_ENTRY],
        {
          stdio: ['ignore', 'pipe', 'pipe', childSock, 'pipe'],
          env: { ...process.env, ...options.env, [CHILD_SPEC_ENV]: JSON.stringify(spec) },
          detached: true,
        },
      );
    } catch (e) {
      native.close(childSock);
      native.close(parentSock);
      reject(e instanceof Error ? e : new Error(String(e)));
      return;
    }
    native.close(childSock);
    const out = { text: '' };
    const err = { text: '' };
    collect(child.stdout, out);
    collect(child.stderr, err);
    let outcome: { ok: true; value: unknown } | { ok: false; error: Error } | undefined;
    let settled = false;
    const finish = (): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      native.close(parentSock);
      if (outcome?.ok === true) {
        resolve({ result: outcome.value as R, stdout: out.text, stderr: err.text });
        return;
      }
      if (outcome?.ok === false) {
        reject(outcome.error);
        return;
      }
      const how = child.signalCode === null ? `exit code ${String(child.exitCode)}` : `signal ${child.signalCode}`;
      reject(new BpfError('EIO', 'linux:delegation', `the delegation child ended (${how}) without a result${err.text === '' ? '' : `\nchild stderr:\n${err.text.slice(-4000)}`}`));
    };
    const abort = (e: Error): void => {
      outcome ??= { ok: false, error: e };
      killGroup(child);
    };
    const timeoutMs = options.timeoutMs ?? 30_000;
    const timer = setTimeout(() => {
      abort(new BpfError('ETIMEDOUT', 'linux:delegation', `the delegation child did not finish within ${String(timeoutMs)} ms`));
    }, timeoutMs);

    const onEvent = (ev: ChildEvent): void => {
      if (ev.t === 'hello') {
        const pid = child.pid ?? 0;
        writeFileSync(`/proc/${String(pid)}/uid_map`, uidMap);
        writeFileSync(`/proc/${String(pid)}/gid_map`, gidMap);
        const r = native.sendfd(parentSock, MSG_MAPPED, -1);
        if (r < 0) throw fail(-r, 'linux:delegation', 'sendmsg to the child');
      } else if (ev.t === 'fsctx') {
        const buf = new Uint8Array(8);
        const n = native.recvfd(parentSock, MSG_DONTWAIT, buf);
        const fsfd = new DataView(buf.buffer).getInt32(0, true);
        if (n <= 0 || buf[4] !== MSG_FSCTX || fsfd < 0) {
          if (fsfd >= 0) native.close(fsfd);
          throw new BpfError('EPROTO', 'linux:delegation', `expected the child's fs_context fd (recvmsg gave ${String(n)})`);
        }
        let mnt = -1;
        try {
          mnt = makeMount(native, fsfd, options);
          const r = native.sendfd(parentSock, MSG_MOUNT, mnt);
          if (r < 0) throw fail(-r, 'linux:delegation', 'sendmsg of the mount fd to the child');
        } finally {
          native.close(fsfd);
          if (mnt >= 0) native.close(mnt);
        }
      } else {
        outcome ??= ev.ok ? { ok: true, value: ev.value } : { ok: false, error: childError(ev.error, err.text) };
      }
    };

    let pending = '';
    const events = child.stdio[4] as NodeJS.ReadableStream | null;
    events?.setEncoding('utf8');
    events?.on('data', (chunk: string) => {
      pending += chunk;
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        try {
          onEvent(JSON.parse(line) as ChildEvent);
        } catch (e) {
          abort(e instanceof Error ? e : new Error(String(e)));
        }
      }
    });
    child.on('error', (e) => {
      abort(new BpfError('ENOSYS', 'linux:delegation', `could not start ${options.unshare ?? 'unshare'}: ${e.message}`, { cause: e }));
      finish();
    });
    child.on('close', finish);
    // 'close' waits for the stdio pipes; a grandchild the module left running may hold them open.
    child.on('exit', () => {
      setTimeout(() => {
        if (child.stdout !== null) child.stdout.destroy();
        if (child.stderr !== null) child.stderr.destroy();
        finish();
      }, 2000).unref();
    });
  });
}

/**
 * Whether {@link runWithDelegatedBpffs} can work here, and if not, why.
 *
 * @example
 * const a: DelegationAvailability = delegationAvailability();
 */
export type DelegationAvailability = { readonly available: true } | { readonly available: false; readonly reason: string };

/**
 * Checks, without throwing, what {@link runWithDelegatedBpffs} needs: Linux, the bridge, root
 * (CAP_SYS_ADMIN in the init userns, to set delegate_*), and `unshare --user --mount` working.
 *
 * @example
 * const a = delegationAvailability();
 * if (!a.available) console.log(`skipped: ${a.reason}`);
 */
export function delegationAvailability(options: Pick<DelegatedRunOptions, 'unshare' | 'cacheDir' | 'compiler'> = {}): DelegationAvailability {
  try {
    loadNativeBridge(options);
  } catch (e) {
    return { available: false, reason: (e as Error).message };
  }
  if (process.getuid?.() !== 0) return { available: false, reason: 'not root: setting delegate_* needs CAP_SYS_ADMIN in the init user namespace' };
  const r = spawnSync(options.unshare ?? 'unshare', ['--user', '--mount', '--map-root-user', 'true'], { stdio: 'pipe', timeout: 10_000 });
  if (r.error !== undefined) return { available: false, reason: `unshare could not run: ${r.error.message}` };
  if (r.status !== 0) return { available: false, reason: `unshare --user --mount failed: ${r.stderr.toString().trim()}` };
  return { available: true };
}
