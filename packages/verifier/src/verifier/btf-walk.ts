import type { BtfTypeView, BtfView } from '@bpfkit/kernel-api';

const MODIFIERS = new Set(['TYPEDEF', 'VOLATILE', 'CONST', 'RESTRICT', 'TYPE_TAG']);

/**
 * `btf_type_skip_modifiers`: the type behind typedefs, qualifiers and type tags
 * (or behind all but typedefs with `keepTypedef`), bounded against cycles.
 */
export function skipModifiers(btf: BtfView, id: number, keepTypedef = false): BtfTypeView | undefined {
  let t = btf.type(id);
  for (let n = 0; t !== undefined && MODIFIERS.has(t.kind) && !(keepTypedef && t.kind === 'TYPEDEF') && n < 64; n++) t = btf.type(t.type ?? 0);
  return t;
}

/** `btf_type_str`: a kind's name as the verifier prints it (`UNKNOWN` for void). */
export function kindStr(t: BtfTypeView | undefined): string {
  return t === undefined || t.kind === 'VOID' ? 'UNKNOWN' : t.kind;
}
