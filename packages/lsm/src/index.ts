export const PACKAGE = '@bpfkit/lsm';
