import { FaultSignal } from './machine.js';

/**
 * Throws the `memory` fault of a load, store or atomic that left the arena
 * (or, unverified, its allocations). `hi` is the high word of the base
 * register: no arena address has one.
 *
 * @example
 * memoryFault(3, 0, 0, 0, 4, false); // throws: invalid read of 4 bytes at 0x0 (pc 3)
 */
export function memoryFault(pc: number, base: number, hi: number, off: number, size: number, write: boolean): never {
  // The address the program computed, as the 64-bit value it is (only a fault pays for the BigInt).
  const effective = BigInt.asUintN(64, ((BigInt(hi >>> 0) << 32n) | BigInt(base >>> 0)) + BigInt(off));
  const addr = Number(effective);
  const what = write ? 'write' : 'read';
  throw new FaultSignal('memory', pc, `invalid ${what} of ${size} bytes at 0x${effective.toString(16)} (pc ${pc})`, addr, size);
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
