import { readFileSync } from 'node:fs';
import { CliError } from './errors.js';

/** Reads a whole file, turning a missing or unreadable file into one clear line. */
export function readInput(path: string): Uint8Array {
  try {
    return readFileSync(path === '-' ? 0 : path);
  } catch (e) {
    const code = e instanceof Error && 'code' in e ? String(e.code) : 'EIO';
    throw new CliError(`cannot read ${path}: ${code}`);
  }
}

const HEX_LINE = /^[0-9a-fA-F]{16}$/;

/**
 * Instructions from a file: text with one 8-byte instruction per line in hex
 * (memory order, as `shared/bench/*.hex`; `#` comments and blank lines
 * allowed), or else raw little-endian bytes.
 */
export function readInstructionBytes(path: string): Uint8Array {
  const bytes = readInput(path);
  const text = Buffer.from(bytes).toString('latin1');
  const lines = text
    .split('\n')
    .map((l) => l.replace(/#.*/, '').trim())
    .filter((l) => l !== '');
  if (lines.length === 0 || !lines.every((l) => HEX_LINE.test(l.replace(/\s+/g, '')))) return bytes;
  return Uint8Array.from(Buffer.from(lines.map((l) => l.replace(/\s+/g, '')).join(''), 'hex'));
}

/** True when the bytes start with the ELF magic. */
export function isElf(bytes: Uint8Array): boolean {
  return bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46;
}
