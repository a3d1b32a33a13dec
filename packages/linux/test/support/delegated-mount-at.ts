// Child module: the bpffs mounted at a path (mountAt) gives a token through that path.
import { readFileSync } from 'node:fs';
import { isBpfError } from '@bpfkit/kernel-api';
import type { DelegatedMain } from '@bpfkit/linux/delegation';
import { BpfCmd, encodeTokenCreateAttr } from '@bpfkit/uapi';

const O_DIRECTORY = 0o200000;

/** The token outcome through the mounted path, and the bpffs lines of this mount ns. */
export interface MountAtResult {
  readonly path: string;
  readonly token: string;
  readonly mounts: readonly string[];
}

const main: DelegatedMain<null, MountAtResult> = (_args, ctx) => {
  const fd = ctx.sys.open(ctx.bpffsPath, O_DIRECTORY);
  let token = 'ok';
  try {
    ctx.sys.close(ctx.sys.bpf(BpfCmd.BPF_TOKEN_CREATE, encodeTokenCreateAttr({ bpffs_fd: fd })));
  } catch (e) {
    if (!isBpfError(e)) throw e;
    token = e.code;
  }
  ctx.sys.close(fd);
  const mounts = readFileSync('/proc/self/mounts', 'utf8').split('\n').filter((l) => l.split(' ')[2] === 'bpf');
  return { path: ctx.bpffsPath, token, mounts };
};
export default main;
