import { isBpfError, type Verifier, type VerifierPrivileges, type VerifierRequest } from '@bpfkit/kernel-api';

/** Every capability: the privileges of a root loader. */
export const root: VerifierPrivileges = { allowPtrLeaks: true, allowUninitStack: true, bypassSpecV1: true, bypassSpecV4: true, bpfCapable: true, perfmonCapable: true };

/** The verdict of one load: 'ok', or the errno and the log's error line (the last line before `processed`). */
export function outcomeOf(verifier: Verifier, req: VerifierRequest): { code: string; line: string } {
  try {
    verifier.verify(req);
    return { code: 'ok', line: '' };
  } catch (e) {
    if (!isBpfError(e)) throw e;
    const lines = (e.log ?? '').split('\n').filter((l) => l !== '' && !l.startsWith('processed '));
    return { code: e.code, line: lines.at(-1) ?? '' };
  }
}

/** A line of the level-2 preamble: `func#N @start`, the "Live regs before insn:" header or one of its rows. */
const PREAMBLE = /^(func#\d+ @\d+|Live regs before insn:|[ \d]{4}[ \d]{2}\d: [0-9.]{10} .*)$/;

/**
 * The log without its level-2 preamble (subprogram list and live registers) and the stack liveness
 * pass's lines, for tests whose expected logs were taken from the kernel with those left out.
 */
export function withoutPreamble(lines: readonly string[]): string[] {
  let i = 0;
  while (i < lines.length && PREAMBLE.test(lines[i] ?? '')) i++;
  return lines.slice(i).filter((l) => !LIVENESS.test(l));
}

/**
 * The stack liveness pass's lines (`(0) frame 0 insn 4 +live -8`, `(0) live stack update done in 2 iterations`),
 * which these tests' expected logs leave out; verifier-stack-liveness.test.ts and the dynptr fixtures compare them.
 */
const LIVENESS = /^\(\d+(,\d+)*\) (frame \d+ insn \d+ |live stack update done)/;
