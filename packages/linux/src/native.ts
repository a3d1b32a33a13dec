import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { accessSync, constants, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BpfError } from '@bpfkit/kernel-api';

/** The functions of `native/bpfkit_linux.c`; every one returns -errno instead of throwing. */
export interface NativeBridge {
  bpf(cmd: number, attr: Uint8Array): number;
  close(fd: number): number;
  alloc(size: number): bigint;
  free(addr: bigint): number;
  /** `toUser` 1: writes `bytes` at `addr`; 0: reads from `addr` into `bytes`. */
  copy(addr: bigint, bytes: Uint8Array, toUser: 0 | 1): number;
  /** `mmap(NULL, length, prot, flags, fd, offset)`: 0 with the address in `out`, or -errno. */
  mmap(fd: number, length: number, prot: number, flags: number, offset: number, out: Uint8Array): number;
  munmap(addr: bigint, length: number): number;
  /** `open(path, flags | O_CLOEXEC)`; `path` NUL-terminated. */
  open(path: Uint8Array, flags: number): number;
  /** `fsopen(name, flags)`; `name` NUL-terminated. */
  fsopen(name: Uint8Array, flags: number): number;
  /** `fsconfig(fd, cmd, key, value, aux)`; strings NUL-terminated, an empty array is NULL. */
  fsconfig(fd: number, cmd: number, key: Uint8Array, value: Uint8Array, aux: number): number;
  /** `fsmount(fd, flags, attrFlags)`: an O_PATH mount fd. */
  fsmount(fd: number, flags: number, attrFlags: number): number;
  /** `move_mount(fd, "", AT_FDCWD, toPath, MOVE_MOUNT_F_EMPTY_PATH)`: attaches an fsmount() fd. */
  moveMount(fd: number, toPath: Uint8Array): number;
  /** `socketpair(AF_UNIX, type, 0)`: 0 with the two fds (int32 LE) in `out`. */
  socketpair(type: number, out: Uint8Array): number;
  /** `sendmsg` of one byte, with `fd` attached by SCM_RIGHTS unless it is negative. */
  sendfd(sock: number, byte: number, fd: number): number;
  /** `recvmsg` of one byte (flags: 0 or MSG_DONTWAIT): bytes read, with the fd (or -1) at out[0..4] and the byte at out[4]. */
  recvfd(sock: number, flags: number, out: Uint8Array): number;
  /** `sched_setaffinity` of the calling thread to one CPU, or to all for a negative `cpu`. */
  pinCpu(cpu: number): number;
  /** `perf_event_open(attr, pid, cpu, group_fd, flags)`: the fd or -errno; `attr` at least 8 bytes and `attr.size` long. */
  perfEventOpen(attr: Uint8Array, pid: number, cpu: number, groupFd: number, flags: number): number;
  /** `ioctl(fd, request, arg)` for PERF_EVENT_IOC_ENABLE/DISABLE only (else -ENOTTY): 0 or -errno. */
  perfIoctl(fd: number, request: number, arg: number): number;
  /** Forks a scenario actor serving requests on `sock` (it never returns to JavaScript): its pid or -errno. */
  actorFork(sock: number): number;
  /**
   * Sends `req` to an actor (with `fd` attached unless negative) and waits up to `timeoutMs` for the
   * reply in `resp`: its length or -errno (-ETIMEDOUT); `out` gets the fd attached to the reply or -1.
   */
  actorCall(sock: number, req: Uint8Array, fd: number, resp: Uint8Array, timeoutMs: number, out: Uint8Array): number;
  /** `waitpid(pid, flags)` (flags: 0 or WNOHANG): the status with bit 30 set, 0 if still running, or -errno. */
  waitpid(pid: number, flags: number): number;
}

/** Where and how the bridge is built; see {@link LinuxSyscallOptions}. */
export interface BuildOptions {
  readonly cacheDir?: string;
  readonly compiler?: string;
}

const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const sourcePath = join(packageRoot, 'native', 'bpfkit_linux.c');
const loaded = new Map<string, NativeBridge>();

function unavailable(message: string, cause?: unknown): BpfError {
  return new BpfError('ENOSYS', 'linux:unavailable', message, cause === undefined ? {} : { cause });
}

function usableDir(dir: string, mustBePrivate: boolean): boolean {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    accessSync(dir, constants.W_OK);
    if (!mustBePrivate) return true;
    // A shared temp dir must be ours alone, or someone else could plant the library we load.
    const st = statSync(dir);
    return st.uid === process.getuid?.() && (st.mode & 0o022) === 0;
  } catch {
    return false;
  }
}

function cacheDirFor(options: BuildOptions): string {
  if (options.cacheDir !== undefined) {
    if (!usableDir(options.cacheDir, false)) throw unavailable(`cache folder ${options.cacheDir} is not writable`);
    return options.cacheDir;
  }
  const inPackage = join(packageRoot, 'node_modules', '.cache', 'bpfkit-linux');
  if (usableDir(inPackage, false)) return inPackage;
  const inTmp = join(tmpdir(), `bpfkit-linux-${String(process.getuid?.() ?? 'user')}`);
  if (usableDir(inTmp, true)) return inTmp;
  throw unavailable(`no writable cache folder for the native bridge (tried ${inPackage} and ${inTmp})`);
}

function build(source: string, out: string, compiler: string): void {
  const tmp = `${out}.${String(process.pid)}.${String(Date.now())}.tmp`;
  try {
    execFileSync(compiler, ['-shared', '-fPIC', '-O2', '-o', tmp, source], { stdio: 'pipe', timeout: 120_000 });
    // rename is atomic: concurrent first uses (ava workers) each build, the last rename wins, all load a whole file.
    renameSync(tmp, out);
  } catch (e) {
    rmSync(tmp, { force: true });
    const stderr = (e as { stderr?: Buffer }).stderr?.toString().trim().split('\n')[0];
    throw unavailable(`could not build the native bridge with ${compiler}: ${stderr ?? (e as Error).message}`, e);
  }
}

/**
 * Builds (once, into a cache folder keyed by the source and the Node ABI) and
 * loads the native bridge. Throws `BpfError('ENOSYS', 'linux:unavailable')`
 * when this is not Linux or the bridge cannot be built or loaded.
 */
export function loadNativeBridge(options: BuildOptions = {}): NativeBridge {
  if (process.platform !== 'linux') throw unavailable(`bpf() exists only on Linux (this is ${process.platform})`);
  if (!existsSync(sourcePath)) throw unavailable(`native source missing: ${sourcePath}`);
  const source = readFileSync(sourcePath);
  const key = createHash('sha256')
    .update(source)
    .update(`${process.arch}/${process.versions.modules}`)
    .digest('hex')
    .slice(0, 16);
  const dir = cacheDirFor(options);
  const out = join(dir, `bpfkit_linux-${key}.node`);
  const hit = loaded.get(out);
  if (hit !== undefined) return hit;
  if (!existsSync(out)) build(sourcePath, out, options.compiler ?? 'cc');
  const mod = { exports: {} as NativeBridge };
  try {
    process.dlopen(mod, out);
  } catch (e) {
    throw unavailable(`could not load the native bridge ${out}: ${(e as Error).message}`, e);
  }
  loaded.set(out, mod.exports);
  return mod.exports;
}
