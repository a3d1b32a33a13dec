import type { TraceStep, Tracer } from '@bpfkit/kernel-api';

/** A trace entry: a check, or a named group of checks. */
export type TraceNode = { readonly kind: 'step'; readonly step: TraceStep } | { readonly kind: 'group'; readonly title: string; readonly children: TraceNode[] };

/**
 * A tracer that records only while switched on, so setting up a scenario
 * (the manager's mount, the container's namespaces) stays out of the answer.
 */
export class TraceRecorder implements Tracer {
  #stack: TraceNode[][] = [[]];
  #on = false;

  /** Records what `fn` does, as a group titled `title`. */
  record<T>(title: string, fn: () => T): T {
    this.#on = true;
    try {
      return this.group(title, fn);
    } finally {
      this.#on = false;
    }
  }

  step(step: TraceStep): void {
    if (this.#on) this.#top().push({ kind: 'step', step });
  }

  group<T>(title: string, fn: () => T): T {
    if (!this.#on) return fn();
    const children: TraceNode[] = [];
    this.#top().push({ kind: 'group', title, children });
    this.#stack.push(children);
    try {
      return fn();
    } finally {
      this.#stack.pop();
    }
  }

  /** Everything recorded so far. */
  get nodes(): readonly TraceNode[] {
    return this.#stack[0] ?? [];
  }

  #top(): TraceNode[] {
    const top = this.#stack.at(-1);
    if (top === undefined) throw new Error('trace stack underflow');
    return top;
  }
}

const MARK = { pass: '✓', fail: '✗', skip: '·' } as const;

/** The trace as indented lines: `✓ check: detail`, failures with errno and hint. */
export function renderTrace(nodes: readonly TraceNode[], indent = ''): string[] {
  const lines: string[] = [];
  for (const node of nodes) {
    if (node.kind === 'group') {
      if (node.children.length === 0) continue;
      lines.push(`${indent}${node.title}`);
      lines.push(...renderTrace(node.children, `${indent}  `));
      continue;
    }
    const { step } = node;
    const errno = step.outcome === 'fail' && step.errno !== undefined ? ` → ${step.errno}` : '';
    lines.push(`${indent}${MARK[step.outcome]} ${step.check}: ${step.detail}${errno}`);
    if (step.outcome === 'fail' && step.hint !== undefined) lines.push(`${indent}    to pass: ${step.hint}`);
  }
  return lines;
}

/** The last failing step: the check that decided a refusal (earlier failures, such as a token dropped by an allow check, only fell back). */
export function decidingFailure(nodes: readonly TraceNode[]): TraceStep | undefined {
  let last: TraceStep | undefined;
  for (const node of nodes) {
    if (node.kind === 'step' && node.step.outcome === 'fail') last = node.step;
    if (node.kind === 'group') last = decidingFailure(node.children) ?? last;
  }
  return last;
}

/** The first step, depth first, that matches. */
export function findStep(nodes: readonly TraceNode[], match: (step: TraceStep) => boolean): TraceStep | undefined {
  for (const node of nodes) {
    if (node.kind === 'step' && match(node.step)) return node.step;
    if (node.kind === 'group') {
      const inner = findStep(node.children, match);
      if (inner !== undefined) return inner;
    }
  }
  return undefined;
}
