export type { DelegatedContext, DelegatedMain } from './context.js';
export {
  delegationAvailability,
  runWithDelegatedBpffs,
  type DelegateValue,
  type DelegatedRunOptions,
  type DelegatedRunResult,
  type DelegationAvailability,
  type IdMapEntry,
} from './run.js';
