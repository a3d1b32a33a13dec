import type { Writable } from 'node:stream';

/** Where a command writes: injected so tests capture output without spawning. */
export interface Io {
  readonly stdout: Pick<Writable, 'write'>;
  readonly stderr: Pick<Writable, 'write'>;
}

/** Writes text with a trailing newline. */
export function println(stream: Pick<Writable, 'write'>, text = ''): void {
  stream.write(text.endsWith('\n') ? text : `${text}\n`);
}

/** Writes one JSON document (one line). */
export function printJson(stream: Pick<Writable, 'write'>, value: unknown): void {
  stream.write(`${JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v))}\n`);
}
