import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { O_RDONLY, type BtfView, type Kernel, type Task } from '@bpfkit/kernel-api';
import { Capability, capByName } from '@bpfkit/uapi';
import type { CaseFileContext, ReplayTarget } from './replay.js';
import type { CorpusCase, FixupKind } from './schema.js';

/** A case file of the verifier corpus with what its replay needs. */
export interface CaseFile {
  readonly cases: readonly CorpusCase[];
  readonly context: CaseFileContext;
}

/**
 * Reads a verifier-corpus case file (`{"cases": [...]}`, classic or progs).
 * `fixup_kinds.json` is taken from `fixupsPath`, else beside the file, else
 * one folder up; a file without classic fixups needs none.
 *
 * @example
 * const file = readCaseFile('corpus/verifier/classic/and.json', { vmlinux });
 */
export function readCaseFile(path: string, options: { readonly fixupsPath?: string; readonly vmlinux?: BtfView } = {}): CaseFile {
  const json = JSON.parse(readFileSync(path, 'utf8')) as { cases?: CorpusCase[]; btf_blobs?: Record<string, string> };
  if (!Array.isArray(json.cases)) throw new TypeError(`${path}: not a case file (no "cases" array)`);
  const dir = dirname(path);
  const candidates = options.fixupsPath !== undefined ? [options.fixupsPath] : [join(dir, 'fixup_kinds.json'), join(dir, '..', 'fixup_kinds.json')];
  const found = candidates.find((p) => existsSync(p));
  const fixupKinds = found === undefined ? {} : (JSON.parse(readFileSync(found, 'utf8')) as Record<string, FixupKind>);
  return { cases: json.cases, context: { dir, btfBlobs: json.btf_blobs ?? {}, fixupKinds, vmlinux: options.vmlinux } };
}

/**
 * A {@link ReplayTarget} in a simulated kernel: each case runs in a fresh
 * child of init with the corpus harness's privileges (root, CAP_SYS_ADMIN
 * dropped from the effective set, and whatever the case drops), and exits
 * afterwards, so nothing outlives the case.
 *
 * @example
 * const target = simulatedReplayTarget(createDefaultKernel());
 */
export function simulatedReplayTarget(kernel: Kernel): ReplayTarget {
  const tasks = new Set<Task>();
  return {
    open(drop) {
      const task = kernel.init.fork({ fds: 'empty' });
      // Like any process, the harness had stdin, stdout and stderr open, so no object it made was fd 0, 1 or 2.
      for (let i = 0; i < 3; i++) task.open('/', O_RDONLY);
      const sets = task.capget();
      let effective = sets.effective & ~(1n << BigInt(Capability.CAP_SYS_ADMIN));
      for (const name of drop) {
        const cap = capByName(name);
        if (cap !== undefined) effective &= ~(1n << BigInt(cap));
      }
      task.capset({ effective, permitted: sets.permitted, inheritable: sets.inheritable });
      tasks.add(task);
      return task;
    },
    close(sys) {
      for (const t of tasks) {
        if (t === sys) {
          tasks.delete(t);
          t.exit();
        }
      }
    },
  };
}
