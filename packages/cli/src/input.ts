import { readFileSync } from 'node:fs';
import { assemble, encodeProgram } from '@bpfkit/asm';
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

/**
 * What a program file holds: a BPF ELF object, hex (one 8-byte instruction per line), assembly
 * text, or raw little-endian instructions.
 */
export type InputKind = 'elf' | 'hex' | 'raw' | 'assembly';

/** How {@link readProgram} understood a file (never an object). */
export type ProgramInputKind = Exclude<InputKind, 'elf'>;

/** Text: valid UTF-8 with no NUL and no control characters but tab, newline, CR and form feed. */
function isText(bytes: Uint8Array): boolean {
  for (const b of bytes) if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d && b !== 0x0c) return false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/**
 * The one detector every verb that reads programs uses: ELF by its magic, then hex lines, then
 * text (assembly), then raw instructions (a whole number of 8-byte slots). An empty file, or
 * binary that is none of these, is one {@link CliError} line (exit code 2).
 *
 * @example
 * detectInputKind(readFileSync('xdp.o'), 'xdp.o'); // 'elf'
 * detectInputKind(Buffer.from('b700000000000000\n9500000000000000\n'), 'p.hex'); // 'hex'
 */
export function detectInputKind(bytes: Uint8Array, path: string): InputKind {
  if (bytes.length === 0) throw new CliError(`${path}: empty file, no instructions`);
  if (isElf(bytes)) return 'elf';
  if (hexLines(bytes) !== undefined) return 'hex';
  if (isText(bytes)) return 'assembly';
  if (bytes.length % 8 === 0) return 'raw';
  throw new CliError(
    `${path}: not a BPF program: not an ELF object, hex lines or assembly text, and its ${String(bytes.length)} bytes are not a whole number of 8-byte instructions`,
  );
}

/** Assembles text in the kernel syntax, else the conformance dialect (the kernel syntax's error wins). */
export function assembleAny(text: string): Uint8Array {
  try {
    return encodeProgram(assemble(text));
  } catch (kernelSyntax) {
    try {
      return encodeProgram(assemble(text, { syntax: 'conformance' }));
    } catch {
      throw kernelSyntax;
    }
  }
}

/** The instructions of non-ELF program bytes of a known kind. */
export function programFromBytes(bytes: Uint8Array, kind: ProgramInputKind, assembleText: (text: string) => Uint8Array = assembleAny): Uint8Array {
  if (kind === 'hex') return hexLines(bytes) ?? bytes;
  if (kind === 'assembly') return assembleText(Buffer.from(bytes).toString('utf8'));
  return bytes;
}

/** A file read once and classified: an object's bytes, or a program's instructions. */
export type ProgramOrObject =
  | { readonly kind: 'elf'; readonly bytes: Uint8Array }
  | { readonly kind: ProgramInputKind; readonly insns: Uint8Array };

/**
 * Reads a file any program-reading verb accepts, objects included; the verb decides what an
 * object means to it.
 *
 * @example
 * const input = readProgramOrObject('xdp_filter.o');
 * if (input.kind === 'elf') loadObjectSpec(input.bytes);
 */
export function readProgramOrObject(path: string, assembleText: (text: string) => Uint8Array = assembleAny): ProgramOrObject {
  const bytes = readInput(path);
  const kind = detectInputKind(bytes, path);
  if (kind === 'elf') return { kind, bytes };
  return { kind, insns: programFromBytes(bytes, kind, assembleText) };
}

/**
 * A program from a file of any kind bpfkit reads: hex (one 8-byte instruction per line), assembly
 * (kernel syntax, else the conformance dialect), or raw little-endian instructions. ELF objects are
 * refused in one line: the verbs that take one program do not read objects yet.
 *
 * @example
 * const { insns, kind } = readProgram('prog.s'); // kind 'assembly'
 */
export function readProgram(path: string, assembleText: (text: string) => Uint8Array = assembleAny): { insns: Uint8Array; kind: ProgramInputKind } {
  const input = readProgramOrObject(path, assembleText);
  if (input.kind === 'elf') {
    throw new CliError(
      `${path}: an ELF object; this command does not read objects yet — give one program as hex, raw instructions or assembly (bpfkit object show / bpfkit disasm read objects)`,
    );
  }
  return input;
}

/** The instructions of a program file (hex, assembly or raw); ELF objects are refused as by {@link readProgram}. */
export function readInstructionBytes(path: string): Uint8Array {
  return readProgram(path).insns;
}

/**
 * The bytes of an object file: anything that is not ELF (hex, assembly, raw instructions, empty)
 * is one line, exit code 2.
 *
 * @example
 * const spec = loadObjectSpec(readObjectFile('xdp_filter.o'));
 */
export function readObjectFile(file: string): Uint8Array {
  const bytes = readInput(file);
  const kind = detectInputKind(bytes, file);
  if (kind !== 'elf') throw new CliError(`${file}: not an ELF object (it reads as ${kind} instructions; bpfkit disasm and verify take those)`);
  return bytes;
}
