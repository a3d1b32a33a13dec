export * from './kinds.js';
export type * from './types.js';
export { Btf, VOID, isModifier, type BtfHeader, type BtfParts, type ResolvedType } from './btf.js';
export { parseBtf, type ParseBtfOptions } from './parse.js';
export { BPF_LOG_FIXED, BPF_LOG_MASK, finalizeLog, type FinalizedLog } from './log.js';
export { isValidIdentifier, isValidSectionName, KSYM_NAME_LEN } from './strings.js';
export { BtfBuilder, encodeBtf, type EncodeOptions } from './builder.js';
export { dumpRaw, dumpRawType, dumpJson } from './dump-raw.js';
export { dumpC } from './dump-c.js';
