import { BpfError, DEFAULT_NOFILE, type FdEntry, type FdTable } from '@bpfkit/kernel-api';
import type { KFile } from './file.js';

/**
 * A file-descriptor table: lowest free fd first, each slot holding a
 * reference on its file.
 */
export class KFdTable implements FdTable<KFile> {
  readonly #slots = new Map<number, { file: KFile; cloexec: boolean }>();

  constructor(private readonly limit = DEFAULT_NOFILE) {}

  install(file: KFile, options: { readonly cloexec?: boolean } = {}): number {
    let fd = 0;
    while (this.#slots.has(fd)) fd++;
    if (fd >= this.limit) throw new BpfError('EMFILE', 'fd:table-full', `no free fd below ${this.limit}`);
    this.#slots.set(fd, { file: file.get(), cloexec: options.cloexec ?? false });
    return fd;
  }

  /** Includes O_PATH files: callers that use `fdget()` semantics check `file.opath` themselves. */
  get(fd: number): FdEntry<KFile> | undefined {
    if (!Number.isInteger(fd)) return undefined;
    return this.#slots.get(fd);
  }

  close(fd: number): void {
    const slot = this.get(fd);
    if (slot === undefined) throw new BpfError('EBADF', 'fd:not-open', `fd ${fd} is not open`);
    this.#slots.delete(fd);
    slot.file.put();
  }

  setCloexec(fd: number, cloexec: boolean): void {
    const slot = this.#slots.get(fd);
    if (slot === undefined) throw new BpfError('EBADF', 'fd:not-open', `fd ${fd} is not open`);
    slot.cloexec = cloexec;
  }

  fds(): number[] {
    return [...this.#slots.keys()].sort((a, b) => a - b);
  }

  get size(): number {
    return this.#slots.size;
  }

  /** A copy for fork(): every file gets one more reference. */
  clone(): KFdTable {
    const t = new KFdTable(this.limit);
    for (const [fd, slot] of this.#slots) t.#slots.set(fd, { file: slot.file.get(), cloexec: slot.cloexec });
    return t;
  }

  /** Closes everything (exit). */
  closeAll(): void {
    for (const fd of this.fds()) this.close(fd);
  }
}
