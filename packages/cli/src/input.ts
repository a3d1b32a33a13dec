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
  return hexLines(bytes) ?? bytes;
}

/** The instructions of a hex-per-line text, or undefined when `bytes` is not one. */
function hexLines(bytes: Uint8Array): Uint8Array | undefined {
  const text = Buffer.from(bytes).toString('latin1');
  const lines = text
    .split('\n')
    .map((l) => l.replace(/#.*/, '').trim())
    .filter((l) => l !== '');
  if (lines.length === 0 || !lines.every((l) => HEX_LINE.test(l.replace(/\s+/g, '')))) return undefined;
  return Uint8Array.from(Buffer.from(lines.map((l) => l.replace(/\s+/g, '')).join(''), 'hex'));
}

/** True when the bytes start with the ELF magic. */
export function isElf(bytes: Uint8Array): boolean {
  return bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46;
}

/** How {@link readProgram} understood a file. */
export type ProgramInputKind = 'hex' | 'raw' | 'assembly';

/**
 * A program from a file of any kind bpfkit reads: hex (one 8-byte
 * instruction per line), assembly (kernel syntax, else the conformance
 * dialect), or raw little-endian instructions. ELF objects are refused with
 * one line (the object loader is a later step).
 */
export function readProgram(path: string, assembleText: (text: string) => Uint8Array): { insns: Uint8Array; kind: ProgramInputKind } {
  const bytes = readInput(path);
  if (bytes.length === 0) throw new CliError(`${path}: empty file, no instructions`);
  if (isElf(bytes)) throw new CliError(`${path}: an ELF object; give the program as hex, raw instructions or assembly`);
  const hex = hexLines(bytes);
  if (hex !== undefined) return { insns: hex, kind: 'hex' };
  const text = Buffer.from(bytes).toString('utf8');
  // Printable text that is not hex is assembly; anything else is raw instructions.
  if (/^[\t\n\r\x20-\x7e]*$/.test(text)) return { insns: assembleText(text), kind: 'assembly' };
  if (bytes.length % 8 !== 0) throw new CliError(`${path}: ${bytes.length} bytes is not a whole number of 8-byte instructions`);
  return { insns: bytes, kind: 'raw' };
}
