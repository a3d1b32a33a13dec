import { BpfError } from '@bpfkit/kernel-api';
import type { LibbpfHost } from '../host.js';

/**
 * Reads a Kconfig listing (`/boot/config-*`, `/proc/config.gz` decompressed):
 * `CONFIG_X=value` lines, and `# CONFIG_X is not set` as `n`, as libbpf does.
 *
 * @example
 * parseKernelConfig('CONFIG_HZ=250\n# CONFIG_KPROBES is not set\n'); // { CONFIG_HZ: '250', CONFIG_KPROBES: 'n' }
 */
export function parseKernelConfig(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const unset = /^# (CONFIG_\w+) is not set$/.exec(line);
    if (unset?.[1] !== undefined) {
      out[unset[1]] = 'n';
      continue;
    }
    const eq = line.indexOf('=');
    if (line.startsWith('CONFIG_') && eq > 0) out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}

/**
 * The `CONFIG_*` values for `.kconfig` externs: the `kconfig` option when given
 * (libbpf's `kconfig` open option), else the host's configuration file. A host
 * that has none is EINVAL, as libbpf's "failed to open system Kconfig".
 */
export function kernelConfigValues(host: LibbpfHost, option: Readonly<Record<string, string>> | undefined): Readonly<Record<string, string>> {
  if (option !== undefined) return option;
  const text = host.kernelConfig?.();
  if (text === undefined) throw new BpfError('EINVAL', 'libbpf:kconfig-file', 'failed to open system Kconfig (/boot/config-$(uname -r) or /proc/config.gz)');
  return parseKernelConfig(text);
}
