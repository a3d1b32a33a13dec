export const PACKAGE = '@bpfkit/maps';
