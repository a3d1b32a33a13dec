export const PACKAGE = '@bpfkit/btf';
