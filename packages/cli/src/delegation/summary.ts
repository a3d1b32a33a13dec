import type { Explanation } from './explain.js';

/** The few lines that say why: the outcome, a dropped token and the deciding check, with what would pass. */
export function explanationSummary(why: Explanation): string[] {
  const lines = [`${why.operation}: ${why.allowed ? 'allowed' : `refused with ${why.errno ?? '?'} (${why.reason ?? ''})`}`];
  if (why.tokenDropped !== undefined) {
    lines.push(`the token was dropped: ${why.tokenDropped.detail}`);
    if (why.tokenDropped.hint !== undefined) lines.push(`  to keep it: ${why.tokenDropped.hint}`);
  }
  if (why.decidedBy !== undefined) {
    lines.push(`decided by ${why.decidedBy.check}: ${why.decidedBy.detail}`);
    if (why.decidedBy.hint !== undefined) lines.push(`  to pass: ${why.decidedBy.hint}`);
  }
  return lines;
}
