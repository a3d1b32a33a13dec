import { Capability } from '@bpfkit/uapi';
import type { KernelCore } from '../core.js';
import type { SyscallContext } from '../task/syscall-context.js';

/** Where the simulated kernel's text starts (x86-64's `_stext` without KASLR). */
const TEXT_BASE = 0xffffffff81000000n;
/** Spacing between simulated functions, so addresses are distinct and stable. */
const STRIDE = 0x40n;

/**
 * `/proc/kallsyms`: every function of the vmlinux BTF as a text (`T`) symbol,
 * at a stable address in BTF id order. Like `kallsyms_show_value()` with
 * `kptr_restrict` 0, the addresses read as zero without CAP_SYSLOG.
 */
export function kallsyms(reader: Pick<SyscallContext, 'core' | 'cred'>): string {
  const btf = reader.core.deps.vmlinuxBtf?.();
  if (btf === undefined) return '';
  const show = reader.core.capable(reader.cred, Capability.CAP_SYSLOG);
  const lines: string[] = [];
  let n = 0n;
  for (let id = 1; id < btf.nrTypes; id++) {
    const t = btf.type(id);
    if (t?.kind !== 'FUNC' || t.name === undefined || t.name === '') continue;
    const addr = show ? TEXT_BASE + n * STRIDE : 0n;
    lines.push(`${addr.toString(16).padStart(16, '0')} T ${t.name}\n`);
    n++;
  }
  return lines.join('');
}

const SYMBOLS = new WeakMap<object, ReadonlyMap<string, readonly bigint[]>>();

/**
 * The kernel's text symbols by name, each with its addresses (a name defined twice,
 * like two static functions, has two), as `/proc/kallsyms` lists them to a reader
 * with CAP_SYSLOG. Empty without a vmlinux BTF.
 *
 * @example
 * kernelSymbols(core).get('do_sys_openat2'); // [0xffffffff8100…n]
 */
export function kernelSymbols(core: KernelCore): ReadonlyMap<string, readonly bigint[]> {
  const btf = core.deps.vmlinuxBtf?.();
  if (btf === undefined) return new Map();
  const cached = SYMBOLS.get(btf);
  if (cached !== undefined) return cached;
  const byName = new Map<string, bigint[]>();
  let n = 0n;
  for (let id = 1; id < btf.nrTypes; id++) {
    const t = btf.type(id);
    if (t?.kind !== 'FUNC' || t.name === undefined || t.name === '') continue;
    const list = byName.get(t.name) ?? [];
    list.push(TEXT_BASE + n * STRIDE);
    byName.set(t.name, list);
    n++;
  }
  SYMBOLS.set(btf, byName);
  return byName;
}

/** The span of the simulated kernel text: `[TEXT_BASE, end)`, each function `STRIDE` bytes. */
export function kernelTextRange(core: KernelCore): { readonly start: bigint; readonly end: bigint; readonly stride: bigint } {
  let n = 0n;
  for (const addrs of kernelSymbols(core).values()) n += BigInt(addrs.length);
  return { start: TEXT_BASE, end: TEXT_BASE + n * STRIDE, stride: STRIDE };
}
