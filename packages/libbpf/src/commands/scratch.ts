import type { BpfSyscall } from '@bpfkit/kernel-api';

/** Buffers in the caller's memory for one command; every one is freed by `run`. */
export class Scratch {
  readonly #sys: BpfSyscall;
  readonly #addrs: bigint[] = [];

  constructor(sys: BpfSyscall) {
    this.#sys = sys;
  }

  /** A zeroed buffer of `size` bytes, or a copy of `bytes`; address 0 for an empty request. */
  alloc(sizeOrBytes: number | Uint8Array): bigint {
    const len = typeof sizeOrBytes === 'number' ? sizeOrBytes : sizeOrBytes.length;
    if (len === 0) return 0n;
    const addr = this.#sys.memory.alloc(sizeOrBytes);
    this.#addrs.push(addr);
    return addr;
  }

  /** A NUL-terminated string. */
  cString(s: string): bigint {
    const bytes = new TextEncoder().encode(s);
    const out = new Uint8Array(bytes.length + 1);
    out.set(bytes);
    return this.alloc(out);
  }

  read(addr: bigint, length: number): Uint8Array {
    return length === 0 || addr === 0n ? new Uint8Array(0) : this.#sys.memory.read(addr, length);
  }

  freeAll(): void {
    for (const a of this.#addrs.splice(0)) this.#sys.memory.free(a);
  }
}

/** Runs `fn` with a {@link Scratch} whose buffers are freed afterwards, whatever happens. */
export function withScratch<T>(sys: BpfSyscall, fn: (s: Scratch) => T): T {
  const s = new Scratch(sys);
  try {
    return fn(s);
  } finally {
    s.freeAll();
  }
}

/** Decodes a NUL-terminated string from a fixed-size char array. */
export function cStringOf(bytes: Uint8Array): string {
  const end = bytes.indexOf(0);
  return new TextDecoder().decode(end < 0 ? bytes : bytes.subarray(0, end));
}

/** A name for a `char[16]` attr field: at most `max` bytes of its UTF-8 (the kernel then checks the characters). */
export function objName(name: string | undefined, max = 15): Uint8Array {
  return new TextEncoder().encode(name ?? '').subarray(0, max);
}
