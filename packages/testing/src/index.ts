export const PACKAGE = '@bpfkit/testing';
