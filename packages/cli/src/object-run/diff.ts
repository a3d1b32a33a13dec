import type { ObjectRunDocument } from './document.js';

/** One place where two documents disagree: a JSON path and both values. */
export interface DocumentDifference {
  readonly path: string;
  readonly left: unknown;
  readonly right: unknown;
}

const PROCESSED = /^processed (\d+) insns/;

/** The verifier's error: the last line of a failed load's log before its `processed` line. */
function errorLine(tail: readonly string[] | undefined): string | undefined {
  if (tail === undefined) return undefined;
  const end = tail.findIndex((l) => PROCESSED.test(l));
  return (end < 0 ? tail : tail.slice(0, end)).at(-1);
}

/**
 * What two kernels must agree on. Timings (`verification time N usec`) differ
 * run to run, and the stats line's state counters depend on pruning details the
 * format does not promise; the processed count is compared. Failed loads compare
 * verdict, errno and the verifier's error line; the rest of their log tails (with
 * kfunc BTF ids and source lines that differ between kernels) is kept for a reader.
 */
function comparable(doc: ObjectRunDocument): unknown {
  const loads = doc.program_loads?.map((p) => {
    const processed = p.verifier_stats_log.map((l) => PROCESSED.exec(l)?.[1]).find((n) => n !== undefined);
    const rest: Record<string, unknown> = { ...p };
    delete rest.verifier_stats_log;
    delete rest.verifier_log_tail;
    const error = errorLine(p.verifier_log_tail);
    return { ...rest, processed_insns: processed === undefined ? null : Number(processed), ...(error === undefined ? {} : { error_line: error }) };
  });
  return { ...doc, program_loads: loads };
}

function walk(a: unknown, b: unknown, path: string, out: DocumentDifference[]): void {
  if (Object.is(a, b)) return;
  if (Array.isArray(a) && Array.isArray(b)) {
    const n = Math.max(a.length, b.length);
    for (let i = 0; i < n; i++) walk(a[i], b[i], `${path}[${String(i)}]`, out);
    return;
  }
  if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null && !Array.isArray(a) && !Array.isArray(b)) {
    const ra = a as Record<string, unknown>;
    const rb = b as Record<string, unknown>;
    const keys = [...new Set([...Object.keys(ra), ...Object.keys(rb)])];
    for (const k of keys) walk(ra[k], rb[k], path === '' ? k : `${path}.${k}`, out);
    return;
  }
  out.push({ path, left: a, right: b });
}

/**
 * Where two `object run` documents of the same object and steps disagree, on
 * everything the kernel decides (open view, load verdict and errno, submitted
 * instructions, processed counts, test-run results, map dumps).
 *
 * @example
 * diffDocuments(simDoc, linuxDoc); // [{ path: 'steps[1].retval', left: 1, right: 2 }]
 */
export function diffDocuments(left: ObjectRunDocument, right: ObjectRunDocument): DocumentDifference[] {
  const out: DocumentDifference[] = [];
  walk(comparable(left), comparable(right), '', out);
  return out;
}
