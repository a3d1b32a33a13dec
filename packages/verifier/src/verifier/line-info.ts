import type { BtfView } from '@bpfkit/kernel-api';
import type { VerifierLog } from './log.js';

/** One `struct bpf_line_info`: where the source line of the instructions from `insnOff` on is. */
export interface LineInfo {
  readonly insnOff: number;
  readonly fileNameOff: number;
  readonly lineOff: number;
  /** Line number in the upper 22 bits, column in the lower 10. */
  readonly lineCol: number;
}

const LINE_SHIFT = 10;

/** `isspace` of the kernel's `ltrim`. */
function ltrim(s: string): string {
  let i = 0;
  while (i < s.length && ' \t\n\v\f\r'.includes(s.charAt(i))) i++;
  return s.slice(i);
}

/**
 * `verbose_linfo`: the log names the source line of an instruction (`; <line> @ <file>:<n>`)
 * when it is not the line printed last. Two records of one line (columns differ) print once.
 *
 * @example
 * const lines = new LineInfoLog(btf, records);
 * lines.print(log, 12, '; '); // "; if (!v) return 0; @ lk.c:16"
 */
export class LineInfoLog {
  private prev: LineInfo | undefined;

  constructor(private readonly btf: BtfView, private readonly recs: readonly LineInfo[], private readonly progLen: number) {}

  /** `do_check_common` starts each pass with no line printed. */
  reset(): void {
    this.prev = undefined;
  }

  /** `find_linfo`: the last record at or before `insn`. */
  find(insn: number): LineInfo | undefined {
    const recs = this.recs;
    if (recs.length === 0 || insn >= this.progLen) return undefined;
    let l = 0;
    let r = recs.length - 1;
    while (l < r) {
      const m = l + ((r - l + 1) >> 1);
      if ((recs[m]?.insnOff ?? 0) <= insn) l = m;
      else r = m - 1;
    }
    return recs[l];
  }

  /** Prints the source line of `insn` after `prefix` (at any log level but 0), unless it was the last one printed. */
  print(log: VerifierLog, insn: number, prefix: string): void {
    if (log.level === 0) return;
    const rec = this.find(insn);
    const prev = this.prev;
    if (rec === undefined || rec === prev) return;
    this.prev = rec;
    if (prev !== undefined && rec.fileNameOff === prev.fileNameOff && rec.lineCol >>> LINE_SHIFT === prev.lineCol >>> LINE_SHIFT) return;
    const file = this.btf.str(rec.fileNameOff) ?? '';
    const line = ltrim(this.btf.str(rec.lineOff) ?? '');
    log.line(`${prefix}${line} @ ${file.slice(file.lastIndexOf('/') + 1)}:${String(rec.lineCol >>> LINE_SHIFT)}`);
  }
}
