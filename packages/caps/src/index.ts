export const PACKAGE = '@bpfkit/caps';
