export { createSecurityStack } from './stack.js';
export { createPolicyModule, type BpfPolicy, type PolicyContext, type PolicyResult } from './policy.js';
export { allow, deny } from './verdict.js';
export { LSM_HOOKS } from './hooks.js';
