import type { Btf } from '@bpfkit/btf';

/**
 * What the generator reads from an object: the parts of `@bpfkit/elf`'s `ObjectSpec` it
 * needs, so an `ObjectSpec` fits as it is and tests can build one by hand.
 *
 * @example
 * const source: SkeletonSource = loadObjectSpec(bytes);
 */
export interface SkeletonSource {
  readonly programs: readonly { readonly name: string; readonly sectionName: string }[];
  readonly maps: readonly {
    readonly name: string;
    readonly type: number;
    readonly keySize: number;
    readonly valueSize: number;
    readonly keyTypeId: number;
    readonly valueTypeId: number;
  }[];
  readonly dataSections: readonly {
    readonly name: string;
    readonly kind: 'data' | 'rodata' | 'bss';
    readonly variables: readonly { readonly name: string; readonly offset: number; readonly size: number; readonly typeId: number; readonly global: boolean }[];
  }[];
  readonly btf: Btf | undefined;
}
