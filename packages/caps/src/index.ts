export { createCapabilityChecker, type CapabilityCheckerDeps } from './create.js';
export { capCapable } from './cap-capable.js';
export { capset, credsForNewUserNs, dropEffective, initCredentials, setresgid, setresuid } from './transitions.js';
export { capNamesInMask, formatCapgetMask, parseCapSet } from './format.js';
export { capLabel, describeUserNs } from './describe.js';
