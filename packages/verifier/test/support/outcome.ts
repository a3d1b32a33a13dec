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
