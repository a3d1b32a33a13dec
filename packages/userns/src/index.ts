export const PACKAGE = '@bpfkit/userns';
