import { encodeProgram } from '@bpfkit/asm';
import type { FunctionSpec, LineInfo, ProgramSpec } from '@bpfkit/elf';
import { BpfError } from '@bpfkit/kernel-api';

const BPF_CALL = 0x85;
const BPF_LD_IMM64 = 0x18;
const BPF_PSEUDO_CALL = 1;
const BPF_PSEUDO_FUNC = 4;

/** A reference the loader resolves once maps exist (slot is in the assembled code). */
export type PendingRef =
  | { readonly slot: number; readonly kind: 'map'; readonly map: string }
  | { readonly slot: number; readonly kind: 'data'; readonly section: string; readonly offset: number }
  | { readonly slot: number; readonly kind: 'extern'; readonly extern: string; readonly call: boolean }
  | { readonly slot: number; readonly kind: 'arena'; readonly offset: number };

/** A program with its subprograms appended and calls fixed (libbpf's `bpf_object__reloc_code`). */
export interface AssembledProgram {
  readonly code: Uint8Array;
  readonly refs: readonly PendingRef[];
  readonly funcInfo: readonly { readonly insnOff: number; readonly typeId: number }[];
  readonly lineInfo: readonly LineInfo[];
  readonly coreRelos: readonly { readonly insn: number; readonly typeId: number; readonly accessStr: string; readonly kind: number }[];
}

/** Functions by name and by (section, first slot), for calls with and without relocations. */
export interface FunctionIndex {
  readonly byName: ReadonlyMap<string, FunctionSpec>;
  readonly bySectionSlot: ReadonlyMap<string, ReadonlyMap<number, FunctionSpec>>;
}

/** @example const index = indexFunctions([...spec.programs, ...spec.subprograms]); */
export function indexFunctions(fns: readonly FunctionSpec[]): FunctionIndex {
  const byName = new Map<string, FunctionSpec>();
  const bySectionSlot = new Map<string, Map<number, FunctionSpec>>();
  for (const f of fns) {
    byName.set(f.name, f);
    const m = bySectionSlot.get(f.section) ?? new Map<number, FunctionSpec>();
    m.set(f.sectionInsn, f);
    bySectionSlot.set(f.section, m);
  }
  return { byName, bySectionSlot };
}

/**
 * Appends every subprogram a program reaches after it, in the order libbpf does (depth
 * first, in instruction order), and points each bpf-to-bpf call and callback address at
 * its copy. Map, data and extern references are returned for the loader to fill.
 *
 * @example
 * const asm = assembleProgram(spec.programs[0], indexFunctions([...spec.programs, ...spec.subprograms]));
 */
export function assembleProgram(prog: ProgramSpec, index: FunctionIndex): AssembledProgram {
  const parts: { fn: FunctionSpec; start: number; code: Uint8Array }[] = [];
  const placed = new Map<string, number>();
  const refs: PendingRef[] = [];
  let total = 0;
  const place = (fn: FunctionSpec): number => {
    const start = total;
    placed.set(fn.name, start);
    parts.push({ fn, start, code: encodeProgram(fn.insns) });
    total += fn.slots;
    return start;
  };
  const patches: { slot: number; imm: number; src?: number }[] = [];
  const visit = (fn: FunctionSpec, base: number): void => {
    const relos = new Map(fn.relocations.map((r) => [r.insn, r]));
    let slot = 0;
    for (const insn of fn.insns) {
      const here = slot;
      slot += insn.code === BPF_LD_IMM64 ? 2 : 1;
      const r = relos.get(here);
      const isCall = insn.code === BPF_CALL && insn.src === BPF_PSEUDO_CALL;
      let target: FunctionSpec | undefined;
      let func = false;
      if (r?.kind === 'call' || r?.kind === 'func-addr') {
        target = index.byName.get(r.function);
        func = r.kind === 'func-addr';
        if (target === undefined) throw new BpfError('ENOENT', 'libbpf:no-subprog', `prog '${prog.name}': no function '${r.function}'`);
      } else if (r === undefined && isCall) {
        target = index.bySectionSlot.get(fn.section)?.get(fn.sectionInsn + here + insn.imm + 1);
        if (target === undefined) throw new BpfError('EINVAL', 'libbpf:bad-call', `prog '${prog.name}': call at insn ${String(base + here)} has no target function`);
      } else if (r !== undefined) {
        const at = base + here;
        if (r.kind === 'map') refs.push({ slot: at, kind: 'map', map: r.map });
        else if (r.kind === 'data') refs.push({ slot: at, kind: 'data', section: r.section, offset: r.offset });
        else if (r.kind === 'extern') refs.push({ slot: at, kind: 'extern', extern: r.extern, call: insn.code === BPF_CALL });
        else refs.push({ slot: at, kind: 'arena', offset: r.offset });
        continue;
      }
      if (target === undefined) continue;
      let start = placed.get(target.name);
      if (start === undefined) {
        start = place(target);
        visit(target, start);
      }
      const at = base + here;
      patches.push({ slot: at, imm: start - at - 1, ...(func ? { src: BPF_PSEUDO_FUNC } : {}) });
    }
  };
  place(prog);
  visit(prog, 0);
  const code = new Uint8Array(total * 8);
  for (const p of parts) code.set(p.code, p.start * 8);
  const view = new DataView(code.buffer);
  for (const p of patches) {
    view.setInt32(p.slot * 8 + 4, p.imm, true);
    if (p.src !== undefined) code[p.slot * 8 + 1] = ((code[p.slot * 8 + 1] ?? 0) & 0x0f) | (p.src << 4);
  }
  return {
    code,
    refs,
    funcInfo: parts.flatMap((p) => p.fn.funcInfo.map((f) => ({ insnOff: f.insnOff + p.start, typeId: f.typeId }))),
    lineInfo: parts.flatMap((p) => p.fn.lineInfo.map((l) => ({ ...l, insnOff: l.insnOff + p.start }))),
    coreRelos: parts.flatMap((p) => p.fn.coreRelos.map((c) => ({ insn: c.insnOff + p.start, typeId: c.typeId, accessStr: c.accessStr, kind: c.kind }))),
  };
}
