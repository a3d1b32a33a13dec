import { readFileSync, writeFileSync } from 'node:fs';

/** The committed fixture objects (built by fixtures/rebuild.sh). */
export const FIXTURES = ['xdp_filter', 'socket_filter', 'tc_shared', 'globals', 'trace_ringbuf', 'map_values', 'xdp_filter_v4', 'struct_ops', 'arena', 'externs', 'perf_output'] as const;

const dir = new URL('../test/fixtures/', import.meta.url);

/** A fixture object's bytes. */
export function fixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(new URL(`${name}.o`, dir)));
}

/** The committed JSON snapshot of a fixture's spec; `UPDATE_SNAPSHOTS=1` rewrites it. */
export function snapshot(name: string, actual: unknown): unknown {
  const file = new URL(`${name}.spec.json`, dir);
  if (process.env.UPDATE_SNAPSHOTS === '1') writeFileSync(file, `${JSON.stringify(actual, null, 2)}\n`);
  return JSON.parse(readFileSync(file, 'utf8')) as unknown;
}
