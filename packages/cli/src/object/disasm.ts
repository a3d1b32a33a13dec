import { formatLogInsn, insnSlots, encodeProgram, type Insn } from '@bpfkit/asm';
import type { Btf } from '@bpfkit/btf';
import type { FunctionSpec, LineInfo, ObjectSpec, ProgramSpec, RelocationSpec } from '@bpfkit/elf';
import { progTypeStr } from '@bpfkit/libbpf';
import { declaration } from './typeName.js';

const BPF_CALL = 0x85;

/** A source line from line_info, file name without its directories. @example { file: 'xdp_filter.c', line: 18, column: 19, text: '__u32 key = ctx->ingress_ifindex;' } */
export interface SourceLine {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly text: string;
}

/** One instruction of an object's program. @example { index: 6, code: '18', hex: '1801…', text: 'r1 = map[counts]', relocation: { kind: 'map', map: 'counts' } } */
export interface ListedInsn {
  /** Slot index inside its function (ld_imm64 takes two). */
  readonly index: number;
  readonly code: string;
  readonly hex: string;
  readonly text: string;
  readonly relocation?: ListedRelocation;
  /** The line_info record that starts at this instruction. */
  readonly source?: SourceLine;
}

/** One function of a listing: the program itself, then each subprogram it reaches. @example { name: 'classify', signature: 'int classify(struct __sk_buff *skb)', insns: [...] } */
export interface ListedFunction {
  readonly name: string;
  /** The C prototype from func_info, when the object has one. */
  readonly signature: string | null;
  readonly insns: readonly ListedInsn[];
}

/** One program of `bpfkit disasm OBJ.o`. @example { name: 'xdp_filter', section: 'xdp', prog_type: 'xdp', functions: [...] } */
export interface ListedProgram {
  readonly name: string;
  readonly section: string;
  readonly prog_type: string;
  readonly functions: readonly ListedFunction[];
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

function signed(n: number): string {
  return n < 0 ? String(n) : `+${String(n)}`;
}

function relocationText(insn: Insn, rel: RelocationSpec, externKind: ReadonlyMap<string, string>): string | undefined {
  const dst = `r${String(insn.dst)}`;
  switch (rel.kind) {
    case 'map':
      return `${dst} = map[${rel.map}]`;
    case 'data':
      return `${dst} = ${rel.section}${signed(rel.offset)}`;
    case 'func-addr':
      return `${dst} = func[${rel.function}]`;
    case 'call':
      return `call pc${signed(insn.imm)} <${rel.function}>`;
    case 'extern': {
      const kind = externKind.get(rel.extern) ?? 'extern';
      return insn.code === BPF_CALL ? `call ${kind}[${rel.extern}]` : `${dst} = ${kind}[${rel.extern}]`;
    }
    default: {
      // Kinds the loader learns later (arena globals…): the kind and its offset.
      const other = rel as { readonly kind: string; readonly offset?: number };
      return `${dst} = ${other.kind}${other.offset === undefined ? '' : signed(other.offset)}`;
    }
  }
}

/** A relocation as the listing shows it: what it refers to, without the slot it sits at. */
export type ListedRelocation = RelocationSpec extends infer R ? (R extends RelocationSpec ? Omit<R, 'insn'> : never) : never;

function withoutInsn(rel: RelocationSpec): ListedRelocation {
  return Object.fromEntries(Object.entries(rel).filter(([k]) => k !== 'insn')) as ListedRelocation;
}

function sourceOf(l: LineInfo): SourceLine {
  return { file: l.fileName.replace(/^.*\//, ''), line: l.lineNum, column: l.column, text: l.line.trim() };
}

function listFunction(f: FunctionSpec, btf: Btf | undefined, externKind: ReadonlyMap<string, string>): ListedFunction {
  const relocs = new Map(f.relocations.map((r) => [r.insn, r]));
  const lines = new Map(f.lineInfo.map((l) => [l.insnOff, l]));
  const first = f.funcInfo.find((fi) => fi.insnOff === 0);
  const insns: ListedInsn[] = [];
  let pc = 0;
  for (const insn of f.insns) {
    const rel = relocs.get(pc);
    const own = rel === undefined ? undefined : relocationText(insn, rel, externKind);
    const text = own ?? formatLogInsn(insn).replace(/^\([0-9a-f]{2}\) /, '');
    const line = lines.get(pc);
    const relocation = rel === undefined ? undefined : withoutInsn(rel);
    insns.push({
      index: pc,
      code: insn.code.toString(16).padStart(2, '0'),
      hex: hex(encodeProgram([insn])),
      text,
      ...(relocation === undefined ? {} : { relocation }),
      ...(line === undefined ? {} : { source: sourceOf(line) }),
    });
    pc += insnSlots(insn);
  }
  return { name: f.name, signature: btf === undefined || first === undefined ? null : declaration(btf, first.typeId), insns };
}

/**
 * A program of an object as bpftool's `prog dump xlated linum` shows a loaded one, before
 * relocation: relocated instructions name what they refer to (`r1 = map[counts]`,
 * `r1 = .rodata+0`, `call pc-1 <classify>`, `call kfunc[bpf_task_under_cgroup]`), source lines
 * come from line_info, and the subprograms it reaches follow it.
 *
 * @example
 * listProgram(spec, spec.programs[0]).functions[0]?.insns[6]?.text; // 'r1 = map[counts]'
 */
export function listProgram(spec: ObjectSpec, p: ProgramSpec): ListedProgram {
  const externKind = new Map(spec.externs.map((e) => [e.name, e.kind === 'unknown' ? 'extern' : e.kind]));
  const byName = new Map<string, FunctionSpec>([...spec.subprograms, ...spec.programs].map((f) => [f.name, f]));
  const functions = [p, ...p.subprograms.flatMap((name) => byName.get(name) ?? [])].map((f) => listFunction(f, spec.btf, externKind));
  return { name: p.name, section: p.sectionName, prog_type: progTypeStr(p.progType), functions };
}

/**
 * The text form: per function its prototype, then `; source @ file:line` before the
 * instructions a line_info record starts at, then `   6: (18) r1 = map[counts]`.
 *
 * @example
 * formatListing(listProgram(spec, prog)).split('\n')[1]; // 'int xdp_filter(struct xdp_md *ctx):'
 */
export function formatListing(p: ListedProgram): string {
  const out: string[] = [`${p.name}: section ${p.section}, type ${p.prog_type}`];
  for (const f of p.functions) {
    out.push(`${f.signature ?? f.name}:`);
    let last = '';
    for (const i of f.insns) {
      if (i.source !== undefined) {
        const where = `${i.source.file}:${String(i.source.line)}`;
        if (where !== last) out.push(`; ${i.source.text} @ ${where}`);
        last = where;
      }
      out.push(`${String(i.index).padStart(4)}: (${i.code}) ${i.text}`);
    }
  }
  return out.join('\n');
}
