export { createTokenService, type TokenServiceDeps } from './service.js';
export { TOKEN_CREATE_CHECKS, type TokenCreateCheck } from './create-token.js';
export { KNOWN_MASKS, formatTokenFdinfo } from './masks.js';
