import { BpfError, S_IRWXUGO, type BpfFsOptions, type Credentials, type DelegateMasks, type FsContext } from '@bpfkit/kernel-api';

/**
 * `bpf_init_fs_context`'s defaults: mode 0777, the caller's fsuid/fsgid, no
 * delegation.
 */
export function defaultMountOptions(cred: Credentials): BpfFsOptions {
  return {
    mode: S_IRWXUGO,
    uid: cred.fsuid,
    gid: cred.fsgid,
    delegate: { cmds: 0n, maps: 0n, progs: 0n, attachs: 0n },
  };
}

/** The options an fs_context is building; EINVAL when the context was not set up by bpffs. */
export function contextOptions(ctx: FsContext): BpfFsOptions {
  const opts = ctx.fsPrivate;
  if (!isMountOptions(opts)) {
    throw new BpfError('EINVAL', 'bpffs:no-fs-context', 'the fs_context was not initialised by bpffs (initFsContext)');
  }
  return opts;
}

/** True for a {@link BpfFsOptions} object. */
export function isMountOptions(v: unknown): v is BpfFsOptions {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Partial<BpfFsOptions>;
  return typeof o.mode === 'number' && typeof o.uid === 'number' && typeof o.gid === 'number' && typeof o.delegate === 'object';
}

/** A frozen copy, as the superblock keeps it once created. */
export function freezeOptions(opts: BpfFsOptions): Readonly<BpfFsOptions> {
  return Object.freeze({
    mode: opts.mode,
    uid: opts.uid,
    gid: opts.gid,
    delegate: Object.freeze({ ...opts.delegate }),
  });
}

/** The four masks in the token's shape. */
export function toDelegateMasks(opts: Readonly<BpfFsOptions>): DelegateMasks {
  return Object.freeze({
    cmds: opts.delegate.cmds,
    maps: opts.delegate.maps,
    progs: opts.delegate.progs,
    attachs: opts.delegate.attachs,
  });
}
