import type { CtxAccessResult, CtxRegType } from '@bpfkit/kernel-api';

/** A refused context access. */
export const DENY: CtxAccessResult = Object.freeze({ ok: false });

const results = new Map<CtxRegType, CtxAccessResult>();

/** An allowed context access whose load gives `regType`. */
export function allow(regType: CtxRegType = 'scalar'): CtxAccessResult {
  let r = results.get(regType);
  if (r === undefined) {
    r = Object.freeze({ ok: true, regType });
    results.set(regType, r);
  }
  return r;
}

/** Allowed scalar access when `cond` holds, refused otherwise. */
export const allowIf = (cond: boolean, regType: CtxRegType = 'scalar'): CtxAccessResult => (cond ? allow(regType) : DENY);

/** A load of `size` bytes is a power-of-two part of a `field`-byte field (`bpf_ctx_narrow_access_ok`). */
export const narrowOk = (size: number, field: number): boolean => size <= field && (size & (size - 1)) === 0;
/** `off` lies in `[start, start + len)`. */
export const within = (off: number, start: number, len: number): boolean => off >= start && off < start + len;
/** `off` lies inside the `len`-byte field at `start` (`bpf_ctx_range`). */
export const isField = (off: number, start: number, len = 4): boolean => within(off, start, len);

/** Program types without a modelled table: aligned reads inside a `ctxSize`-byte struct. */
export function readInsideCtx(ctxSize: number): (off: number, size: number, write: boolean) => CtxAccessResult {
  return (off, size, write) => allowIf(!(write || off < 0 || off + size > ctxSize || off % size !== 0));
}
