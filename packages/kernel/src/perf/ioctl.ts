import { BpfError, PERF_EVENT_IOC_DISABLE, PERF_EVENT_IOC_ENABLE } from '@bpfkit/kernel-api';
import type { TaskImpl } from '../task/task.js';

/**
 * `perf_ioctl` for `PERF_EVENT_IOC_ENABLE` and `PERF_EVENT_IOC_DISABLE` (the
 * flags argument is not taken: an event is its own group, so
 * `PERF_IOC_FLAG_GROUP` changes nothing, and the kernel ignores other bits):
 * EBADF for a fd that is not open, ENOTTY for a file that is not a perf event
 * or another request.
 */
export function perfEventIoctl(task: TaskImpl, fd: number, request: number): void {
  const e = Number.isInteger(fd) ? task.fdTable.get(fd) : undefined;
  if (e === undefined || e.file.opath) throw new BpfError('EBADF', 'fd:not-open', `fd ${fd} is not open`);
  const event = e.file.payload.perf;
  if (event === undefined) throw new BpfError('ENOTTY', 'perf:ioctl-not-perf', `fd ${fd} is not a perf event`);
  if (request !== PERF_EVENT_IOC_ENABLE && request !== PERF_EVENT_IOC_DISABLE) {
    throw new BpfError('ENOTTY', 'perf:ioctl-request', `ioctl request 0x${(request >>> 0).toString(16)} is not modelled on perf events (ENABLE and DISABLE are)`);
  }
  event.enabled = request === PERF_EVENT_IOC_ENABLE;
}
