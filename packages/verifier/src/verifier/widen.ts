import { unknownScalar, type RegState, type VState } from './state.js';

function widen(o: RegState | undefined, c: RegState | undefined): RegState | undefined {
  if (o?.type !== 'scalar' || c?.type !== 'scalar') return undefined;
  if (o.precise === true || c.precise === true) return undefined;
  const same = o.smin === c.smin && o.smax === c.smax && o.umin === c.umin && o.umax === c.umax && o.s32min === c.s32min &&
    o.s32max === c.s32max && o.u32min === c.u32min && o.u32max === c.u32max && o.varOff.value === c.varOff.value &&
    o.varOff.mask === c.varOff.mask && o.id === c.id && o.off === c.off;
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
  cur.frames.forEach((fc, i) => {
    const fo = old.frames[i];
    if (fo === undefined) return;
    for (let r = 0; r < 10; r++) {
      const w = widen(fo.regs[r], fc.regs[r]);
      if (w !== undefined) fc.regs[r] = w;
    }
    fc.stack.forEach((slot, spi) => {
      const os = fo.stack[spi];
      if (slot.bytes[0] !== 'spill' || os?.bytes[0] !== 'spill') return;
      const w = widen(os.spilled, slot.spilled);
      if (w !== undefined) slot.spilled = w;
    });
  });
}
