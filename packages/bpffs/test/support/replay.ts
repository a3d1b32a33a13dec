// Replays the mount-related steps of corpus/token/scenarios.json against bpffs
// with a minimal stand-in for the VFS (fsopen/fsconfig/fsmount/fspick/mount):
// only the VFS checks these scenarios reach are modelled here; the real VFS is
// @bpfkit/kernel's.
import { BpfError, type BpfFs, type Credentials, type FsContext, type FsParameter, type SuperBlock, type UserNamespace } from '@bpfkit/kernel-api';
import { CAP_FULL_SET, Capability, capByName } from '@bpfkit/uapi';
import { DELEGATE_ENUMS, DELEGATE_KINDS, createBpfFs } from '@bpfkit/bpffs';
import { capabilities, childNs, cred, hostRoot, userNamespaces } from './world.js';

export interface Result {
  readonly ok: boolean;
  readonly errno: string | null;
  readonly info?: { readonly log?: readonly string[]; readonly super_opts?: string; readonly fdinfo?: readonly string[] };
}
export interface Step {
  readonly spawn?: string;
  readonly spec?: Record<string, unknown>;
  readonly parent?: string;
  readonly actor?: string;
  readonly op?: string;
  readonly args?: Record<string, unknown>;
  readonly save?: string;
  readonly pass_fd?: { from: string; h: string; to: string; save: string };
  readonly expect: Result;
}
export interface Scenario {
  readonly name: string;
  readonly steps: readonly Step[];
}

type Handle =
  | { kind: 'fsctx'; ctx: FsContext; phase: 'params' | 'created' | 'reconf' | 'failed'; sb?: SuperBlock }
  | { kind: 'mnt' | 'file'; sb: SuperBlock };

interface Actor {
  cred: Credentials;
  saved: Credentials;
  mntnsOwner: UserNamespace;
  handles: Map<string, Handle>;
  mounts: Map<string, SuperBlock>;
}

/** One compared step: a name, and a problem (undefined when it matched). */
export interface Outcome {
  readonly vector: string;
  readonly problem: string | undefined;
}

const SYS_ADMIN = Capability.CAP_SYS_ADMIN;
const nsCapable = (c: Credentials, ns: UserNamespace): boolean => capabilities.capCapable(c, ns, SYS_ADMIN);

function errnoOf(e: unknown): string {
  if (e instanceof BpfError) return e.code;
  throw e;
}

function spawn(step: Step, actors: Map<string, Actor>): Actor {
  const parent = step.parent === undefined ? undefined : actors.get(step.parent);
  let c: Credentials = parent?.cred ?? hostRoot;
  let mntnsOwner = parent?.mntnsOwner ?? hostRoot.userNs;
  const spec = step.spec ?? {};
  const setId = (id: number): Credentials => {
    const kid = userNamespaces.mapDown(c.userNs, 'uid', id);
    return { ...cred(c.userNs, kid, 0n) };
  };
  if (typeof spec.pre_uid === 'number') c = setId(spec.pre_uid);
  if (spec.userns === true) {
    const map = spec.map === 'self' ? `0 ${typeof spec.self_outer_uid === 'number' ? spec.self_outer_uid : 0} 1` : typeof spec.uid_map === 'string' ? spec.uid_map : '0 100000 65536';
    const ns = childNs(c.userNs, c.euid, map);
    c = cred(ns, userNamespaces.mapDown(ns, 'uid', 0), CAP_FULL_SET);
  }
  if (spec.mntns === true) mntnsOwner = c.userNs;
  if (typeof spec.uid === 'number') c = setId(spec.uid);
  return { cred: c, saved: c, mntnsOwner, handles: new Map(), mounts: new Map() };
}

function newContext(fs: BpfFs, c: Credentials, purpose: 'new' | 'reconfigure', sb?: SuperBlock): FsContext {
  const ctx: FsContext = { fsType: fs, purpose, userNs: sb?.userNs ?? c.userNs, cred: c, superblock: sb, fsPrivate: undefined, log: [] };
  fs.initFsContext(ctx);
  return ctx;
}

function create(fs: BpfFs, h: Handle & { kind: 'fsctx' }, c: Credentials): void {
  if (h.phase !== 'params') throw new BpfError('EBUSY', 'test:phase', 'not awaiting params');
  // mount_capable() for an FS_USERNS_MOUNT type, then bpffs's own rule.
  if (!nsCapable(c, h.ctx.userNs)) {
    h.phase = 'failed';
    throw new BpfError('EPERM', 'test:mount-capable', 'mount_capable');
  }
  try {
    h.sb = fs.getTree(h.ctx, c);
    h.phase = 'created';
  } catch (e) {
    h.phase = 'failed';
    throw e;
  }
}

function fdinfoProblem(sb: SuperBlock, fs: BpfFs, lines: readonly string[]): string | undefined {
  const masks = fs.delegateMasks(sb);
  if (masks === undefined) return 'not a bpffs';
  for (const kind of DELEGATE_KINDS) {
    const line = lines.find((l) => l.startsWith(`allowed_${kind}:\t`));
    if (line === undefined) continue;
    const text = line.slice(line.indexOf('\t') + 1);
    const known = DELEGATE_ENUMS[kind].knownMask;
    const ok = text === 'any' ? (masks[kind] & known) === known : BigInt(text) === masks[kind];
    if (!ok) return `${kind}: mask 0x${masks[kind].toString(16)} vs fdinfo ${text}`;
  }
  return undefined;
}

/** Runs one scenario; returns the outcome of every step bpffs decides. */
export function replay(s: Scenario): Outcome[] {
  const fs = createBpfFs({ userNamespaces, capabilities });
  const actors = new Map<string, Actor>();
  const out: Outcome[] = [];
  s.steps.forEach((step, i) => {
    if (step.spawn !== undefined) {
      actors.set(step.spawn, spawn(step, actors));
      return;
    }
    if (step.pass_fd !== undefined) {
      const h = actors.get(step.pass_fd.from)?.handles.get(step.pass_fd.h);
      if (h !== undefined) actors.get(step.pass_fd.to)?.handles.set(step.pass_fd.save, h);
      return;
    }
    const actor = step.actor === undefined ? undefined : actors.get(step.actor);
    if (actor === undefined || step.op === undefined) return;
    const args = step.args ?? {};
    const vector = `${s.name}#${i}:${step.op}`;
    let modelled = true;
    let got: Result;
    try {
      got = run(fs, actor, step.op, args, step.save);
      if (got.errno === 'unmodelled') modelled = false;
    } catch (e) {
      got = { ok: false, errno: errnoOf(e) };
    }
    if (!modelled) return;
    // A token's own checks are @bpfkit/token's; only a created token's masks come from bpffs.
    if (step.op === 'token_create' && (!step.expect.ok || step.expect.info?.fdinfo === undefined)) return;
    out.push({ vector, problem: compare(fs, actor, step, got) });
  });
  return out;
}

function compare(fs: BpfFs, actor: Actor, step: Step, got: Result): string | undefined {
  const want = step.expect;
  if (step.op === 'token_create') {
    // Only the masks the token copies from bpffs are ours to check.
    const h = actor.handles.get(String(step.args?.bpffs));
    if (!want.ok || want.info?.fdinfo === undefined || h === undefined || h.kind !== 'file') return undefined;
    return fdinfoProblem(h.sb, fs, want.info.fdinfo);
  }
  if (got.ok !== want.ok || got.errno !== want.errno) return `expected ${want.errno ?? 'ok'}, got ${got.errno ?? 'ok'}`;
  if (want.info?.log !== undefined && JSON.stringify(got.info?.log ?? []) !== JSON.stringify(want.info.log)) {
    return `log ${JSON.stringify(got.info?.log)} vs ${JSON.stringify(want.info.log)}`;
  }
  if (want.info?.super_opts !== undefined && got.info?.super_opts !== want.info.super_opts) {
    return `super_opts '${got.info?.super_opts ?? ''}' vs '${want.info.super_opts}'`;
  }
  return undefined;
}

function run(fs: BpfFs, actor: Actor, op: string, args: Record<string, unknown>, save: string | undefined): Result {
  const ok: Result = { ok: true, errno: null };
  const c = actor.cred;
  switch (op) {
    case 'fsopen': {
      if (!nsCapable(c, actor.mntnsOwner)) throw new BpfError('EPERM', 'test:fsopen', 'may_mount');
      if (save !== undefined) actor.handles.set(save, { kind: 'fsctx', ctx: newContext(fs, c, 'new'), phase: 'params' });
      return ok;
    }
    case 'fsconfig': {
      const h = actor.handles.get(String(args.fs));
      if (h?.kind !== 'fsctx') return { ok: false, errno: 'unmodelled' };
      const before = h.ctx.log.length;
      const withLog = (r: Result): Result => ({ ...r, info: { log: h.ctx.log.splice(before) } });
      try {
        switch (args.cmd) {
          case 'SET_STRING':
          case 'SET_FLAG': {
            if (h.phase !== 'params' && h.phase !== 'reconf') throw new BpfError('EBUSY', 'test:phase', 'busy');
            const key = String(args.key);
            const param: FsParameter = args.cmd === 'SET_FLAG' ? { type: 'flag', key } : { type: 'string', key, value: String(args.value) };
            fs.parseParam(h.ctx, param, c);
            return withLog(ok);
          }
          case 'CMD_CREATE':
            create(fs, h, c);
            return withLog(ok);
          case 'CMD_RECONFIGURE': {
            const sb = h.ctx.superblock;
            if (h.phase !== 'reconf' || sb === undefined) throw new BpfError('EBUSY', 'test:phase', 'busy');
            if (!nsCapable(c, sb.userNs)) throw new BpfError('EPERM', 'test:reconfigure', 'reconfigure');
            fs.reconfigure?.(h.ctx, c);
            return withLog(ok);
          }
          default:
            return { ok: false, errno: 'unmodelled' };
        }
      } catch (e) {
        return withLog({ ok: false, errno: errnoOf(e) });
      }
    }
    case 'fsmount': {
      const h = actor.handles.get(String(args.fs));
      if (h?.kind !== 'fsctx' || h.phase !== 'created' || h.sb === undefined) throw new BpfError('EINVAL', 'test:fsmount', 'not created');
      if (save !== undefined) actor.handles.set(save, { kind: 'mnt', sb: h.sb });
      return ok;
    }
    case 'open': {
      const h = typeof args.dir === 'string' ? actor.handles.get(args.dir) : undefined;
      if (h === undefined || h.kind === 'fsctx' || args.rel !== '.') return { ok: false, errno: 'unmodelled' };
      if (save !== undefined) actor.handles.set(save, { kind: 'file', sb: h.sb });
      return { ok: false, errno: 'unmodelled' };
    }
    case 'move_mount': {
      const h = actor.handles.get(String(args.mnt));
      if (h !== undefined && h.kind !== 'fsctx') actor.mounts.set(String(args.to), h.sb);
      return { ok: false, errno: 'unmodelled' };
    }
    case 'mount': {
      if ((Number(args.flags) & 4096) !== 0) return { ok: false, errno: 'unmodelled' };
      if (!nsCapable(c, actor.mntnsOwner)) throw new BpfError('EPERM', 'test:may-mount', 'may_mount');
      const h = { kind: 'fsctx' as const, ctx: newContext(fs, c, 'new'), phase: 'params' as 'params' | 'created' | 'failed' };
      if (typeof args.data === 'string') {
        for (const part of args.data.split(',').filter((p) => p !== '')) {
          const eq = part.indexOf('=');
          fs.parseParam(h.ctx, eq < 0 ? { type: 'flag', key: part } : { type: 'string', key: part.slice(0, eq), value: part.slice(eq + 1) }, c);
        }
      }
      const handle: Handle & { kind: 'fsctx' } = h;
      create(fs, handle, c);
      if (handle.sb !== undefined) actor.mounts.set(String(args.target), handle.sb);
      return ok;
    }
    case 'fspick': {
      const sb = actor.mounts.get(String(args.path));
      if (sb === undefined) return { ok: false, errno: 'unmodelled' };
      if (!nsCapable(c, actor.mntnsOwner)) throw new BpfError('EPERM', 'test:may-mount', 'may_mount');
      if (save !== undefined) actor.handles.set(save, { kind: 'fsctx', ctx: newContext(fs, c, 'reconfigure', sb), phase: 'reconf' });
      return ok;
    }
    case 'mount_opts': {
      const sb = actor.mounts.get(String(args.path));
      if (sb === undefined) return { ok: false, errno: 'unmodelled' };
      return { ok: true, errno: null, info: { super_opts: `rw${fs.showOptions(sb)}` } };
    }
    case 'drop_caps': {
      const names = Array.isArray(args.caps) ? args.caps.map(String) : [];
      const drop = args.all === true ? CAP_FULL_SET : names.reduce((m, n) => m | (1n << BigInt(capByName(n) ?? 0)), 0n);
      actor.cred = { ...c, effective: c.effective & ~drop };
      return { ok: false, errno: 'unmodelled' };
    }
    case 'restore_caps':
      actor.cred = actor.saved;
      return { ok: false, errno: 'unmodelled' };
    case 'token_create':
      return ok;
    default:
      return { ok: false, errno: 'unmodelled' };
  }
}
