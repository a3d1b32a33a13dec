import { unknownScalar, type RegState, type VState } from './state.js';

/** `check_ids` over one widening: an old id stands for one current id throughout (0 only for 0). */
class IdMap {
  private readonly oldToCur = new Map<number, number>();
  private readonly curToOld = new Map<number, number>();

  same(oldId: number, curId: number): boolean {
    if ((oldId === 0) !== (curId === 0)) return false;
    if (oldId === 0) return true;
    const mapped = this.oldToCur.get(oldId);
    if (mapped !== undefined) return mapped === curId;
    if (this.curToOld.has(curId)) return false;
    this.oldToCur.set(oldId, curId);
    this.curToOld.set(curId, oldId);
    return true;
  }
}

function widen(o: RegState | undefined, c: RegState | undefined, ids: IdMap): RegState | undefined {
  if (o?.type !== 'scalar' || c?.type !== 'scalar') return undefined;
  if (o.precise === true || c.precise === true) return undefined;
  // `regs_exact`: the same bounds and offset, and ids (with their BPF_ADD_CONST kind) that map one to one.
  const same = o.smin === c.smin && o.smax === c.smax && o.umin === c.umin && o.umax === c.umax && o.s32min === c.s32min &&
    o.s32max === c.s32max && o.u32min === c.u32min && o.u32max === c.u32max && o.varOff.value === c.varOff.value &&
    o.varOff.mask === c.varOff.mask && o.off === c.off && (o.linkedConst === true) === (c.linkedConst === true) &&
    (o.linkedConst32 === true) === (c.linkedConst32 === true) && ids.same(o.id, c.id);
  return same ? undefined : unknownScalar;
}

/**
 * `widen_imprecise_scalars`: scalars of `cur` that nothing needed exactly (not precise) and that
 * changed since `old`, an earlier pass through the same loop or callback, become unknown so that
 * the passes converge.
 *
 * @example
 * widenImpreciseScalars(prev, queued); // r1 = 5 in prev, 6 in queued, not precise: r1 unknown
 */
export function widenImpreciseScalars(old: VState, cur: VState): void {
  const ids = new IdMap();
  // Innermost frame first, as the kernel walks them (the id map is shared).
  for (let i = cur.frames.length - 1; i >= 0; i--) {
    const fc = cur.frames[i];
    const fo = old.frames[i];
    if (fc === undefined || fo === undefined) continue;
    for (let r = 0; r < 10; r++) {
      const w = widen(fo.regs[r], fc.regs[r], ids);
      if (w !== undefined) fc.regs[r] = w;
    }
    fc.stack.forEach((slot, spi) => {
      const os = fo.stack[spi];
      if (slot.bytes[0] !== 'spill' || os?.bytes[0] !== 'spill') return;
      const w = widen(os.spilled, slot.spilled, ids);
      if (w !== undefined) slot.spilled = w;
    });
  }
}
