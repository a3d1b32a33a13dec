// Entry of the child Node process started by runWithDelegatedBpffs, inside a fresh user and
// mount namespace. Not a public module: the parent runs it as a script.
import { writeSync } from 'node:fs';
import { O_DIRECTORY } from '@bpfkit/kernel-api';
import { loadNativeBridge, type NativeBridge } from '../native.js';
import { createLinuxSyscall } from '../syscall.js';
import type { DelegatedContext } from './context.js';
import {
  CHILD_EVENTS_FD,
  CHILD_SOCK_FD,
  CHILD_SPEC_ENV,
  FSOPEN_CLOEXEC,
  MSG_FSCTX,
  MSG_MOUNT,
  cstr,
  type ChildError,
  type ChildEvent,
  type ChildSpec,
} from './protocol.js';

function emit(event: ChildEvent): void {
  const bytes = Buffer.from(`${JSON.stringify(event)}\n`);
  let off = 0;
  while (off < bytes.length) {
    try {
      off += writeSync(CHILD_EVENTS_FD, bytes, off);
    } catch (e) {
      if ((e as { code?: string }).code !== 'EAGAIN') throw e;
    }
  }
}

function describe(e: unknown, stage: ChildError['stage']): ChildError {
  if (e instanceof Error) {
    const { code, reason } = e as { code?: unknown; reason?: unknown };
    return {
      name: e.name,
      message: e.message,
      stage,
      ...(typeof code === 'string' ? { code } : {}),
      ...(typeof reason === 'string' ? { reason } : {}),
      ...(e.stack === undefined ? {} : { stack: e.stack }),
    };
  }
  return { name: 'Error', message: String(e), stage };
}

class SetupError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = 'SetupError';
  }
}

function errnoCode(neg: number): string {
  return `errno ${String(-neg)}`;
}

/** Blocks until the parent sends `expect`; returns the fd that came with it (or -1). */
function receive(native: NativeBridge, expect: number): number {
  const out = new Uint8Array(8);
  const n = native.recvfd(CHILD_SOCK_FD, 0, out);
  if (n <= 0) throw new SetupError(n === 0 ? 'the parent closed the control socket' : `recvmsg failed: ${errnoCode(n)}`, 'EPIPE');
  const fd = new DataView(out.buffer).getInt32(0, true);
  if (out[4] !== expect) {
    if (fd >= 0) native.close(fd);
    throw new SetupError(`unexpected control message ${String(out[4])}`, 'EPROTO');
  }
  return fd;
}

function setup(native: NativeBridge, spec: ChildSpec): DelegatedContext {
  // The shell wrapper already said hello and waited for the id maps, then exec'd us: as uid 0 of
  // a mapped userns, the exec kept every capability there.
  const fsfd = native.fsopen(cstr('bpf'), FSOPEN_CLOEXEC);
  if (fsfd < 0) throw new SetupError(`fsopen("bpf") in the child failed: ${errnoCode(fsfd)}`, 'EFSOPEN');
  const sent = native.sendfd(CHILD_SOCK_FD, MSG_FSCTX, fsfd);
  native.close(fsfd);
  if (sent < 0) throw new SetupError(`sendmsg of the fs_context fd failed: ${errnoCode(sent)}`, 'EPIPE');
  emit({ t: 'fsctx' });
  const mountFd = receive(native, MSG_MOUNT);
  if (mountFd < 0) throw new SetupError('the parent sent no mount fd', 'EPROTO');
  if (spec.mountAt !== undefined) {
    const r = native.moveMount(mountFd, cstr(spec.mountAt));
    if (r < 0) throw new SetupError(`move_mount of the bpffs onto ${spec.mountAt} in the child failed: ${errnoCode(r)}`, 'EMOUNT');
  }
  const bpffsPath = spec.mountAt ?? `/proc/self/fd/${String(mountFd)}`;
  const bpffsFd = native.open(cstr(bpffsPath), O_DIRECTORY);
  if (bpffsFd < 0) throw new SetupError(`open(${bpffsPath}) in the child failed: ${errnoCode(bpffsFd)}`, 'EOPEN');
  process.env.BPFKIT_BPFFS_MOUNT_FD = String(mountFd);
  process.env.BPFKIT_BPFFS_FD = String(bpffsFd);
  process.env.BPFKIT_BPFFS_PATH = bpffsPath;
  const sys = createLinuxSyscall({
    probe: false,
    ...(spec.cacheDir === undefined ? {} : { cacheDir: spec.cacheDir }),
    ...(spec.compiler === undefined ? {} : { compiler: spec.compiler }),
  });
  return { sys, bpffsFd, mountFd, bpffsPath };
}

async function main(): Promise<void> {
  const raw = process.env[CHILD_SPEC_ENV];
  Reflect.deleteProperty(process.env, CHILD_SPEC_ENV);
  let ctx: DelegatedContext;
  let spec: ChildSpec;
  try {
    if (raw === undefined) throw new SetupError(`${CHILD_SPEC_ENV} is not set: this script is started by runWithDelegatedBpffs`, 'EINVAL');
    spec = JSON.parse(raw) as ChildSpec;
    const native = loadNativeBridge({
      ...(spec.cacheDir === undefined ? {} : { cacheDir: spec.cacheDir }),
      ...(spec.compiler === undefined ? {} : { compiler: spec.compiler }),
    });
    ctx = setup(native, spec);
  } catch (e) {
    emit({ t: 'result', ok: false, error: describe(e, 'setup') });
    process.exit(1);
  }
  try {
    const mod = (await import(spec.moduleUrl)) as { default?: unknown };
    if (typeof mod.default !== 'function') throw new TypeError(`${spec.moduleUrl} has no default export function`);
    const value: unknown = await (mod.default as (a: unknown, c: DelegatedContext) => unknown)(spec.args, ctx);
    emit({ t: 'result', ok: true, value: value ?? null });
  } catch (e) {
    emit({ t: 'result', ok: false, error: describe(e, 'module') });
    process.exit(1);
  }
  process.exit(0);
}

await main();
