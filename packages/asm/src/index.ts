export const PACKAGE = '@bpfkit/asm';
