import { assemble, encodeProgram, type Insn } from '@bpfkit/asm';
import type { ProgramImage } from '@bpfkit/kernel-api';

/** Options of {@link image}. */
export interface ImageOptions {
  readonly verified?: boolean;
  readonly progType?: number;
  readonly kfuncs?: ReadonlyMap<number, string>;
}

/** A program image from kernel-syntax assembly text or instructions; unverified unless said otherwise. */
export function image(program: string | readonly Insn[], options: ImageOptions = {}): ProgramImage {
  const insns = typeof program === 'string' ? assemble(program) : program;
  return {
    progType: options.progType ?? 0,
    expectedAttachType: 0,
    insns: encodeProgram(insns),
    maps: [],
    verified: options.verified ?? false,
    ...(options.kfuncs === undefined ? {} : { kfuncs: options.kfuncs }),
  };
}

/** A program image from raw bytes (encodings the assembler would refuse). */
export function rawImage(bytes: Uint8Array, verified = false): ProgramImage {
  return { progType: 0, expectedAttachType: 0, insns: bytes, maps: [], verified };
}

/** Instruction slots from `[code, dst, src, off, imm]` tuples. */
export function slots(...list: readonly (readonly [number, number, number, number, number])[]): Uint8Array {
  const out = new Uint8Array(list.length * 8);
  const view = new DataView(out.buffer);
  list.forEach(([code, dst, src, off, imm], i) => {
    view.setUint8(i * 8, code);
    view.setUint8(i * 8 + 1, (src << 4) | dst);
    view.setInt16(i * 8 + 2, off, true);
    view.setInt32(i * 8 + 4, imm, true);
  });
  return out;
}
