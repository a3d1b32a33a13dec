import { accessSync, closeSync, constants, openSync, readFileSync, readSync, writeSync } from 'node:fs';
import { BpfError } from '@bpfkit/kernel-api';
import { Errno, type ErrnoName } from '@bpfkit/uapi';

/** A Node `fs` failure as a `BpfError` carrying its errno (EIO when Node gives none the uapi knows). */
export function fsError(reason: `linux:${string}`, what: string, e: unknown): BpfError {
  const code = (e as { code?: unknown }).code;
  const name = typeof code === 'string' && code in Errno ? code as ErrnoName : 'EIO';
  return new BpfError(name, reason, `${what} on Linux: ${e instanceof Error ? e.message : String(e)}`);
}

/** `access(path, mode)` (the caller's real ids, which are its effective ones unless it is set-id). */
export function linuxAccess(path: string, mode: number): void {
  try {
    accessSync(path, mode);
  } catch (e) {
    throw fsError('linux:access', `access ${path}`, e);
  }
}

/** The bytes of a file. */
export function linuxReadBinary(path: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    throw fsError('linux:read-file', `read ${path}`, e);
  }
}

/** `open(path, O_WRONLY | O_APPEND | O_CLOEXEC)` (never creating it), one `write` of `text`, `close`. */
export function linuxAppendFile(path: string, text: string): void {
  let fd: number;
  try {
    fd = openSync(path, constants.O_WRONLY | constants.O_APPEND | 0o2000000);
  } catch (e) {
    throw fsError('linux:append-file', `open ${path}`, e);
  }
  try {
    writeSync(fd, text);
  } catch (e) {
    throw fsError('linux:append-file', `write ${path}`, e);
  } finally {
    closeSync(fd);
  }
}

/** `read(fd, buf, length)` at the fd's position: the bytes read (empty at end of file). */
export function linuxRead(fd: number, length: number): Uint8Array {
  if (!Number.isInteger(fd) || fd < 0 || fd > 0x7fff_ffff) throw new BpfError('EBADF', 'linux:read', `fd ${String(fd)} is not a file descriptor`);
  if (!Number.isInteger(length) || length < 0 || length > 0x7fff_ffff) throw new BpfError('EINVAL', 'linux:read', `read length ${String(length)} is not a count`);
  const buf = new Uint8Array(length);
  try {
    return buf.subarray(0, readSync(fd, buf, 0, length, null));
  } catch (e) {
    throw fsError('linux:read', `read(fd ${fd})`, e);
  }
}
