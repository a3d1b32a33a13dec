import type { HelperDescriptor } from '@bpfkit/kernel-api';
import { Errno } from '@bpfkit/uapi';
import { defineHelper } from './define.js';
import { checkMem } from './memory.js';
import { argLo, ptrArg, setR0, setR0Words } from './regs.js';

/** `TASK_COMM_LEN`. */
const TASK_COMM_LEN = 16;

const encoder = new TextEncoder();

/**
 * `get_current_pid_tgid` (tgid << 32 | pid), `get_current_uid_gid`
 * (gid << 32 | uid) and `get_current_comm` (`strscpy_pad` into the buffer:
 * at most size-1 bytes, NUL-padded), from `services.current`.
 *
 * @example
 * for (const h of currentTaskHelpers()) registry.set(h.id, h);
 */
export function currentTaskHelpers(): HelperDescriptor[] {
  return [
    defineHelper('get_current_pid_tgid', (c) => setR0Words(c, c.env.services.current.pid, c.env.services.current.tgid)),
    defineHelper('get_current_uid_gid', (c) => setR0Words(c, c.env.services.current.uid, c.env.services.current.gid)),
    defineHelper('get_current_comm', (c) => {
      const buf = ptrArg(c, 1, 'buf');
      const size = argLo(c, 2);
      checkMem(c, buf, size, 'bpf_get_current_comm buf');
      if (size === 0) return setR0(c, -Errno.EINVAL);
      const comm = encoder.encode(c.env.services.current.comm).subarray(0, TASK_COMM_LEN - 1);
      const n = Math.min(comm.length, size - 1);
      const bytes = c.env.arena.bytes;
      bytes.set(comm.subarray(0, n), buf);
      bytes.fill(0, buf + n, buf + size);
      setR0(c, 0);
    }),
  ];
}
