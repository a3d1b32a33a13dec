import type { LsmHookName } from '@bpfkit/kernel-api';

/** Every hook of {@link SecurityModule}, in `security/security.c` terms. */
export const LSM_HOOKS: readonly LsmHookName[] = [
  'capable',
  'bpf',
  'bpfMapCreate',
  'bpfProgLoad',
  'bpfTokenCreate',
  'bpfTokenCmd',
  'bpfTokenCapable',
  'pathPermission',
  'bpfMapFree',
  'bpfProgFree',
  'bpfTokenFree',
];
