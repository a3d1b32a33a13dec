import type { HelperCall, HelperDescriptor } from '@bpfkit/kernel-api';
import { Errno } from '@bpfkit/uapi';
import { defineHelper } from './define.js';
import { checkMem } from './memory.js';
import { argHi, argLo, ptrArg, setR0 } from './regs.js';

type Space = 'kernel' | 'user' | 'any';

/** x86-64 `TASK_SIZE_MAX`: `copy_from_kernel_nofault` refuses addresses below it with -ERANGE. */
const TASK_SIZE_MAX_HI = 0x7fff;
const TASK_SIZE_MAX_LO = 0xffff_f000;

/** The errno of a failed read: kernel reads of user-space addresses are -ERANGE (measured on 6.18), the rest -EFAULT. */
function readErrno(space: Space, lo: number, hi: number): number {
  const user = hi < TASK_SIZE_MAX_HI || (hi === TASK_SIZE_MAX_HI && lo < TASK_SIZE_MAX_LO);
  return space === 'kernel' && user ? -Errno.ERANGE : -Errno.EFAULT;
}

/**
 * Reads `size` bytes of simulated kernel or user memory: `services.readKernel`
 * / `readUser`, and for kernel reads the arena itself (program stacks, maps
 * and contexts are kernel memory).
 */
function read(c: HelperCall, space: Space, lo: number, hi: number, size: number): Uint8Array | undefined {
  const s = c.env.services;
  const addr = (BigInt(hi) << 32n) | BigInt(lo);
  if (space !== 'user') {
    const k = s.readKernel?.(addr, size);
    if (k !== undefined) return k;
    if (hi === 0 && c.env.arena.contains(lo, size)) return c.env.arena.bytes.slice(lo, lo + size);
  }
  if (space !== 'kernel') return s.readUser?.(addr, size);
  return undefined;
}

function probeRead(name: string, space: Space): HelperDescriptor {
  return defineHelper(name, (c) => {
    const dst = ptrArg(c, 1, 'dst');
    const size = argLo(c, 2);
    checkMem(c, dst, size, `bpf_${name} dst`);
    if (size === 0) return setR0(c, 0);
    const got = read(c, space, argLo(c, 3), argHi(c, 3), size);
    if (got === undefined || got.length < size) {
      c.env.arena.bytes.fill(0, dst, dst + size);
      return setR0(c, readErrno(space, argLo(c, 3), argHi(c, 3)));
    }
    c.env.arena.bytes.set(got.subarray(0, size), dst);
    setR0(c, 0);
  });
}

/**
 * The `_str` variants: copy up to the NUL or `size - 1` bytes, always
 * NUL-terminate, return the bytes written including the NUL; running into
 * unmapped memory before the NUL zeroes `dst` and gives -EFAULT.
 */
function probeReadStr(name: string, space: Space): HelperDescriptor {
  return defineHelper(name, (c) => {
    const dst = ptrArg(c, 1, 'dst');
    const size = argLo(c, 2);
    checkMem(c, dst, size, `bpf_${name} dst`);
    if (size === 0) return setR0(c, 0);
    const lo = argLo(c, 3);
    const hi = argHi(c, 3);
    let n = 0;
    const bytes = c.env.arena.bytes;
    const whole = read(c, space, lo, hi, size);
    for (; n < size - 1; n++) {
      let b: number | undefined;
      if (whole !== undefined) b = whole[n];
      else {
        // Byte by byte where the whole range is not mapped: the string may end before the hole.
        const at = lo + n;
        b = read(c, space, at >>> 0, hi + Math.floor(at / 0x1_0000_0000), 1)?.[0];
      }
      if (b === undefined) {
        bytes.fill(0, dst, dst + size);
        if (n === 0) return setR0(c, readErrno(space, lo, hi));
        return setR0(c, -Errno.EFAULT);
      }
      bytes[dst + n] = b;
      if (b === 0) return setR0(c, n + 1);
    }
    bytes[dst + n] = 0;
    setR0(c, n + 1);
  });
}

/**
 * `probe_read`, `probe_read_str`, `probe_read_kernel(_str)`,
 * `probe_read_user(_str)`: a read that finds nothing mapped zeroes the
 * destination and returns -EFAULT, or -ERANGE for a kernel read of a
 * user-space address (NULL included), as `copy_from_kernel_nofault` does.
 *
 * @example
 * for (const h of probeReadHelpers()) registry.set(h.id, h);
 */
export function probeReadHelpers(): HelperDescriptor[] {
  return [
    probeRead('probe_read', 'any'),
    probeReadStr('probe_read_str', 'any'),
    probeRead('probe_read_kernel', 'kernel'),
    probeReadStr('probe_read_kernel_str', 'kernel'),
    probeRead('probe_read_user', 'user'),
    probeReadStr('probe_read_user_str', 'user'),
  ];
}
