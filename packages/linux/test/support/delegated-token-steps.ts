// Child module for runWithDelegatedBpffs: the token steps inside the delegated userns.
import type { DelegatedMain } from '@bpfkit/linux/delegation';
import { runTokenSteps, type StepOutcome } from './token-steps.js';

/** The steps' outcomes, the child's uid and the env vars the harness set. */
export interface DelegatedSteps {
  readonly steps: Record<string, StepOutcome>;
  readonly uid: number;
  readonly env: string;
}

const main: DelegatedMain<null, DelegatedSteps> = (_args, ctx) => ({
  steps: runTokenSteps(ctx.sys, ctx.bpffsFd, ctx.bpffsPath, ctx.mountFd),
  uid: process.getuid?.() ?? -1,
  env: `${process.env.BPFKIT_BPFFS_FD ?? ''} ${process.env.BPFKIT_BPFFS_PATH ?? ''}`,
});
export default main;
