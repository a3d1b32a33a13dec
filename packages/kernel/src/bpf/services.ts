import type { ProgramHold, ProgramServices } from '@bpfkit/kernel-api';
import type { KernelCore } from '../core.js';
import type { SyscallContext } from '../task/syscall-context.js';
import type { BpfObject } from './objects.js';
import { progRecordOf } from './prog-record.js';
import { taskStructOf } from './task-structs.js';

/** `task->comm` of every simulated task (the kernel's is the executable's name). */
const COMM = 'bpfkit';

/**
 * One `trace_pipe` line as the kernel's tracer prints a `bpf_trace_printk`:
 * task and pid, CPU, flags, seconds since boot, then the message.
 */
export function tracePipeLine(core: KernelCore, pid: number, cpu: number, message: string): string {
  const us = (core.clock.nowNs() - core.bootNs) / 1000n;
  const secs = `${us / 1_000_000n}.${(us % 1_000_000n).toString().padStart(6, '0')}`;
  return `${`${COMM}-${pid}`.padStart(22)} [${String(cpu).padStart(3, '0')}] ..... ${secs}: bpf_trace_printk: ${message}`;
}

/**
 * The program object `prog` as a timer callback holds it (`bpf_prog_inc`), or
 * undefined when it has no engine's program.
 */
export function programHold(prog: BpfObject | undefined): ProgramHold | undefined {
  const runnable = progRecordOf(prog)?.runnable;
  if (prog === undefined || runnable === undefined) return undefined;
  return {
    runnable,
    hold: () => {
      prog.get();
      return () => { prog.put(); };
    },
  };
}

/**
 * What a run of `prog` by `task` may ask of the kernel: the clock, randomness,
 * the task as `current`, the live maps by address, the trace buffer, the
 * task's memory (`bpf_probe_read_user`) and the timers.
 */
export function programServices(task: SyscallContext, cpu: number, prog?: BpfObject): ProgramServices {
  const core = task.core;
  const timers = core.deps.timers;
  const program = programHold(prog);
  return {
    ...(timers === undefined ? {} : { timers }),
    ...(program === undefined ? {} : { program }),
    mapHasUsers: (map) => (core.mapRecords.get(map)?.urefs ?? 1) > 0,
    possibleCpus: core.cpus,
    kernelObjects: {
      currentTask: () => taskStructOf(core, task.pid, COMM),
      taskByPid: (pid) => taskStructOf(core, pid, COMM),
    },
    programOf: (image) => {
      const id = core.progIdsByImage.get(image);
      return id === undefined ? undefined : programHold(core.objects.byId('prog', id));
    },
    clock: core.clock,
    random: core.random,
    current: { pid: task.pid, tgid: task.pid, uid: task.cred.uid, gid: task.cred.gid, comm: COMM },
    mapAt: (addr) => core.liveMaps.get(addr),
    trace: (line) => {
      core.traceLines.push(tracePipeLine(core, task.pid, cpu, line.endsWith('\n') ? line.slice(0, -1) : line));
    },
    // bpf_probe_read_user: the task's own memory; the simulated kernel has no kernel memory to read.
    readUser: (addr, size) => {
      try {
        return task.memory.read(addr, size);
      } catch {
        return undefined;
      }
    },
  };
}
