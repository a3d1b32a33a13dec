import type { Explanation } from './explain.js';

/**
 * The few lines that say why: the outcome with the kernel's message, a dropped token,
 * the deciding check with what would pass, and the verifier's log when it refused.
 */
export function explanationSummary(why: Explanation): string[] {
  const outcome = why.allowed ? 'allowed' : `refused with ${why.errno ?? '?'} (${why.reason ?? ''}): ${why.message ?? ''}`;
  const lines = [`${why.operation}: ${outcome}`];
  if (why.tokenDropped !== undefined) {
    lines.push(`the token was dropped: ${why.tokenDropped.detail} (non-fatal: the kernel went on without it)`);
    if (why.tokenDropped.hint !== undefined) lines.push(`  to keep it: ${why.tokenDropped.hint}`);
  }
  if (why.decidedBy !== undefined) {
    lines.push(`decided by ${why.decidedBy.check}: ${why.decidedBy.detail}`);
    if (why.decidedBy.hint !== undefined) lines.push(`  to pass: ${why.decidedBy.hint}`);
  }
  if (why.verifierLog !== undefined) {
    lines.push('the verifier said:');
    for (const l of why.verifierLog) lines.push(`  ${l}`);
  }
  return lines;
}
