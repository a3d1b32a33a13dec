export const PACKAGE = '@bpfkit/kernel-api';
