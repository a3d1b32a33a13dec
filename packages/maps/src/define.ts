import type { BpfMap, MapAllocation, MapBtfCheck, MapCapability, MapCreateContext, MapCreateRequest, MapRuntimeSpec, MapTypeDescriptor } from '@bpfkit/kernel-api';

/** What one map-type file provides. */
export interface MapTypeSpec {
  readonly type: number;
  readonly name: string;
  readonly capability: MapCapability;
  /** Has `map_meta_equal` (default true). */
  readonly innerMapAllowed?: boolean;
  readonly allocCheck?: (req: MapCreateRequest, ctx: MapCreateContext) => void;
  readonly alloc: (req: MapCreateRequest, ctx: MapCreateContext) => MapAllocation;
  /** `map_check_btf` (absent when the kernel's ops have none). */
  readonly checkBtf?: (check: MapBtfCheck) => void;
  /** Builds the live map (`create` of the descriptor). */
  readonly create: (spec: MapRuntimeSpec) => BpfMap;
}

/**
 * Freezes a spec into a descriptor; a type without `map_alloc_check` gets a no-op.
 *
 * @example
 * defineMapType({ type: 1, name: 'hash', capability: 'none', alloc, create });
 */
export function defineMapType(spec: MapTypeSpec): MapTypeDescriptor {
  const allocCheck = spec.allocCheck ?? (() => undefined);
  return Object.freeze({
    type: spec.type,
    name: spec.name,
    capability: spec.capability,
    innerMapAllowed: spec.innerMapAllowed ?? true,
    allocCheck,
    alloc: spec.alloc,
    create: spec.create,
    ...(spec.checkBtf === undefined ? {} : { checkBtf: spec.checkBtf }),
  });
}

/** Looks up another type's descriptor (map-in-map needs the inner map's ops). */
export type DescriptorLookup = (type: number) => MapTypeDescriptor | undefined;
