import { BpfError } from '@bpfkit/kernel-api';
import { asmError } from '../errors.js';
import { type Insn, insnSlots } from '../insn.js';
import { BPF_EXIT, BPF_JMP } from '../opcodes.js';
import { LABEL, type Statement, type Target } from './statement.js';

/** What a syntax supplies to the shared two-pass assembler. */
export interface LineParser {
  /** The line without its comment. */
  stripComment(line: string): string;
  /** One instruction; `labels` holds every label the text defines. */
  parse(text: string, labels: ReadonlySet<string>): Statement;
  /** The conformance dialect: an undefined label `exit` names the first `exit`. */
  readonly implicitExitLabel: boolean;
}

const LABEL_PREFIX = /^\s*([A-Za-z_.$][\w.$]*)\s*:/;

interface Located {
  readonly line: number;
  readonly slot: number;
  readonly statement: Statement;
}

function splitLabels(text: string): { labels: string[]; rest: string } {
  const labels: string[] = [];
  let rest = text;
  for (;;) {
    const m = LABEL_PREFIX.exec(rest);
    if (m === null || !LABEL.test(m[1] ?? '')) return { labels, rest: rest.trim() };
    labels.push(m[1] ?? '');
    rest = rest.slice(m[0].length);
  }
}

function atLine(line: number, e: unknown): never {
  if (e instanceof BpfError) throw new BpfError(e.code, e.reason, `line ${String(line)}: ${e.message}`);
  throw e;
}

function resolve(to: Target, from: Located, labels: ReadonlyMap<string, number>): number {
  if (to.kind === 'rel') return to.delta;
  const at = labels.get(to.name);
  if (at === undefined) throw asmError('asm:undefined-label', `undefined label '${to.name}'`);
  return at - (from.slot + 1);
}

/** The shared two-pass assembler: labels first, then instructions, then jump targets. */
export function assembleLines(text: string, parser: LineParser): Insn[] {
  const lines = text.split(/\r\n|\n|\r/);
  const stripped = lines.map((l) => parser.stripComment(l));
  const names = new Set<string>();
  stripped.forEach((l, i) => {
    for (const name of splitLabels(l).labels) {
      if (names.has(name)) atLine(i + 1, asmError('asm:duplicate-label', `label '${name}' defined twice`));
      names.add(name);
    }
  });
  const labels = new Map<string, number>();
  const located: Located[] = [];
  let slot = 0;
  const parsed = new Map<string, Statement>();
  stripped.forEach((l, i) => {
    const { labels: here, rest } = splitLabels(l);
    for (const name of here) labels.set(name, slot);
    if (rest === '') return;
    try {
      let statement = parsed.get(rest);
      if (statement === undefined) {
        statement = parser.parse(rest, names);
        if (parsed.size < 65536) parsed.set(rest, statement);
      }
      located.push({ line: i + 1, slot, statement });
      slot += insnSlots(statement.insn);
    } catch (e) {
      atLine(i + 1, e);
    }
  });
  if (located.length === 0) throw asmError('asm:empty', 'no instructions');
  if (parser.implicitExitLabel && !labels.has('exit')) {
    const first = located.find((l) => l.statement.insn.code === (BPF_JMP | BPF_EXIT));
    if (first !== undefined) labels.set('exit', first.slot);
  }
  return located.map((l) => {
    const { insn, target } = l.statement;
    if (target === undefined) return insn;
    try {
      const value = resolve(target.to, l, labels);
      if (target.field === 'off') {
        if (value < -0x8000 || value > 0x7fff) throw asmError('asm:range', `jump offset ${String(value)} does not fit 16 bits`);
        return { ...insn, off: value };
      }
      if (value < -0x80000000 || value > 0x7fffffff) throw asmError('asm:range', `jump offset ${String(value)} does not fit 32 bits`);
      return { ...insn, imm: value };
    } catch (e) {
      return atLine(l.line, e);
    }
  });
}
