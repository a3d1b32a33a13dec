import { BpfError, type BpfMap, type MapAllocation, type MapTypeDescriptor, type MapTypeRegistry } from '@bpfkit/kernel-api';

/**
 * A live map that holds nothing: lookups miss (ENOENT / 0), everything else
 * is refused with ENOTSUPP / -ENOTSUPP. A test overrides what it cares about.
 *
 * @example
 * const map = makeNoopBpfMap({ lookupElem: () => valueAddr });
 */
export function makeNoopBpfMap(partial: Partial<BpfMap> = {}): BpfMap {
  const refuse = (): never => {
    throw new BpfError('ENOTSUPP', 'maps:noop', 'the no-op map supports nothing');
  };
  return {
    info: { mapType: 0, keySize: 4, valueSize: 4, maxEntries: 1, mapFlags: 0, isMapInMap: false },
    address: 0x1_0000,
    sysLookup: () => {
      throw new BpfError('ENOENT', 'maps:noop', 'the no-op map is empty');
    },
    sysUpdate: refuse,
    sysDelete: refuse,
    sysGetNextKey: () => {
      throw new BpfError('ENOENT', 'maps:noop', 'the no-op map is empty');
    },
    sysLookupAndDelete: refuse,
    lookupElem: () => 0,
    updateElem: () => -524,
    deleteElem: () => -524,
    pushElem: () => -524,
    popElem: () => -524,
    peekElem: () => -524,
    forEachElem: () => 0,
    release: () => undefined,
    ...partial,
  };
}

/**
 * A registry where every known type accepts everything (a test overrides what it cares about);
 * `create` gives a {@link makeNoopBpfMap} with the spec's info.
 *
 * @example
 * const maps = makeNoopMapTypes({ get: () => undefined }); // every type is unknown: EINVAL
 */
export function makeNoopMapTypes(partial: Partial<MapTypeRegistry> = {}): MapTypeRegistry {
  const noop = (type: number): MapTypeDescriptor => ({
    type, name: `type${String(type)}`, capability: 'none', innerMapAllowed: true,
    allocCheck: () => undefined,
    alloc: (req): MapAllocation => ({ maxEntries: req.maxEntries, mapFlags: req.mapFlags, memoryBytes: 0 }),
    create: (spec) => makeNoopBpfMap({ info: spec.info }),
  });
  const all = Array.from({ length: 33 }, (_, i) => noop(i + 1));
  return {
    get: (type) => (type >= 1 && type <= 33 ? all[type - 1] : undefined),
    offload: noop(-1),
    all: () => all,
    ...partial,
  };
}
