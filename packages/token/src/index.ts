export const PACKAGE = '@bpfkit/token';
