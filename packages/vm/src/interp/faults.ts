import { FaultSignal } from './machine.js';

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

/**
 * Throws the `memory` fault of a load, store or atomic that left the arena
 * (or, unverified, its allocations). `hi` is the high word of the base
 * register: no arena address has one.
 *
 * @example
 * memoryFault(3, 0, 0, 0, 4, false); // throws: invalid read of 4 bytes at 0x0 (pc 3)
 */
export function memoryFault(pc: number, base: number, hi: number, off: number, size: number, write: boolean): never {
  const addr = hi === 0 ? base + off : base;
  const what = write ? 'write' : 'read';
  const where = hi === 0 ? hex(addr) : `0x${(hi >>> 0).toString(16)}${(base >>> 0).toString(16).padStart(8, '0')}${off < 0 ? '-' : '+'}${Math.abs(off)}`;
  throw new FaultSignal('memory', pc, `invalid ${what} of ${size} bytes at ${where} (pc ${pc})`, addr, size);
}

/**
 * Throws a fault of any other kind, with its one-line message.
 *
 * @example
 * fault('bad-jump', 7, 'fell off the end of the program');
 */
export function fault(kind: FaultSignal['kind'], pc: number, message: string): never {
  throw new FaultSignal(kind, pc, `${message} (pc ${pc})`);
}
