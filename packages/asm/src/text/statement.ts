import type { Insn } from '../insn.js';

/** Where a jump goes before labels are resolved: a slot delta, or a label. */
export type Target = { readonly kind: 'rel'; readonly delta: number } | { readonly kind: 'label'; readonly name: string };

/** One parsed instruction; `target` fills `off` or `imm` once labels are known. */
export interface Statement {
  readonly insn: Insn;
  readonly target?: { readonly field: 'off' | 'imm'; readonly to: Target };
}

/** A target label name: identifiers, dots allowed (`LBB0_1`, `.Ltmp0`). */
export const LABEL = /^[A-Za-z_.$][\w.$]*$/;

/** The instruction of a statement whose target is relative; `undefined` when it names a label. */
export function settle(statement: Statement): Insn | undefined {
  const { insn, target } = statement;
  if (target === undefined) return insn;
  if (target.to.kind !== 'rel') return undefined;
  return target.field === 'off' ? { ...insn, off: target.to.delta } : { ...insn, imm: target.to.delta };
}
