import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { assemble, encodeProgram } from '@bpfkit/asm';
import { CliError } from './errors.js';

/**
 * The largest input bpfkit reads (64 MiB): far above any program the kernel loads
 * (1,000,000 instructions are 8 MB raw, 17 MB as hex) and vmlinux BTF (about 6 MB).
 */
export const MAX_INPUT_BYTES = 64 * 1024 * 1024;

/** `BPF_COMPLEXITY_LIMIT_INSNS`: the most instructions the kernel loads in one program. */
export const MAX_PROGRAM_INSNS = 1_000_000;

const CHUNK = 1024 * 1024;

function tooLarge(path: string): CliError {
  return new CliError(`${path}: larger than ${String(MAX_INPUT_BYTES / 1024 / 1024)} MiB; bpfkit reads no input that large (the kernel loads at most ${MAX_PROGRAM_INSNS.toLocaleString('en')} instructions)`);
}

/** Reads `fd` to its end, or throws once it passes the limit (a device such as /dev/zero never ends). */
function readAll(fd: number, path: string): Uint8Array {
  const chunks: Buffer[] = [];
  let total = 0;
  for (;;) {
    const chunk = Buffer.allocUnsafe(CHUNK);
    let n: number;
    try {
      n = readSync(fd, chunk, 0, CHUNK, null);
    } catch (e) {
      // A non-blocking standard input with nothing yet: wait a little and read again.
      if (e instanceof Error && 'code' in e && e.code === 'EAGAIN') {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
        continue;
      }
      throw e;
    }
    if (n === 0) break;
    total += n;
    if (total > MAX_INPUT_BYTES) throw tooLarge(path);
    chunks.push(chunk.subarray(0, n));
  }
  return Buffer.concat(chunks, total);
}

/**
 * Reads a whole file (`-`: standard input), turning a missing or unreadable file into one
 * clear line, and refusing, without reading it all, an input over {@link MAX_INPUT_BYTES}.
 */
export function readInput(path: string): Uint8Array {
  let fd: number | undefined;
  try {
    fd = path === '-' ? 0 : openSync(path, 'r');
    const st = fstatSync(fd);
    if (st.isDirectory()) throw new CliError(`cannot read ${path}: EISDIR`);
    if (st.isFile() && st.size > MAX_INPUT_BYTES) throw tooLarge(path);
    return readAll(fd, path);
  } catch (e) {
    if (e instanceof CliError) throw e;
    const code = e instanceof Error && 'code' in e ? String(e.code) : 'EIO';
    throw new CliError(`cannot read ${path}: ${code}`);
  } finally {
    if (fd !== undefined && fd !== 0) closeSync(fd);
  }
}

const HEX_LINE = /^[0-9a-fA-F]{16}$/;

/** Calls `fn` with each line of `text` (without building an array of them) until it returns false. */
function eachLine(text: string, fn: (line: string) => boolean): void {
  let start = 0;
  while (start <= text.length) {
    const end = text.indexOf('\n', start);
    const stop = end === -1 ? text.length : end;
    if (!fn(text.slice(start, stop))) return;
    start = stop + 1;
  }
}

const COMMENT = /(#|;|\/\/).*/;

/** The instructions of a hex-per-line text, or undefined when `bytes` is not one (decided at the first other line). */
function hexLines(bytes: Uint8Array): Uint8Array | undefined {
  const hex: string[] = [];
  let ok = true;
  eachLine(Buffer.from(bytes).toString('latin1'), (line) => {
    const l = line.replace(/#.*/, '').replace(/\s+/g, '');
    if (l === '') return true;
    ok = HEX_LINE.test(l);
    if (ok) hex.push(l);
    return ok;
  });
  if (!ok || hex.length === 0) return undefined;
  return Uint8Array.from(Buffer.from(hex.join(''), 'hex'));
}

/** Text with nothing but blank lines and comments (`#`, `;`, `//`). */
function onlyComments(bytes: Uint8Array): boolean {
  let empty = true;
  eachLine(Buffer.from(bytes).toString('utf8'), (l) => (empty = l.replace(COMMENT, '').trim() === ''));
  return empty;
}

/** Lines of assembly that hold an instruction (not blank, a comment or a label alone), counted up to one past the limit. */
function statementLines(bytes: Uint8Array): number {
  let n = 0;
  eachLine(Buffer.from(bytes).toString('utf8'), (l) => {
    const code = l.replace(COMMENT, '').trim();
    if (code !== '' && !/^[\w.$]+:$/.test(code)) n++;
    return n <= MAX_PROGRAM_INSNS;
  });
  return n;
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
  if (isText(bytes)) {
    if (onlyComments(bytes)) throw new CliError(`${path}: no instructions, only blank lines and comments`);
    return 'assembly';
  }
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

/** Refuses a program longer than the kernel ever loads, before any work on it. */
function checkProgramSize(insns: Uint8Array, path: string): Uint8Array {
  const count = insns.length / 8;
  if (count > MAX_PROGRAM_INSNS) {
    throw new CliError(
      `${path}: ${count.toLocaleString('en')} instructions; the kernel loads at most ${MAX_PROGRAM_INSNS.toLocaleString('en')} (BPF_COMPLEXITY_LIMIT_INSNS), and so does bpfkit`,
    );
  }
  return insns;
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
  if (kind === 'assembly' && statementLines(bytes) > MAX_PROGRAM_INSNS) {
    throw new CliError(`${path}: more than ${MAX_PROGRAM_INSNS.toLocaleString('en')} lines of instructions; the kernel loads at most ${MAX_PROGRAM_INSNS.toLocaleString('en')} (BPF_COMPLEXITY_LIMIT_INSNS), and so does bpfkit`);
  }
  return { kind, insns: checkProgramSize(programFromBytes(bytes, kind, assembleText), path) };
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
