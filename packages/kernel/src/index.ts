export const PACKAGE = '@bpfkit/kernel';
