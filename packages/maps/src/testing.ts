import { BpfError, type MapAllocation, type MapTypeDescriptor, type MapTypeRegistry } from '@bpfkit/kernel-api';

/**
 * A registry where every known type accepts everything (a test overrides what it cares about).
 *
 * @example
 * const maps = makeNoopMapTypes({ get: () => undefined }); // every type is unknown: EINVAL
 */
export function makeNoopMapTypes(partial: Partial<MapTypeRegistry> = {}): MapTypeRegistry {
  const noop = (type: number): MapTypeDescriptor => ({
    type, name: `type${String(type)}`, capability: 'none', innerMapAllowed: true,
    allocCheck: () => undefined,
    alloc: (req): MapAllocation => ({ maxEntries: req.maxEntries, mapFlags: req.mapFlags, memoryBytes: 0 }),
    create: () => {
      throw new BpfError('ENOTSUPP', 'map:no-runtime', 'the no-op map types have no run-time maps');
    },
  });
  const all = Array.from({ length: 33 }, (_, i) => noop(i + 1));
  return {
    get: (type) => (type >= 1 && type <= 33 ? all[type - 1] : undefined),
    offload: noop(-1),
    all: () => all,
    ...partial,
  };
}
