import type { VmFault, VmFaultKind } from '@bpfkit/kernel-api';

/**
 * Thrown from an import to stop the run with a fault; it unwinds through the
 * Wasm frames to `run`, which turns it into the outcome. Helpers must let it
 * pass (`HelperEnv.fault` and `callback` throw it).
 */
export class VmFaultSignal extends Error {
  constructor(
    readonly fault: VmFault,
    /** Instructions executed when the count the module holds is not the right one (insn-limit). */
    readonly executed?: number,
  ) {
    super(fault.message);
    this.name = 'VmFaultSignal';
  }
}

/**
 * A fault with the standard one-line message.
 *
 * @example
 * throw new VmFaultSignal(vmFault('memory', 3, 'invalid access of 4 bytes at 0x0', 0, 4));
 */
export function vmFault(kind: VmFaultKind, pc: number, message: string, addr?: number, size?: number): VmFault {
  return {
    kind,
    pc,
    ...(addr === undefined ? {} : { addr }),
    ...(size === undefined ? {} : { size }),
    message: `${message} (pc ${pc})`,
  };
}
