import { existsSync, readFileSync } from 'node:fs';
import { BtfBuilder, BtfFuncLinkage, BtfIntEncoding, parseBtf, type Btf } from '@bpfkit/btf';

/** Where Linux exposes its own BTF. */
export const HOST_VMLINUX_BTF = '/sys/kernel/btf/vmlinux';

let builtin: Btf | undefined;
const fromFiles = new Map<string, Btf>();

/**
 * A small vmlinux BTF for kernels booted where the host has none: an int, a few
 * structs kptrs point to, and attach targets for fentry (`bpf_fentry_test1`) and
 * LSM (`bpf_lsm_file_open`).
 */
export function builtinVmlinuxBtf(): Btf {
  if (builtin !== undefined) return builtin;
  const b = new BtfBuilder();
  const int = b.add({ kind: 'INT', name: 'int', size: 4, encoding: BtfIntEncoding.SIGNED, bitsOffset: 0, bits: 32 });
  const task = b.add({ kind: 'STRUCT', name: 'task_struct', size: 8, kflag: false, members: [{ name: 'pid', type: int, bitsOffset: 0, bitfieldSize: 0 }] });
  b.add({ kind: 'STRUCT', name: 'cgroup', size: 8, kflag: false, members: [{ name: 'level', type: int, bitsOffset: 0, bitfieldSize: 0 }] });
  const file = b.add({ kind: 'STRUCT', name: 'file', size: 8, kflag: false, members: [{ name: 'f_flags', type: int, bitsOffset: 0, bitfieldSize: 0 }] });
  const filePtr = b.add({ kind: 'PTR', name: '', type: file });
  const test1 = b.add({ kind: 'FUNC_PROTO', name: '', type: int, params: [{ name: 'a', type: int }] });
  b.add({ kind: 'FUNC', name: 'bpf_fentry_test1', type: test1, linkage: BtfFuncLinkage.GLOBAL });
  const fileOpen = b.add({ kind: 'FUNC_PROTO', name: '', type: int, params: [{ name: 'file', type: filePtr }] });
  b.add({ kind: 'FUNC', name: 'bpf_lsm_file_open', type: fileOpen, linkage: BtfFuncLinkage.GLOBAL });
  b.add({ kind: 'PTR', name: '', type: task });
  builtin = parseBtf(b.encode());
  return builtin;
}

/**
 * The host's vmlinux BTF (`/sys/kernel/btf/vmlinux`, parsed once per process),
 * so type ids match the machine's kernel — e.g. to compare with it through
 * `@bpfkit/linux`; {@link builtinVmlinuxBtf} where the host has none. A file
 * that is there but does not parse throws the parser's `BpfError`.
 *
 * @example
 * const kernel = createDefaultKernel({ vmlinuxBtf: () => hostVmlinuxBtf() });
 */
export function hostVmlinuxBtf(path = HOST_VMLINUX_BTF): Btf {
  const cached = fromFiles.get(path);
  if (cached !== undefined) return cached;
  if (!existsSync(path)) return builtinVmlinuxBtf();
  const btf = parseBtf(readFileSync(path));
  fromFiles.set(path, btf);
  return btf;
}
