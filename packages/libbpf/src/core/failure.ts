import type { ErrnoName } from '@bpfkit/uapi';

/**
 * A relocation that cannot be applied at all (not one to poison): carries libbpf's errno
 * and its warning text; `applyCoreRelocations` turns it into a `BpfError` naming the
 * program, relocation, type and access string.
 */
export class CoreFailure extends Error {
  readonly errno: ErrnoName;
  readonly what: string;

  constructor(errno: ErrnoName, what: string, message: string) {
    super(message);
    this.name = 'CoreFailure';
    this.errno = errno;
    this.what = what;
  }
}
