import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDefaultKernel } from '@bpfkit/kernel/defaults';
import type { Kernel } from '@bpfkit/kernel-api';

const here = dirname(fileURLToPath(import.meta.url));

/** The clang-built fixtures of @bpfkit/elf. */
export const FIXTURES = ['xdp_filter', 'xdp_filter_v4', 'socket_filter', 'tc_shared', 'trace_ringbuf', 'globals', 'map_values', 'externs'] as const;
export type Fixture = (typeof FIXTURES)[number];

export function fixture(name: Fixture): Uint8Array {
  return new Uint8Array(readFileSync(join(here, '..', '..', 'elf', 'test', 'fixtures', `${name}.o`)));
}

export function simKernel(cpus = 2): Kernel {
  return createDefaultKernel({ cpus });
}

export function u32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n >>> 0, true);
  return b;
}

export function u64(n: bigint): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, n, true);
  return b;
}

export function readU64(b: Uint8Array, off = 0): bigint {
  return new DataView(b.buffer, b.byteOffset).getBigUint64(off, true);
}

export function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

/** A 64-byte Ethernet/IPv4 frame (contents do not matter to the fixtures). */
export function packet(len = 64): Uint8Array {
  const p = new Uint8Array(len);
  p.set([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 1, 2, 3, 4, 5, 0x08, 0x00, 0x45]);
  return p;
}
