export { createProgTypes } from './prog-types/registry.js';
export { createVerifier, type VerifierDeps } from './verifier/create-verifier.js';
