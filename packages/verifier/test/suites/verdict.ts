// What the three verifier-selftests suites share: the case fields they read, the
// instruction decoding, and the verdict comparison with the real kernel.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseBtf } from '@bpfkit/btf';
import { isBpfError, type BtfView, type Verifier, type VerifierFuncInfo, type VerifierMap } from '@bpfkit/kernel-api';

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
export function verdictMismatch(verifier: Verifier, c: CaseCore, insns: Uint8Array, maps?: Map<number, VerifierMap>,
  progBtf?: ProgBtf): string | undefined {
  let verdict = 'accept';
  try {
    verifier.verify({
      progType: c.prog_type.number, expectedAttachType: c.expected_attach_type?.number ?? 0, insns, ...(maps === undefined ? {} : { maps }),
      license: c.license ?? 'GPL', gplCompatible: (c.license ?? 'GPL') === 'GPL', progFlags: c.flags?.prog_flags ?? 0, logLevel: 0, logSize: 0,
      privileges: { allowPtrLeaks: true, allowUninitStack: true, bypassSpecV1: true, bypassSpecV4: true, bpfCapable: true, perfmonCapable: true },
      ...(progBtf === undefined ? {} : { funcInfo: progBtf.funcInfo }),
      ...(progBtf?.btf === undefined ? {} : { btf: progBtf.btf }),
    });
  } catch (e) {
    if (!isBpfError(e)) throw e;
    verdict = 'reject';
  }
  return verdict === c.kernel.result ? undefined : `kernel ${c.kernel.result}, ours ${verdict}`;
}

/** A hex string as bytes (any length). */
function hexBlob(hex: string): Uint8Array {
  return Uint8Array.from(hex.match(/../g) ?? [], (h) => parseInt(h, 16));
}

/** A case's program BTF as the verifier takes it: the func_info records and the parsed BTF they point into. */
export interface ProgBtf {
  readonly funcInfo: readonly VerifierFuncInfo[];
  readonly btf?: BtfView;
}

/** BTF func linkage (0 static, 1 global) of every FUNC type id in a raw BTF blob, read without validating it. */
function funcLinkages(blob: Uint8Array): Map<number, number> {
  const v = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const out = new Map<number, number>();
  if (blob.length < 24) return out;
  const start = v.getUint32(4, true) + v.getUint32(8, true);
  const end = start + v.getUint32(12, true);
  // Bytes after the 12-byte common part, by kind: fixed, or per member (vlen).
  const fixed: Record<number, number> = { 1: 4, 3: 12, 14: 4, 17: 4 };
  const perMember: Record<number, number> = { 4: 12, 5: 12, 6: 8, 13: 8, 15: 12, 19: 12 };
  let at = start;
  for (let id = 1; at + 12 <= end; id++) {
    const info = v.getUint32(at + 4, true);
    const kind = (info >>> 24) & 0x1f, vlen = info & 0xffff;
    if (kind === 12) out.set(id, vlen);
    at += 12 + (fixed[kind] ?? 0) + (perMember[kind] ?? 0) * vlen;
  }
  return out;
}

/** func_info records (`insn_off`, `type_id`) against a raw BTF blob: each FUNC's linkage, and the BTF when it parses. */
function progBtfOf(blob: Uint8Array, recs: readonly { insnOff: number; typeId: number }[]): ProgBtf {
  const linkage = funcLinkages(blob);
  const funcInfo = recs.map((r) => ({ insnOff: r.insnOff, linkage: linkage.get(r.typeId) ?? 0, typeId: r.typeId }));
  try {
    return { funcInfo, btf: parseBtf(blob) };
  } catch {
    return { funcInfo };
  }
}

/** The case's program BTF (func_info with each FUNC's linkage, the BTF itself), when it was loaded with one. */
export function caseFuncInfo(c: { func_info_hex?: string; func_info_rec_size?: number; prog_btf?: unknown }, blobs: Readonly<Record<string, string>>):
  ProgBtf | undefined {
  const hex = c.func_info_hex;
  const blobHex = typeof c.prog_btf === 'string' ? blobs[c.prog_btf] : undefined;
  if (hex === undefined || blobHex === undefined) return undefined;
  const rec = hexToBytes(hex.match(/.{1,16}/g) ?? []);
  const v = new DataView(rec.buffer);
  const size = c.func_info_rec_size ?? 8;
  const recs: { insnOff: number; typeId: number }[] = [];
  for (let at = 0; at + 8 <= rec.length; at += size) recs.push({ insnOff: v.getUint32(at, true), typeId: v.getUint32(at + 4, true) });
  return progBtfOf(hexBlob(blobHex), recs);
}

/** Every case of `corpus/verifier/<dir>/*.json` with its file's BTF blobs. */
// The case type is the caller's view of the JSON, as in casesIn.
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters
export function* casesWithBlobs<C>(root: string, dir: string): Generator<{ c: C; blobs: Readonly<Record<string, string>> }> {
  for (const file of readdirSync(join(root, dir)).filter((f) => f.endsWith('.json')).sort()) {
    const d = JSON.parse(readFileSync(join(root, dir, file), 'utf8')) as { cases: C[]; btf_blobs?: Record<string, string> };
    for (const c of d.cases) yield { c, blobs: d.btf_blobs ?? {} };
  }
}

/** A classic case's program BTF (`func_info` records against its `btf` blob), when it has one. */
export function classicFuncInfo(c: { btf?: unknown; func_info?: unknown }): ProgBtf | undefined {
  const btf = c.btf as { hex?: string } | null | undefined;
  const recs = c.func_info as { insn_off: number; type_id: number }[] | null | undefined;
  if (typeof btf?.hex !== 'string' || !Array.isArray(recs) || recs.length === 0) return undefined;
  return progBtfOf(hexBlob(btf.hex), recs.map((r) => ({ insnOff: r.insn_off, typeId: r.type_id })));
}
