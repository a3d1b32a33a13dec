import { arenaKfuncs } from './arena.js';
import type { HelperDescriptor, HelperRegistry } from '@bpfkit/kernel-api';
import { cpumaskKfuncs } from './cpumask.js';
import { currentTaskBtfHelper, taskKfuncs } from './task-kfuncs.js';
import { percpuHelpers } from './percpu.js';
import { currentTaskHelpers } from './current.js';
import { dynptrFunctions } from './dynptr.js';
import { graphKfuncs } from './graph.js';
import { iterBitsKfuncs } from './iter-bits.js';
import { iterNumKfuncs } from './iter-num.js';
import { loopHelper } from './loop.js';
import { mapHelpers } from './maps.js';
import { perfEventOutputHelper } from './perf-event.js';
import { printkHelpers } from './printk.js';
import { seqHelpers } from './seq.js';
import { probeReadHelpers } from './probe-read.js';
import { redirectHelpers } from './redirect.js';
import { ringbufHelpers } from './ringbuf.js';
import { skbExtraHelpers } from './skb-extra.js';
import { skbHeadHelpers } from './skb-head.js';
import { skStorageHelpers } from './sk-storage.js';
import { socketHelpers } from './socket.js';
import { getLocalStorageHelper } from './local-storage.js';
import { netHelpers } from './net.js';
import { skbHelpers } from './skb.js';
import { spinLockHelpers } from './spin-lock.js';
import { strtoxHelpers } from './strtox.js';
import { tailCallHelper } from './tail-call.js';
import { timeHelpers } from './time.js';
import { timerHelpers } from './timer.js';
import { xdpBytesHelpers } from './xdp-bytes.js';
import { xdpHelpers } from './xdp.js';

/** Options of {@link createHelperRegistry}; every field is optional, unknown fields are rejected. */
export interface HelperRegistryOptions {
  /** Helpers (by id) and kfuncs (id 0, by name) added to or replacing the built-in ones. */
  readonly extra?: readonly HelperDescriptor[];
}

const KNOWN = new Set(['extra']);

/**
 * The helpers and kfuncs bpfkit's engines can call, with the kernel's
 * semantics and return values (r0 = a negative errno on failure). Which
 * program type may call which helper is the verifier's business; a helper
 * only refuses what the kernel's own body refuses.
 *
 * @example
 * const helpers = createHelperRegistry();
 * helpers.get(1)?.name; // 'map_lookup_elem'
 * helpers.kfunc('bpf_iter_num_next')?.name;
 */
export function createHelperRegistry(options: HelperRegistryOptions = {}): HelperRegistry {
  for (const k of Object.keys(options)) if (!KNOWN.has(k)) throw new TypeError(`createHelperRegistry: unknown option ${k}`);
  const byId = new Map<number, HelperDescriptor>();
  const byName = new Map<string, HelperDescriptor>();
  const dynptr = dynptrFunctions();
  const helpers = [
    ...dynptr.helpers,
    ...mapHelpers(), loopHelper, ...timeHelpers(), ...currentTaskHelpers(), ...spinLockHelpers(), ...printkHelpers(),
    ...strtoxHelpers(), ...seqHelpers(), ...ringbufHelpers(), perfEventOutputHelper, tailCallHelper, ...skbHelpers(), ...skbExtraHelpers(), ...skbHeadHelpers(), ...socketHelpers(), ...skStorageHelpers(), ...netHelpers(), getLocalStorageHelper, ...xdpHelpers(), ...xdpBytesHelpers(),
    ...redirectHelpers(), ...probeReadHelpers(), ...timerHelpers(), ...percpuHelpers(), currentTaskBtfHelper,
  ];
  for (const h of helpers) byId.set(h.id, h);
  for (const k of [...iterNumKfuncs(), ...iterBitsKfuncs(), ...dynptr.kfuncs, ...arenaKfuncs(), ...graphKfuncs(), ...taskKfuncs(), ...cpumaskKfuncs()]) byName.set(k.name, k);
  for (const h of options.extra ?? []) {
    if (h.id === 0) byName.set(h.name, h);
    else byId.set(h.id, h);
  }
  const all = [...byId.values()].sort((a, b) => a.id - b.id);
  return {
    get: (id) => byId.get(id),
    kfunc: (name) => byName.get(name),
    all: () => all,
  };
}
