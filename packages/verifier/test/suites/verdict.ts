// What the three verifier-selftests suites share: the case fields they read, the
// instruction decoding, and the verdict comparison with the real kernel.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isBpfError, type Verifier, type VerifierMap } from '@bpfkit/kernel-api';

/** The fields of a corpus case every suite reads. */
export interface CaseCore {
  readonly id: string;
  readonly insns: string[] | null;
  readonly prog_type: { readonly number: number };
  readonly expected_attach_type: { readonly number: number } | null;
  readonly license?: string;
  readonly flags?: { readonly prog_flags?: number };
  readonly kernel: { readonly result: string; readonly blocked_before_verifier?: boolean };
}

/** The kernel gave a verifier verdict (not a refusal before the verifier ran). */
export function hasVerdict(c: CaseCore): boolean {
  return c.insns !== null && (c.kernel.result === 'accept' || c.kernel.result === 'reject') && c.kernel.blocked_before_verifier !== true;
}

/** The corpus's 16-hex-digit instructions as bytes. */
export function hexToBytes(insns: readonly string[]): Uint8Array {
  const out = new Uint8Array(insns.length * 8);
  insns.forEach((h, i) => {
    for (let b = 0; b < 8; b++) out[i * 8 + b] = parseInt(h.slice(b * 2, b * 2 + 2), 16);
  });
  return out;
}

/** Every case of `corpus/verifier/<dir>/*.json`, in file order. */
export function* casesIn<C>(root: string, dir: string): Generator<C> {
  for (const file of readdirSync(join(root, dir)).filter((f) => f.endsWith('.json')).sort()) {
    yield* (JSON.parse(readFileSync(join(root, dir, file), 'utf8')) as { cases: C[] }).cases;
  }
}

/**
 * Verifies a case with the privileges the corpus loaded it with (CAP_BPF,
 * CAP_PERFMON, CAP_NET_ADMIN); `undefined` when the verdict equals the
 * kernel's, else why not.
 */
export function verdictMismatch(verifier: Verifier, c: CaseCore, insns: Uint8Array, maps?: Map<number, VerifierMap>): string | undefined {
  let verdict = 'accept';
  try {
    verifier.verify({
      progType: c.prog_type.number, expectedAttachType: c.expected_attach_type?.number ?? 0, insns, ...(maps === undefined ? {} : { maps }),
      license: c.license ?? 'GPL', gplCompatible: (c.license ?? 'GPL') === 'GPL', progFlags: c.flags?.prog_flags ?? 0, logLevel: 0, logSize: 0,
      privileges: { allowPtrLeaks: true, allowUninitStack: true, bypassSpecV1: true, bypassSpecV4: true, bpfCapable: true, perfmonCapable: true },
    });
  } catch (e) {
    if (!isBpfError(e)) throw e;
    verdict = 'reject';
  }
  return verdict === c.kernel.result ? undefined : `kernel ${c.kernel.result}, ours ${verdict}`;
}
