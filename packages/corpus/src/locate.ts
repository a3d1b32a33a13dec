import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The environment variable that points at the shared corpus folder (the one holding `corpus/` and `bench/`). */
export const SHARED_ENV = 'BPFKIT_SHARED';

function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'pnpm-workspace.yaml'))) {
    const up = dirname(dir);
    if (up === dir) return process.cwd();
    dir = up;
  }
  return dir;
}

/**
 * The shared folder: `$BPFKIT_SHARED`, else `../shared` beside the repository.
 * `undefined` when it is not there (a user's clone).
 */
export function sharedDir(): string | undefined {
  const fromEnv = process.env[SHARED_ENV];
  const dir = fromEnv !== undefined && fromEnv !== '' ? resolve(fromEnv) : resolve(repoRoot(), '..', 'shared');
  return existsSync(join(dir, 'corpus')) ? dir : undefined;
}

/** A path inside the shared folder, or `undefined` when the folder or the path is absent. */
export function sharedPath(...parts: string[]): string | undefined {
  const dir = sharedDir();
  if (dir === undefined) return undefined;
  const path = join(dir, ...parts);
  return existsSync(path) ? path : undefined;
}

/** The one line a corpus test prints when it skips. */
export function skipMessage(suite: string): string {
  return `${suite}: skipped, the shared corpus is not here (set ${SHARED_ENV} to the folder holding corpus/)`;
}
