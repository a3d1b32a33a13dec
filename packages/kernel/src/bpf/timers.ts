import type { SyscallContext } from '../task/syscall-context.js';
import { programServices } from './services.js';

/**
 * Fires the timers due by the kernel's clock, as the hrtimer softirq would
 * have by now: each callback runs as an invocation of the program that set
 * it, from the callback's instruction, with (map, key, value) in r1–r3, on
 * the CPU the timer was started on and with `task` as `current`. The kernel
 * calls this at the entry of every `bpf()` call, so a timer started with 0 ns
 * has run before the caller's next command looks at the map.
 *
 * @example
 * runDueTimers(task); // at bpf() entry
 */
export function runDueTimers(task: SyscallContext): void {
  const core = task.core;
  const { timers, arena, helpers } = core.deps;
  if (timers === undefined || timers.size === 0 || arena === undefined || helpers === undefined) return;
  timers.fireDue(core.clock.nowNs(), (t) => {
    const services = programServices(task, t.cpu, core.objects.byId('prog', t.runnable.id));
    // The verifier checked the callback; a run that faults anyway (an unverified program) just ends, as a softirq cannot report.
    const out = t.runnable.loaded.run({ r1: t.mapAddr, r2: t.keyAddr, r3: t.valueAddr, entry: t.fn }, { arena, cpu: t.cpu, helpers, services });
    if (out.kind === 'fault') {
      core.tracer.step({ check: 'bpf_timer_cb', outcome: 'fail', detail: `the callback of prog #${t.runnable.id} at insn ${t.fn} faulted: ${out.fault.message}` });
    }
  });
}
