export { createBpfFs, type BpfFsDeps } from './bpffs.js';
export { parseDelegateOption, formatDelegateOption } from './delegate-option.js';
export { DELEGATE_ENUMS, DELEGATE_KINDS, type DelegateEnum } from './delegate-enums.js';
export { delegateMasksOf, delegateOptionString } from './delegate-helpers.js';
export { kstrtoull, kstrtouint, type KstrtoxResult } from './kstrtox.js';
export { genericPermission } from './permission.js';
