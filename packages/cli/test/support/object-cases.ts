import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** The repository root (this file runs from packages/cli/dist-test/support). */
export const REPO_ROOT = new URL('../../../../', import.meta.url).pathname;

/** One object of the `elf-objects` set: the `.o`, its steps file if any, where its real-kernel record lives. */
export interface ObjectCase {
  /** Stable label: `examples/xdp_firewall`, `elf-fixtures/globals`. */
  readonly id: string;
  readonly object: string;
  readonly steps: string | undefined;
  readonly record: string;
  /** The real kernel's verifier logs of each program at levels 1 and 2. */
  readonly logRecord: string;
}

/** Where recorded real-kernel documents are kept, relative to the repo root. */
export const RECORD_DIR = 'packages/cli/test/fixtures/object-run';
/** Where recorded real-kernel verifier logs are kept, relative to the repo root. */
export const LOG_RECORD_DIR = 'packages/cli/test/fixtures/verifier-logs';

function casesIn(root: string, dir: string, label: string): ObjectCase[] {
  const abs = join(root, dir);
  if (!existsSync(abs)) return [];
  return readdirSync(abs).filter((f) => f.endsWith('.o')).sort().map((f) => {
    const base = f.slice(0, -2);
    const steps = join(abs, `${base}.steps.json`);
    return {
      id: `${label}/${base}`, object: join(abs, f),
      steps: existsSync(steps) ? steps : undefined,
      record: join(root, RECORD_DIR, `${label}--${base}.json`),
      logRecord: join(root, LOG_RECORD_DIR, `${label}--${base}.json`),
    };
  });
}

/**
 * The objects `object run` is measured on: the examples (with their steps) and
 * the ELF package's clang-built fixtures (open, load, dump).
 *
 * @example
 * objectCases(REPO_ROOT).map((c) => c.id); // ['examples/cgroup_counter', …, 'elf-fixtures/xdp_filter_v4']
 */
export function objectCases(root: string): ObjectCase[] {
  return [...casesIn(root, 'examples', 'examples'), ...casesIn(root, 'packages/elf/test/fixtures', 'elf-fixtures')];
}
