import type { InsnRewrite } from '@bpfkit/kernel-api';
import type { VerifierEnv } from './env.js';
import { fail } from './log.js';
import { cls, mode } from './insns.js';
import type { RegState } from './state.js';

/** `BPF_PROBE_MEM`, `BPF_PROBE_MEMSX`: loads whose fault reads 0 (the exception table of a JIT). */
export const BPF_PROBE_MEM = 0x20;
export const BPF_PROBE_MEMSX = 0x40;
const MEM = 0x60, MEMSX = 0x80, LDX = 0x01;

/** Pointer kinds rewritten per instruction (`reg_type_mismatch_ok` false): every path must use the same one there. */
const REWRITTEN: ReadonlySet<string> = new Set(['ctx', 'sock', 'sock_common', 'tcp_sock', 'xdp_sock', 'arena']);

/** What `insn_aux_data->ptr_type` records of a pointer: its type, with a BTF pointer's or memory's flags. */
function auxKind(ptr: RegState): string {
  if (ptr.type !== 'ptr_' && ptr.type !== 'mem') return ptr.type;
  const flags = [ptr.btfMod ?? '', ptr.memAlloc === true ? 'alloc' : '', ptr.percpu === true ? 'percpu' : '', ptr.nonOwnRef === true ? 'non_own' : '',
    ptr.rdonly === true ? 'rdonly' : ''];
  return `${ptr.type}|${flags.join('|')}`;
}

const isBtf = (k: string): boolean => k.startsWith('ptr_|');
const isMemOrBtf = (k: string): boolean => isBtf(k) || k.startsWith('mem|');
const UNTRUSTED_BTF = 'ptr_|untrusted||||';
const UNTRUSTED_RDONLY_MEM = 'mem|untrusted||||rdonly';

/**
 * `save_aux_ptr_type`: the pointer an access goes through, remembered per instruction. Two kinds
 * where one is rewritten per instruction (context, sockets, arena, BTF pointers) refuse the
 * program, except that a load may see a trusted and an untrusted BTF pointer (or memory): it is
 * then taken as untrusted, a `BPF_PROBE_MEM` load.
 */
export function saveAuxPtrType(env: VerifierEnv, ptr: RegState, allowTrustMismatch: boolean): void {
  const kind = auxKind(ptr);
  const prev = env.auxPtrType.get(env.insnIdx);
  if (prev === undefined) {
    env.auxPtrType.set(env.insnIdx, kind);
    return;
  }
  if (prev === kind || !(REWRITTEN.has(prev) || REWRITTEN.has(kind) || isBtf(prev) || isBtf(kind))) return;
  if (allowTrustMismatch && isMemOrBtf(kind) && isMemOrBtf(prev)) {
    env.auxPtrType.set(env.insnIdx, kind.startsWith('mem|') ? UNTRUSTED_RDONLY_MEM : UNTRUSTED_BTF);
    return;
  }
  fail(env.log, 'EINVAL', 'ptr-type-mismatch', 'same insn cannot be used with different pointers');
}

/** The pointer kinds `convert_ctx_accesses` turns loads through into `BPF_PROBE_MEM`(`SX`) loads. */
const PROBED: ReadonlySet<string> = new Set(['ptr_||||', UNTRUSTED_BTF, 'ptr_|untrusted|alloc|||', UNTRUSTED_RDONLY_MEM]);

/**
 * Loads through a BTF pointer the kernel cannot vouch for (plain, untrusted, an untrusted
 * allocated object, untrusted read-only memory) become `BPF_PROBE_MEM`/`BPF_PROBE_MEMSX`: a fault
 * reads 0 instead of stopping the program.
 */
export function probeMemRewrites(env: VerifierEnv): InsnRewrite[] {
  const out: InsnRewrite[] = [];
  for (const [i, kind] of env.auxPtrType) {
    if (!PROBED.has(kind)) continue;
    const insn = env.insns[i];
    if (insn === undefined || cls(insn.code) !== LDX) continue;
    const m = mode(insn.code);
    if (m !== MEM && m !== MEMSX) continue;
    out.push({ index: i, code: (insn.code & ~0xe0) | (m === MEM ? BPF_PROBE_MEM : BPF_PROBE_MEMSX), off: insn.off, imm: insn.imm });
  }
  return out;
}
