import { BpfError, PERF_EVENT_IOC_DISABLE, PERF_EVENT_IOC_ENABLE } from '@bpfkit/kernel-api';
import { progGet } from '../bpf/fd-get.js';
import type { TaskImpl } from '../task/task.js';
import { perfEventSetBpfProg } from './bpf-attach.js';

/** `PERF_EVENT_IOC_SET_BPF` (`_IOW('$', 8, __u32)`): the argument is a program fd. */
export const PERF_EVENT_IOC_SET_BPF = 0x40042408;

/**
 * `perf_ioctl` for `PERF_EVENT_IOC_ENABLE`, `PERF_EVENT_IOC_DISABLE` (the flags
 * argument is not taken: an event is its own group, so `PERF_IOC_FLAG_GROUP`
 * changes nothing, and the kernel ignores other bits) and `PERF_EVENT_IOC_SET_BPF`
 * (`arg` a program fd: EBADF when not open, EINVAL when not a program, then
 * `perf_event_set_bpf_prog`; the event holds the program until its file is
 * released): EBADF for a fd that is not open, ENOTTY for a file that is not a
 * perf event or another request.
 */
export function perfEventIoctl(task: TaskImpl, fd: number, request: number, arg = 0): void {
  const e = Number.isInteger(fd) ? task.fdTable.get(fd) : undefined;
  if (e === undefined || e.file.opath) throw new BpfError('EBADF', 'fd:not-open', `fd ${fd} is not open`);
  const event = e.file.payload.perf;
  if (event === undefined) throw new BpfError('ENOTTY', 'perf:ioctl-not-perf', `fd ${fd} is not a perf event`);
  if (request === PERF_EVENT_IOC_SET_BPF) {
    // The argument is an unsigned long the kernel reads as an int fd.
    const { obj } = progGet(task, Number.isInteger(arg) ? arg | 0 : -1, 'perf_ioctl:SET_BPF');
    obj.get();
    try {
      perfEventSetBpfProg(task.core, event, obj, 0n);
    } catch (err) {
      obj.put();
      throw err;
    }
    return;
  }
  if (request !== PERF_EVENT_IOC_ENABLE && request !== PERF_EVENT_IOC_DISABLE) {
    throw new BpfError('ENOTTY', 'perf:ioctl-request', `ioctl request 0x${(request >>> 0).toString(16)} is not modelled on perf events (ENABLE, DISABLE and SET_BPF are)`);
  }
  event.enabled = request === PERF_EVENT_IOC_ENABLE;
}
