import type { HelperCall, HelperDescriptor } from '@bpfkit/kernel-api';
import { Errno } from '@bpfkit/uapi';
import { formatBytes, memArgs, memArgsFormatter } from './bprintf.js';
import { defineHelper } from './define.js';
import { checkMem } from './memory.js';
import { argLo, ptrArg, setR0 } from './regs.js';

const encoder = new TextEncoder();

function write(c: HelperCall, seq: number, bytes: Uint8Array): void {
  const services = c.env.services;
  setR0(c, services.seqWrite === undefined ? -Errno.EINVAL : services.seqWrite(seq, bytes));
}

/** `bpf_seq_write(seq, data, len)`: `len` bytes of `data` onto the iterator's seq_file; 0, or the seq_file's errno. */
function makeSeqWrite(): HelperDescriptor {
  return defineHelper('seq_write', (c) => {
    const seq = ptrArg(c, 1, 'seq');
    const len = argLo(c, 3);
    const data = len === 0 ? 0 : ptrArg(c, 2, 'data');
    checkMem(c, data, len, 'bpf_seq_write data');
    write(c, seq, c.env.arena.bytes.slice(data, data + len));
  });
}

/**
 * `bpf_seq_printf(seq, fmt, fmt_size, data, data_len)`: `data` holds the arguments as
 * u64s (`data_len` a multiple of 8, at most 12 of them, else -EINVAL); the text, formatted
 * with the kernel's bprintf subset, goes onto the seq_file.
 */
function makeSeqPrintf(): HelperDescriptor {
  const format = memArgsFormatter();
  return defineHelper('seq_printf', (c) => {
    const seq = ptrArg(c, 1, 'seq');
    const fmtAddr = ptrArg(c, 2, 'fmt');
    const fmtSize = argLo(c, 3);
    checkMem(c, fmtAddr, fmtSize, 'bpf_seq_printf fmt');
    const data = memArgs(c, 4, 5, 'bpf_seq_printf data');
    if (typeof data === 'number') return setR0(c, data);
    const fmt = formatBytes(c, fmtAddr, fmtSize);
    if (typeof fmt === 'number') return setR0(c, fmt);
    const text = format(c, fmt, data);
    if (typeof text === 'number') return setR0(c, text);
    write(c, seq, encoder.encode(text));
  });
}

/**
 * The seq_file helpers of iterator programs, `seq_write` and `seq_printf`: they write
 * through `services.seqWrite`, which only an iterator run provides (-EINVAL elsewhere).
 *
 * @example
 * for (const h of seqHelpers()) registry.set(h.id, h);
 */
export function seqHelpers(): HelperDescriptor[] {
  return [makeSeqWrite(), makeSeqPrintf()];
}
