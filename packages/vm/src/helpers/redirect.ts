import type { HelperCall, HelperDescriptor, VmArena } from '@bpfkit/kernel-api';
import { BpfProgType } from '@bpfkit/uapi';
import { defineHelper } from './define.js';
import { mapArg } from './maps.js';
import { argHi, argLo, setR0 } from './regs.js';

const XDP_ABORTED = 0;
const XDP_REDIRECT = 4;
/** `XDP_ABORTED | XDP_DROP | XDP_PASS | XDP_TX`: the low bits of `redirect_map` flags are the fallback action. */
const XDP_ACTION_MASK = 3;
const BPF_F_BROADCAST = 1 << 3;
const BPF_F_EXCLUDE_INGRESS = 1 << 4;
const TC_ACT_SHOT = 2;
const TC_ACT_REDIRECT = 7;
const BPF_F_INGRESS = 1;

/**
 * `bpf_redirect(ifindex, flags)`: XDP programs get `XDP_REDIRECT`
 * (`XDP_ABORTED` for any flag), tc programs `TC_ACT_REDIRECT`
 * (`TC_ACT_SHOT` for flags other than `BPF_F_INGRESS`). The redirect itself
 * happens after the program, which a test run does not do.
 */
const redirect = defineHelper('redirect', (c) => {
  const flagsLo = argLo(c, 2);
  const flagsHi = argHi(c, 2);
  if (c.env.progType === BpfProgType.BPF_PROG_TYPE_XDP) return setR0(c, flagsLo === 0 && flagsHi === 0 ? XDP_REDIRECT : XDP_ABORTED);
  setR0(c, flagsHi !== 0 || (flagsLo & ~BPF_F_INGRESS) !== 0 ? TC_ACT_SHOT : TC_ACT_REDIRECT);
});

// redirect_map passes the key by value; map lookups take an address, so it goes through a scratch word per arena.
const scratch = new WeakMap<VmArena, number>();
function scratchWord(c: HelperCall): number {
  let addr = scratch.get(c.env.arena);
  if (addr === undefined) {
    addr = c.env.arena.alloc(8);
    scratch.set(c.env.arena, addr);
  }
  return addr;
}

/**
 * `bpf_redirect_map(map, key, flags)` (devmap, devmap_hash, cpumap, xskmap):
 * `XDP_REDIRECT` when `key` has an entry or with `BPF_F_BROADCAST`, else the
 * action in the flags' low two bits; unknown flags give `XDP_ABORTED`.
 */
const redirectMap = defineHelper('redirect_map', (c) => {
  const map = mapArg(c, 1);
  const flags = argLo(c, 3);
  if (argHi(c, 3) !== 0 || (flags & ~(XDP_ACTION_MASK | BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS)) !== 0) return setR0(c, XDP_ABORTED);
  const key = scratchWord(c);
  c.env.arena.view.setUint32(key, argLo(c, 2), true);
  const found = map.info.keySize <= 8 && map.lookupElem(key, c.env.cpu) !== 0;
  if (!found && (flags & BPF_F_BROADCAST) === 0) return setR0(c, flags & XDP_ACTION_MASK);
  setR0(c, XDP_REDIRECT);
});

/**
 * `redirect` and `redirect_map`.
 *
 * @example
 * for (const h of redirectHelpers()) registry.set(h.id, h);
 */
export function redirectHelpers(): HelperDescriptor[] {
  return [redirect, redirectMap];
}
