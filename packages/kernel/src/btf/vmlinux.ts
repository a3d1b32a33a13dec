import type { BtfTypeView, BtfView } from '@bpfkit/kernel-api';
import type { KernelBtf } from './object.js';

const VOID: BtfTypeView = Object.freeze({ id: 0, kind: 'VOID', name: '' });

/** BTF with no types but void: the vmlinux of a kernel booted without one. */
export const EMPTY_BTF: BtfView = Object.freeze({
  nrTypes: 1,
  type: (id: number) => (id === 0 ? VOID : undefined),
  kind: (id: number) => (id === 0 ? 'VOID' : undefined),
  typeIdSize: () => undefined,
  resolve: (id: number) => (id === 0 ? { id: 0, type: VOID } : undefined),
  findAll: () => [],
  str: (offset: number) => (offset === 0 ? '' : undefined),
});

/**
 * The kernel's own BTF object (`btf_vmlinux`, id 1). Its types are loaded on first
 * use, so booting stays cheap when nothing asks for them.
 */
export function vmlinuxKernelBtf(load: (() => BtfView | undefined) | undefined, loadBytes?: () => Uint8Array | undefined): KernelBtf {
  let view: BtfView | undefined;
  let data: Uint8Array | undefined;
  return {
    get view(): BtfView {
      view ??= load?.() ?? EMPTY_BTF;
      return view;
    },
    // What BPF_OBJ_GET_INFO_BY_FD copies out, so clients (CO-RE) can read the kernel's types through bpf() alone.
    get data(): Uint8Array {
      data ??= loadBytes?.() ?? new Uint8Array(0);
      return data;
    },
    isKernel: true,
    structMetas: new Map(),
  };
}
