export const PACKAGE = '@bpfkit/verifier';
