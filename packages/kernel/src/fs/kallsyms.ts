import { Capability } from '@bpfkit/uapi';
import type { TaskImpl } from '../task/task.js';

/** Where the simulated kernel's text starts (x86-64's `_stext` without KASLR). */
const TEXT_BASE = 0xffffffff81000000n;
/** Spacing between simulated functions, so addresses are distinct and stable. */
const STRIDE = 0x40n;

/**
 * `/proc/kallsyms`: every function of the vmlinux BTF as a text (`T`) symbol,
 * at a stable address in BTF id order. Like `kallsyms_show_value()` with
 * `kptr_restrict` 0, the addresses read as zero without CAP_SYSLOG.
 */
export function kallsyms(reader: TaskImpl): string {
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
