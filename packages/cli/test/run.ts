import { main } from '@bpfkit/cli';

/** What one CLI run printed. */
export interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `bpfkit ARGS` in-process and captures its output. */
export async function run(...argv: string[]): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    stdout: { write: (s: string) => ((stdout += s), true) },
    stderr: { write: (s: string) => ((stderr += s), true) },
  });
  return { code, stdout, stderr };
}

/** The repository's examples folder. */
export const EXAMPLES = new URL('../../../examples/', import.meta.url).pathname;
