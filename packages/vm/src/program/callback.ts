/**
 * The value `ld_imm64` with `BPF_PSEUDO_FUNC` puts in a register: in the
 * kernel the address of the callback's code; here the subprogram's
 * instruction index in the low word and {@link CALLBACK_TAG} in the high word.
 * No arena address has a non-zero high word, so a program that dereferences
 * a callback value faults, and `callx` and `HelperEnv.callback` can tell it
 * from a helper id or a pointer.
 *
 * @example
 * const [lo, hi] = [callbackValueLow(12), CALLBACK_TAG]; // r2 = 0xbfcb00000000000c
 * isCallbackValue(lo, hi); // true
 */
export const CALLBACK_TAG = 0xbfcb0000;

/**
 * The low word of the callback value of the subprogram starting at `insnIndex`.
 *
 * @example
 * callbackValueLow(12); // 12
 */
export function callbackValueLow(insnIndex: number): number {
  return insnIndex >>> 0;
}

/**
 * Whether the register (low, high) holds a callback value.
 *
 * @example
 * isCallbackValue(12, CALLBACK_TAG); // true
 * isCallbackValue(12, 0);            // false: helper id 12
 */
export function isCallbackValue(lo: number, hi: number): boolean {
  return hi >>> 0 === CALLBACK_TAG;
}

/**
 * The instruction index a callback value names. `HelperEnv.callback(fn, …)`
 * takes the register's low word (`regs[2 * i]`), which is this index.
 *
 * @example
 * callbackTarget(12); // 12
 */
export function callbackTarget(fn: number): number {
  return fn >>> 0;
}
