import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { decodeHex, formatLogLine, type Insn, insnSlots } from '@bpfkit/asm';
import { assertSuite, sharedPath, skipMessage, corpusRequired } from '@bpfkit/corpus';
import run from './suites/asm-roundtrip.suite.js';

const FLOOR = 3177;
const LOG_LINE_FLOOR = 491;

test('asm-roundtrip: every corpus program survives decode/encode and text in both syntaxes', (t) => assertSuite(t, 'asm-roundtrip', run, FLOOR));

interface LoggedCase {
  readonly insns: readonly string[] | null;
  readonly kernel?: { readonly log_tail?: readonly string[] };
  readonly expected?: { readonly msgs?: readonly { readonly text: string; readonly regex?: string }[] };
}

test('instruction lines of real verifier logs are printed exactly (ld_imm64 and kfunc names aside)', (t) => {
  const dir = sharedPath('corpus', 'verifier');
  if (dir === undefined) {
    t.log(skipMessage('asm-log-lines'));
    t.true(!corpusRequired(), 'asm-log-lines: the shared corpus is missing and CI=true requires it');
    return;
  }
  let same = 0;
  const different: string[] = [];
  for (const group of ['classic', 'progs']) {
    for (const file of readdirSync(join(dir, group)).filter((f) => f.endsWith('.json'))) {
      const { cases } = JSON.parse(readFileSync(join(dir, group, file), 'utf8')) as { cases: readonly LoggedCase[] };
      for (const c of cases) {
        if (c.insns === null) continue;
        const bySlot = new Map<number, Insn>();
        let pc = 0;
        for (const insn of decodeHex(c.insns.join(''))) {
          bySlot.set(pc, insn);
          pc += insnSlots(insn);
        }
        const msgs = (c.expected?.msgs ?? []).filter((m) => m.regex === undefined).map((m) => m.text);
        for (const line of [...(c.kernel?.log_tail ?? []), ...msgs]) {
          const m = /^(\d+): \(([0-9a-f]{2})\) (.*?)(?:\s+;.*)?$/.exec(line);
          if (m === null) continue;
          const insn = bySlot.get(Number(m[1]));
          // Map pointers (ld_imm64) and kfunc names come from the live kernel, not from the bytes.
          if (insn === undefined || insn.code !== parseInt(m[2] ?? '', 16) || m[2] === '18' || (m[2] === '85' && insn.src === 2)) continue;
          const theirs = `${m[1] ?? ''}: (${m[2] ?? ''}) ${m[3] ?? ''}`;
          if (formatLogLine(insn, Number(m[1])) === theirs) same++;
          else different.push(`${theirs} | ours: ${formatLogLine(insn, Number(m[1]))}`);
        }
      }
    }
  }
  t.log(`asm-log-lines: ${String(same)} identical, ${String(different.length)} different`);
  t.deepEqual(different, []);
  t.true(same >= LOG_LINE_FLOOR);
});
