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

/** Which failure decided, to tell it from the failures the kernel went on after. */
export interface DecidingCheck {
  readonly check: string;
  readonly detail: string;
}

/**
 * The trace as indented lines: `✓ check: detail`, failures with errno and hint.
 * A failure other than `deciding` (every failure, when nothing was refused) is
 * marked `(non-fatal)`: the kernel went on, e.g. without the token.
 */
export function renderTrace(nodes: readonly TraceNode[], deciding?: DecidingCheck, indent = ''): string[] {
  const lines: string[] = [];
  for (const node of nodes) {
    if (node.kind === 'group') {
      if (node.children.length === 0) continue;
      lines.push(`${indent}${node.title}`);
      lines.push(...renderTrace(node.children, deciding, `${indent}  `));
      continue;
    }
    const { step } = node;
    const errno = step.outcome === 'fail' && step.errno !== undefined ? ` → ${step.errno}` : '';
    const fatal = deciding !== undefined && deciding.check === step.check && deciding.detail === step.detail;
    const mark = step.outcome === 'fail' && !fatal ? ' (non-fatal: the kernel went on)' : '';
    lines.push(`${indent}${MARK[step.outcome]} ${step.check}: ${step.detail}${errno}${mark}`);
    if (step.outcome === 'fail' && step.hint !== undefined) lines.push(`${indent}    to pass: ${step.hint}`);
  }
  return lines;
}

/**
 * The check that decided a refusal with `errno`: the last failing step with that errno, else
 * the last failing step (earlier failures, such as a token dropped by an allow check, only fell back).
 */
export function decidingFailure(nodes: readonly TraceNode[], errno?: string): TraceStep | undefined {
  const failures: TraceStep[] = [];
  const walk = (list: readonly TraceNode[]): void => {
    for (const node of list) {
      if (node.kind === 'step' && node.step.outcome === 'fail') failures.push(node.step);
      if (node.kind === 'group') walk(node.children);
    }
  };
  walk(nodes);
  return failures.findLast((s) => s.errno === errno) ?? failures.at(-1);
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
