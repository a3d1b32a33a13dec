export { createProgTypes } from './prog-types/registry.js';
export { createVerifier, type VerifierDeps } from './verifier/create-verifier.js';
export type { VerifierFuncInfo, VerifierRequestWithBtf } from './verifier/callbacks.js';
