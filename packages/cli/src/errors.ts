/** A usage or input problem the CLI reports as one line, exit code 2. */
export class CliError extends Error {
  override readonly name = 'CliError';
}

/** The kernel refused, said in the CLI's own words (e.g. with the verifier log): exit code 1. */
export class KernelRefusal extends Error {
  override readonly name = 'KernelRefusal';
}

/** The fields of `@bpfkit/kernel-api`'s BpfError that the CLI prints. */
interface KernelError {
  readonly code: string;
  readonly reason: string;
  readonly message: string;
}

/**
 * A BpfError, recognised by its shape so that this module (loaded by `bpfkit --help`)
 * does not import the packages.
 */
function isKernelError(e: unknown): e is KernelError {
  return e instanceof Error && e.name === 'BpfError' && 'code' in e && typeof e.code === 'string' && 'reason' in e && typeof e.reason === 'string';
}

/** One line for any failure: `bpfkit: EINVAL (asm:reserved-field): BPF_ALU uses reserved fields`. */
export function describeError(e: unknown): string {
  if (isKernelError(e)) return `${e.code} (${e.reason}): ${e.message}`;
  if (e instanceof CliError || e instanceof KernelRefusal) return e.message;
  if (e instanceof Error && 'code' in e && typeof e.code === 'string' && e.code.startsWith('E')) {
    return `${e.code}: ${e.message}`;
  }
  return e instanceof Error ? e.message : String(e);
}

/** Exit code: 1 for a kernel-style failure, 2 for bad usage or unreadable input. */
export function exitCodeFor(e: unknown): number {
  return isKernelError(e) || e instanceof KernelRefusal ? 1 : 2;
}

/**
 * Ends a command with an exit code after it has printed its own output, e.g.
 * `verify` on a rejected program (the verdict is the output, not an error).
 */
export class ExitWith extends Error {
  override readonly name = 'ExitWith';
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}
