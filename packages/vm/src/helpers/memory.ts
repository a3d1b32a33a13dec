import { type HelperCall, isBpfError } from '@bpfkit/kernel-api';

/**
 * Checks that `[addr, addr + size)` is arena memory a helper may touch and
 * stops the run with a helper fault otherwise. Verified programs only pass
 * pointers the verifier proved, so this never fires for them; for
 * unverified programs it is what keeps a helper from reading past the arena
 * (and from throwing a `RangeError` instead of reporting a fault).
 *
 * @example
 * checkMem(c, keyAddr, 4, 'bpf_map_lookup_elem key');
 */
export function checkMem(c: HelperCall, addr: number, size: number, what: string): void {
  if (size === 0) return;
  if (!Number.isSafeInteger(size) || size < 0 || !c.env.arena.contains(addr, size)) {
    c.env.fault(`${what}: ${String(size)} bytes at 0x${addr.toString(16)} are not arena memory`);
  }
}

/**
 * The bytes of a NUL-terminated string within `max` bytes of `addr` (the
 * terminator not included), or undefined when there is no terminator in
 * range or the string runs off its arena allocation.
 *
 * @example
 * const fmt = readCStringBytes(c, fmtAddr, fmtSize); // undefined: the helper returns -EINVAL
 */
export function readCStringBytes(c: HelperCall, addr: number, max: number): Uint8Array | undefined {
  const bytes = c.env.arena.bytes;
  for (let i = 0; i < max; i++) {
    if (!c.env.arena.contains(addr + i, 1)) return undefined;
    if (bytes[addr + i] === 0) return bytes.subarray(addr, addr + i);
  }
  return undefined;
}

/**
 * Allocates arena memory for a helper, or returns 0 when the arena is full
 * (the helper then fails as the kernel's allocation would: -ENOMEM or NULL).
 *
 * @example
 * const copy = tryAlloc(c, n);
 * if (copy === 0) return setR0(c, -Errno.ENOMEM);
 */
export function tryAlloc(c: HelperCall, size: number): number {
  try {
    return c.env.arena.alloc(size);
  } catch (e) {
    if (isBpfError(e, 'ENOMEM')) return 0;
    throw e;
  }
}
