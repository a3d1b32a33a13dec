import type { BpfMap, HelperCall, HelperDescriptor } from '@bpfkit/kernel-api';
import { Errno } from '@bpfkit/uapi';
import { defineHelper } from './define.js';
import { checkMem } from './memory.js';
import { argHi, argLo, argZero, ptrArg, setR0 } from './regs.js';

/**
 * The map in r<i>: programs hold a map's {@link BpfMap.address}; anything
 * else can only come from an unverified program.
 *
 * @example
 * const map = mapArg(c, 1);
 */
export function mapArg(c: HelperCall, i: number): BpfMap {
  const addr = ptrArg(c, i, 'map');
  const map = c.env.services.mapAt(addr);
  if (map === undefined) return c.env.fault(`helper argument r${i} (0x${addr.toString(16)}) is not a map`);
  return map;
}

const mapLookupElem = defineHelper('map_lookup_elem', (c) => {
  const map = mapArg(c, 1);
  const key = ptrArg(c, 2, 'key');
  checkMem(c, key, map.info.keySize, 'bpf_map_lookup_elem key');
  setR0(c, map.lookupElem(key, c.env.cpu));
});

const mapUpdateElem = defineHelper('map_update_elem', (c) => {
  const map = mapArg(c, 1);
  const key = ptrArg(c, 2, 'key');
  const value = ptrArg(c, 3, 'value');
  checkMem(c, key, map.info.keySize, 'bpf_map_update_elem key');
  checkMem(c, value, map.info.valueSize, 'bpf_map_update_elem value');
  // flags is a u64: a high bit is an unknown flag, which every map refuses.
  setR0(c, argHi(c, 4) !== 0 ? -Errno.EINVAL : map.updateElem(key, value, argLo(c, 4), c.env.cpu));
});

const mapDeleteElem = defineHelper('map_delete_elem', (c) => {
  const map = mapArg(c, 1);
  const key = ptrArg(c, 2, 'key');
  checkMem(c, key, map.info.keySize, 'bpf_map_delete_elem key');
  setR0(c, map.deleteElem(key, c.env.cpu));
});

const mapPushElem = defineHelper('map_push_elem', (c) => {
  const map = mapArg(c, 1);
  const value = ptrArg(c, 2, 'value');
  checkMem(c, value, map.info.valueSize, 'bpf_map_push_elem value');
  setR0(c, argHi(c, 3) !== 0 ? -Errno.EINVAL : map.pushElem(value, argLo(c, 3)));
});

const mapPopElem = defineHelper('map_pop_elem', (c) => {
  const map = mapArg(c, 1);
  const value = ptrArg(c, 2, 'value');
  checkMem(c, value, map.info.valueSize, 'bpf_map_pop_elem value');
  setR0(c, map.popElem(value));
});

const mapPeekElem = defineHelper('map_peek_elem', (c) => {
  const map = mapArg(c, 1);
  const value = ptrArg(c, 2, 'value');
  checkMem(c, value, map.info.valueSize, 'bpf_map_peek_elem value');
  setR0(c, map.peekElem(value));
});

/**
 * `bpf_for_each_map_elem`: the callback gets (map, key, value, ctx) and
 * stops the walk by returning 1. The per-element closure is made once per
 * registry and re-pointed for each call, so a walk allocates nothing.
 */
function makeForEachMapElem(): HelperDescriptor {
  let call: HelperCall | undefined;
  let mapAddr = 0;
  let fn = 0;
  let ctx = 0;
  const each = (keyAddr: number, valueAddr: number): number => {
    if (call === undefined) return 1;
    const r = call.env.callback(fn, mapAddr, keyAddr, valueAddr, ctx, 0);
    return r === 0n ? 0 : 1;
  };
  return defineHelper('for_each_map_elem', (c) => {
    const map = mapArg(c, 1);
    if (!argZero(c, 4)) return setR0(c, -Errno.EINVAL);
    const outerCall = call;
    const outerMap = mapAddr;
    const outerFn = fn;
    const outerCtx = ctx;
    call = c;
    mapAddr = map.address;
    fn = argLo(c, 2);
    ctx = argLo(c, 3);
    try {
      setR0(c, map.forEachElem(c.env.cpu, each));
    } finally {
      // A callback may itself walk a map (nested for_each): restore the outer walk.
      call = outerCall;
      mapAddr = outerMap;
      fn = outerFn;
      ctx = outerCtx;
    }
  });
}

/**
 * The map helpers: lookup, update, delete, push, pop, peek and
 * `for_each_map_elem`, each delegating to the map's program half.
 *
 * @example
 * for (const h of mapHelpers()) registry.set(h.id, h);
 */
export function mapHelpers(): HelperDescriptor[] {
  return [mapLookupElem, mapUpdateElem, mapDeleteElem, mapPushElem, mapPopElem, mapPeekElem, makeForEachMapElem()];
}
