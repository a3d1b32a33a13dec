import type { BpfMap, BpfTimerTable, HelperCall, HelperDescriptor, ProgramHold } from '@bpfkit/kernel-api';
import { Errno } from '@bpfkit/uapi';
import { defineHelper } from './define.js';
import { mapArg } from './maps.js';
import { checkMem } from './memory.js';
import { argHi, argLo, ptrArg, setR0 } from './regs.js';

/** `sizeof(struct bpf_timer)`. */
const BPF_TIMER_SIZE = 16;
const TWO_32 = 0x1_0000_0000n;

function argU64(c: HelperCall, i: number): bigint {
  return (BigInt(argHi(c, i) >>> 0) * TWO_32) | BigInt(argLo(c, i) >>> 0);
}

/** The timer in r1, checked like any pointer an unverified program may pass. */
function timerArg(c: HelperCall, name: string): number {
  const addr = ptrArg(c, 1, 'timer');
  checkMem(c, addr, BPF_TIMER_SIZE, `bpf_${name} timer`);
  return addr;
}

function hasUsers(c: HelperCall): (map: BpfMap) => boolean {
  const services = c.env.services;
  return (map) => services.mapHasUsers?.(map) ?? true;
}

/** `aux->prog`: the program whose instruction calls, which a tail call makes another than the run's. */
function callingProgram(c: HelperCall): ProgramHold | undefined {
  const services = c.env.services;
  const program = services.program;
  const image = c.env.image;
  if (image === undefined || program === undefined || program.runnable.loaded.image === image) return program;
  return services.programOf?.(image) ?? program;
}

/** A timer helper's body, given the kernel's table; kernels without one answer -EOPNOTSUPP. */
function timerHelper(name: string, body: (c: HelperCall, table: BpfTimerTable, timer: number) => number): HelperDescriptor {
  return defineHelper(name, (c) => {
    const timer = timerArg(c, name);
    const table = c.env.services.timers;
    setR0(c, table === undefined ? -Errno.EOPNOTSUPP : body(c, table, timer));
  });
}

/**
 * `bpf_timer_init(timer, map, flags)`, `bpf_timer_set_callback(timer, fn)`,
 * `bpf_timer_start(timer, nsecs, flags)` and `bpf_timer_cancel(timer)`, with
 * the kernel's return values; the state and the errno rules are the kernel's
 * {@link BpfTimerTable} (`services.timers`). A callback belongs to the program
 * whose instruction set it (`services.program`, or for a tail call's target
 * `services.programOf(env.image)`), which the kernel runs again at the
 * callback's instruction when the timer fires.
 *
 * @example
 * for (const h of timerHelpers()) registry.set(h.id, h);
 */
export function timerHelpers(): HelperDescriptor[] {
  return [
    timerHelper('timer_init', (c, table, timer) => table.init(timer, mapArg(c, 2), argU64(c, 3), hasUsers(c))),
    timerHelper('timer_set_callback', (c, table, timer) => table.setCallback(timer, argLo(c, 2), callingProgram(c), hasUsers(c))),
    timerHelper('timer_start', (c, table, timer) => table.start(timer, argU64(c, 2), argU64(c, 3), c.env.cpu, c.env.services.clock.nowNs())),
    timerHelper('timer_cancel', (_c, table, timer) => table.cancel(timer)),
  ];
}
