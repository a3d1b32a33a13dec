export const PACKAGE = '@bpfkit/bpffs';
