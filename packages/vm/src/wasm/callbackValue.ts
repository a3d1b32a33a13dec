/**
 * The high word of the value `ld_imm64` with `BPF_PSEUDO_FUNC` loads (the low
 * word is the callback's instruction index). It must equal the interpreter's
 * `CALLBACK_TAG` in `../program/callback.ts`: a program may hand the value
 * from one engine's helper to the other's. Kept here until that module is
 * committed and importable.
 */
export const CALLBACK_TAG = 0xbfcb0000;
