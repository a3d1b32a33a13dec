import type { Insn } from '@bpfkit/asm';
import type { InsnRewrite, VerifierMap } from '@bpfkit/kernel-api';
import { BPF_F_NO_USER_CONV, BpfMapType } from '@bpfkit/uapi';
import type { VerifierEnv } from './env.js';
import { ALU, ALU64, cls, LD_IMM64, mode, op, PSEUDO_MAP_FD, PSEUDO_MAP_VALUE, srcX } from './insns.js';
import { fail } from './log.js';

/** `off` of `BPF_ALU64 | BPF_MOV | BPF_X` that makes it `addr_space_cast`. */
export const ADDR_SPACE_CAST = 1;
/** `imm` of the two casts: from address space 1 to 0 (`cast_kern`), and back (`cast_user`). */
export const CAST_KERN = 1;
export const CAST_USER = 1 << 16;
const MOV_X = 0xb0 | 0x08;
const MEMSX = 0x80;
/** `BPF_PROBE_MEM32`, `BPF_PROBE_ATOMIC`: the modes the kernel gives arena loads/stores and atomics. */
export const BPF_PROBE_MEM32 = 0xa0;
export const BPF_PROBE_ATOMIC = 0xe0;
const ATOMIC = 0xc0;

/** Per verification: the arena map and the 64-bit ALU instructions on arena pointers (`aux->needs_zext`). */
interface ArenaUse {
  readonly map: VerifierMap | undefined;
  readonly needsZext: Set<number>;
}

const uses = new WeakMap<VerifierEnv, ArenaUse>();

/**
 * `env->prog->aux->arena`: the ARENA map an ld_imm64 of the program names (resolve_pseudo_ldimm64
 * allowed at most one).
 */
function arenaUse(env: VerifierEnv): ArenaUse {
  let use = uses.get(env);
  if (use !== undefined) return use;
  let map: VerifierMap | undefined;
  for (const insn of env.insns) {
    if (insn.code !== LD_IMM64 || (insn.src !== PSEUDO_MAP_FD && insn.src !== PSEUDO_MAP_VALUE)) continue;
    const m = env.req.maps?.get(insn.imm);
    if (m?.mapType === BpfMapType.BPF_MAP_TYPE_ARENA) { map = m; break; }
  }
  use = { map, needsZext: new Set() };
  uses.set(env, use);
  return use;
}

/** `insn` is `addr_space_cast` (any imm: the imm is checked by {@link checkAddrSpaceCast}). */
export function isAddrSpaceCast(insn: Insn): boolean {
  return insn.code === (ALU64 | MOV_X) && insn.off === ADDR_SPACE_CAST;
}

/** `check_alu_op` on `addr_space_cast`: only between address spaces 1 and 0, and only with an arena. */
export function checkAddrSpaceCast(env: VerifierEnv, insn: Insn): void {
  if (insn.imm !== CAST_KERN && insn.imm !== CAST_USER) {
    fail(env.log, 'EINVAL', 'addr-space-cast', 'addr_space_cast insn can only convert between address space 1 and 0');
  }
  if (arenaUse(env).map === undefined) {
    fail(env.log, 'EINVAL', 'addr-space-cast', 'addr_space_cast insn can only be used in a program that has an associated arena');
  }
}

/** `aux->needs_zext`: this 64-bit ALU instruction works on an arena pointer, so it runs as 32-bit. */
export function markNeedsZext(env: VerifierEnv): void {
  arenaUse(env).needsZext.add(env.insnIdx);
}

/**
 * The arena rewrites of `convert_ctx_accesses` and `do_misc_fixups` once the program is
 * verified: casts to the kernel's space (and to the user's with `BPF_F_NO_USER_CONV`) become
 * `wX = wY`, 64-bit ALU on arena pointers becomes 32-bit, loads and stores through arena
 * pointers `BPF_PROBE_MEM32` and atomics `BPF_PROBE_ATOMIC`. A sign-extending load from an
 * arena is refused here (EOPNOTSUPP), as the kernel does after the walk.
 */
export function arenaRewrites(env: VerifierEnv): InsnRewrite[] {
  const use = arenaUse(env);
  const out: InsnRewrite[] = [];
  // Without an arena (an `arg:arena` global function alone) accesses still become BPF_PROBE_MEM32: they all fault.
  const noUserConv = ((use.map?.mapFlags ?? 0) & BPF_F_NO_USER_CONV) !== 0;
  // Most programs touch no arena: then no instruction needs a lookup in the per-instruction maps.
  const arenaAccess = [...env.auxPtrType.values()].includes('arena');
  const zext = use.needsZext.size > 0;
  for (let i = 0; i < env.insns.length; i++) {
    const insn = env.insns[i] as Insn;
    const c = cls(insn.code);
    if (arenaAccess && env.auxPtrType.get(i) === 'arena' && (c === 0x01 || c === 0x02 || c === 0x03)) {
      if (c === 0x01 && mode(insn.code) === MEMSX) {
        fail(env.log, 'EOPNOTSUPP', 'arena-ldsx', 'sign extending loads from arena are not supported yet');
      }
      const probe = c === 0x03 && mode(insn.code) === ATOMIC ? BPF_PROBE_ATOMIC : BPF_PROBE_MEM32;
      out.push({ index: i, code: (insn.code & ~0xe0) | probe, off: insn.off, imm: insn.imm });
    } else if (isAddrSpaceCast(insn)) {
      if (insn.imm === CAST_KERN || noUserConv) out.push({ index: i, code: ALU | MOV_X, off: 0, imm: 0 });
    } else if (zext && c === ALU64 && use.needsZext.has(i)) {
      out.push({ index: i, code: ALU | op(insn.code) | (srcX(insn.code) ? 0x08 : 0), off: insn.off, imm: insn.imm });
    }
  }
  return out;
}
