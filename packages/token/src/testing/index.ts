import type { BpfTokenInfo, TokenService } from '@bpfkit/kernel-api';
import { formatTokenFdinfo } from '../masks.js';

/**
 * A token service for tests: `create` refuses (EPERM is not modelled: it
 * throws a plain Error saying it is a fake), every allow/capable check says
 * no, `fdinfo` is the real formatter, `release` does nothing — unless given.
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
