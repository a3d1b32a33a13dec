import type { HelperCall, HelperDescriptor } from '@bpfkit/kernel-api';
import { type BprintfArgs, formatBprintf, formatBytes, MAX_BPRINTF_BUF, MAX_TRACE_PRINTK_VARARGS, memArgs, memArgsFormatter } from './bprintf.js';
import { defineHelper } from './define.js';
import { checkMem } from './memory.js';
import { argLo, ptrArg, setR0 } from './regs.js';

const encoder = new TextEncoder();

/**
 * `bpf_trace_printk(fmt, fmt_size, a1, a2, a3)`: formats with the kernel's
 * bprintf subset and appends the text to the trace buffer
 * (`services.trace`); r0 is the length of the text (cut at the kernel's
 * 1 KiB buffer), or -EINVAL for a format the kernel refuses.
 */
function makeTracePrintk(): HelperDescriptor {
  let call: HelperCall | undefined;
  const args: BprintfArgs = {
    lo: (i) => call?.regs[2 * (3 + i)] ?? 0,
    hi: (i) => call?.regs[2 * (3 + i) + 1] ?? 0,
  };
  return defineHelper('trace_printk', (c) => {
    const fmtAddr = ptrArg(c, 1, 'fmt');
    const fmtSize = argLo(c, 2);
    checkMem(c, fmtAddr, fmtSize, 'bpf_trace_printk fmt');
    const fmt = formatBytes(c, fmtAddr, fmtSize);
    if (typeof fmt === 'number') return setR0(c, fmt);
    call = c;
    const text = formatBprintf(c, fmt, args, MAX_TRACE_PRINTK_VARARGS);
    call = undefined;
    if (typeof text === 'number') return setR0(c, text);
    const line = text.length >= MAX_BPRINTF_BUF ? text.slice(0, MAX_BPRINTF_BUF - 1) : text;
    c.env.services.trace(line);
    setR0(c, text.length);
  });
}

/**
 * `bpf_snprintf(str, str_size, fmt, data, data_len)`: `data` holds the
 * arguments as u64s (`data_len` a multiple of 8, at most 12 of them, else
 * -EINVAL); writes at most `str_size` bytes, always NUL-terminated, and
 * returns the length the whole text needs including its NUL.
 */
function makeSnprintf(): HelperDescriptor {
  const format = memArgsFormatter();
  return defineHelper('snprintf', (c) => {
    const str = ptrArg(c, 1, 'str');
    const strSize = argLo(c, 2);
    const fmtAddr = ptrArg(c, 3, 'fmt');
    checkMem(c, str, strSize, 'bpf_snprintf str');
    const data = memArgs(c, 4, 5, 'bpf_snprintf data');
    if (typeof data === 'number') return setR0(c, data);
    // The verifier proved fmt is a NUL-terminated read-only map value; bound the search by its allocation.
    const fmt = formatBytes(c, fmtAddr, Math.max(0, c.env.arena.bytes.length - fmtAddr));
    if (typeof fmt === 'number') return setR0(c, fmt);
    const text = format(c, fmt, data);
    if (typeof text === 'number') return setR0(c, text);
    const bytes = encoder.encode(text);
    if (strSize > 0) {
      const n = Math.min(bytes.length, strSize - 1);
      c.env.arena.bytes.set(bytes.subarray(0, n), str);
      c.env.arena.bytes[str + n] = 0;
    }
    setR0(c, bytes.length + 1);
  });
}

/**
 * `trace_printk` and `snprintf`.
 *
 * @example
 * for (const h of printkHelpers()) registry.set(h.id, h);
 */
export function printkHelpers(): HelperDescriptor[] {
  return [makeTracePrintk(), makeSnprintf()];
}
