export const PACKAGE = '@bpfkit/uapi';
