import type { BpfMap, InsnRewrite } from '@bpfkit/kernel-api';
import type { MapRecord } from '../bpf/map-record.js';
import type { BpfObject } from '../bpf/objects.js';
import type { SyscallContext } from '../task/syscall-context.js';
import { getS16, getS32, setU16, setU32 } from './insn-bytes.js';

/** `BPF_LD | BPF_IMM | BPF_DW`. */
const LD_IMM64 = 0x18;
/** `BPF_JMP | BPF_CALL`. */
const CALL = 0x85;
const PSEUDO_MAP_FD = 1;
const PSEUDO_MAP_VALUE = 2;
const PSEUDO_BTF_ID = 3;
const PSEUDO_FUNC = 4;
const PSEUDO_MAP_IDX = 5;
const PSEUDO_MAP_IDX_VALUE = 6;
const PSEUDO_KFUNC_CALL = 2;

/** A program's instructions after the kernel's load-time fix-ups, and the maps they name. */
export interface ResolvedProgram {
  readonly insns: Uint8Array;
  /** `used_maps` in first-use order; each holds a new reference the program keeps. */
  readonly usedMaps: BpfObject[];
  readonly liveMaps: readonly BpfMap[];
  readonly kfuncs: ReadonlyMap<number, string>;
}

/**
 * `resolve_pseudo_ldimm64` and `convert_pseudo_ld_imm64` for an engine: map
 * loads become the map's address, map value loads the value's address
 * (`map_direct_value_addr`), both with `src_reg` cleared; `BPF_PSEUDO_FUNC`
 * keeps its `src_reg` with `imm` the callback's absolute index; kfunc calls
 * are named from the vmlinux BTF. Runs after the verifier accepted the
 * program, so every fd it names is a map.
 */
export function resolveProgram(
  task: SyscallContext, original: Uint8Array, fdArray: { readonly at: bigint; readonly cnt: number }, vmlinuxName: (id: number) => string | undefined,
  kernelSymbol: (name: string) => bigint | undefined = () => undefined,
): ResolvedProgram {
  const insns = original.slice();
  const used: BpfObject[] = [];
  const live: BpfMap[] = [];
  const kfuncs = new Map<number, string>();
  const n = insns.length / 8;
  const fdAt = (index: number): number | undefined => {
    try {
      return getS32(task.memory.read(fdArray.at + BigInt(index >>> 0) * 4n, 4), 0);
    } catch {
      return undefined;
    }
  };
  const mapByFd = (fd: number | undefined): BpfObject | undefined => {
    const obj = fd === undefined ? undefined : task.fdTable.get(fd)?.file.payload.object;
    return obj?.kind === 'map' ? obj : undefined;
  };
  const mapOf = (src: number, imm: number): BpfObject | undefined =>
    mapByFd(src === PSEUDO_MAP_IDX || src === PSEUDO_MAP_IDX_VALUE ? fdAt(imm) : imm);
  const use = (obj: BpfObject | undefined): void => {
    if (obj === undefined || used.includes(obj)) return;
    used.push(obj.get());
    const rec = obj.impl as MapRecord;
    if (rec.live !== undefined) live.push(rec.live);
  };
  // `fd_array_cnt`: the array's maps come first in used_maps (the verifier accepted every fd).
  for (let i = 0; i < fdArray.cnt; i++) use(mapByFd(fdAt(i)));
  for (let i = 0; i < n; i++) {
    const off = i * 8;
    const code = insns[off] ?? 0;
    const src = (insns[off + 1] ?? 0) >> 4;
    if (code === CALL && src === PSEUDO_KFUNC_CALL && getS16(insns, off + 2) === 0) {
      const name = vmlinuxName(getS32(insns, off + 4));
      if (name !== undefined) kfuncs.set(i, name);
      continue;
    }
    if (code !== LD_IMM64 || i + 1 >= n) continue;
    const imm = getS32(insns, off + 4);
    let addr: number | undefined;
    if (src === PSEUDO_FUNC) {
      setU32(insns, off + 4, i + imm + 1);
    } else if (src === PSEUDO_MAP_FD || src === PSEUDO_MAP_IDX || src === PSEUDO_MAP_VALUE || src === PSEUDO_MAP_IDX_VALUE) {
      const obj = mapOf(src, imm);
      const rec = obj?.impl as MapRecord | undefined;
      use(obj);
      const valueOff = getS32(insns, off + 12);
      const m = rec?.live;
      addr = src === PSEUDO_MAP_FD || src === PSEUDO_MAP_IDX ? m?.address ?? 0 : m?.directValueAddr?.(valueOff >>> 0) ?? 0;
    } else if (src === PSEUDO_BTF_ID) {
      // A ksym: its kallsyms address (the verifier refused the ones kallsyms does not list).
      const at = kernelSymbol(vmlinuxName(imm) ?? '') ?? 0n;
      insns[off + 1] = (insns[off + 1] ?? 0) & 0x0f;
      setU32(insns, off + 4, Number(at & 0xffff_ffffn));
      setU32(insns, off + 12, Number(at >> 32n));
    }
    if (addr !== undefined) {
      insns[off + 1] = (insns[off + 1] ?? 0) & 0x0f;
      setU32(insns, off + 4, addr >>> 0);
      setU32(insns, off + 12, Math.floor(addr / 0x1_0000_0000) >>> 0);
    }
    i++;
  }
  return { insns, usedMaps: used, liveMaps: live, kfuncs };
}

/**
 * The verifier's post-verification rewrites (arena accesses as `BPF_PROBE_MEM32`, casts as
 * 32-bit movs…) applied to a resolved image: each slot keeps its registers and takes the new
 * code, off and imm.
 */
export function applyInsnRewrites(insns: Uint8Array, rewrites: readonly InsnRewrite[] | undefined): Uint8Array {
  if (rewrites === undefined || rewrites.length === 0) return insns;
  const out = insns.slice();
  for (const r of rewrites) {
    const off = r.index * 8;
    if (off + 8 > out.length) continue;
    out[off] = r.code;
    setU16(out, off + 2, r.off);
    setU32(out, off + 4, r.imm);
  }
  return out;
}
