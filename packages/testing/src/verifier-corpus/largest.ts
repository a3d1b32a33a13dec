import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** A corpus case picked by {@link largestCorpusCases}. */
export interface LargestCorpusCase {
  readonly id: string;
  /** The case file holding it (pass to `readCaseFile`). */
  readonly path: string;
  /** `processed N insns` of the kernel's recorded log. */
  readonly processed: number;
  readonly result: 'accept' | 'reject';
}

interface RecordedVerdict {
  readonly id?: unknown;
  readonly kernel?: { readonly result?: unknown; readonly processed_insns?: unknown; readonly blocked_before_verifier?: unknown };
}

/**
 * The `count` cases of a verifier corpus (`<root>/classic` and `<root>/progs`)
 * on which the kernel's verifier worked longest: highest `processed N insns`
 * in its recorded log, among the cases it accepted or rejected itself (not
 * those refused before its verifier ran). Ties go by id, so the choice is
 * the same on every run.
 *
 * @example
 * for (const pick of largestCorpusCases('shared/corpus/verifier', 20)) {
 *   const file = readCaseFile(pick.path, { vmlinux });
 *   const c = file.cases.find((x) => x.id === pick.id);
 * }
 */
export function largestCorpusCases(root: string, count: number): LargestCorpusCase[] {
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`largestCorpusCases: count must be a non-negative integer, not ${count}`);
  const picks: LargestCorpusCase[] = [];
  for (const dir of ['classic', 'progs']) {
    let names: string[];
    try {
      names = readdirSync(join(root, dir));
    } catch {
      continue;
    }
    for (const name of names.filter((f) => f.endsWith('.json')).sort()) {
      const path = join(root, dir, name);
      const json = JSON.parse(readFileSync(path, 'utf8')) as { cases?: unknown };
      if (!Array.isArray(json.cases)) continue;
      for (const c of json.cases as RecordedVerdict[]) {
        const k = c.kernel;
        if (typeof c.id !== 'string' || k === undefined || k.blocked_before_verifier === true) continue;
        if ((k.result !== 'accept' && k.result !== 'reject') || typeof k.processed_insns !== 'number') continue;
        picks.push({ id: c.id, path, processed: k.processed_insns, result: k.result });
      }
    }
  }
  picks.sort((a, b) => b.processed - a.processed || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return picks.slice(0, count);
}
