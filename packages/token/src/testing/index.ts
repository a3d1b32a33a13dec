import type { BpfTokenInfo, TokenService } from '@bpfkit/kernel-api';
import { formatTokenFdinfo } from '../masks.js';

/**
 * A token service for tests. Unless given: `create` throws (it is not
 * provided), every allow/capable check says no, `fdinfo` is the real
 * formatter and `release` does nothing.
 *
 * @example
 * const tokens = makeNoopTokenService({ allowCmd: () => true, capable: () => true });
 */
export function makeNoopTokenService(partial: Partial<TokenService> = {}): TokenService {
  return {
    create(): BpfTokenInfo {
      throw new Error('makeNoopTokenService: create() was not provided');
    },
    allowCmd: () => false,
    allowMapType: () => false,
    allowProgType: () => false,
    capable: () => false,
    fdinfo: formatTokenFdinfo,
    release: () => undefined,
    ...partial,
  };
}
