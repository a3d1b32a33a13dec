import { readFileSync } from 'node:fs';
import { release } from 'node:os';
import { gunzipSync } from 'node:zlib';

/** `/boot/config-$(uname -r)`, else `/proc/config.gz`, as libbpf searches; undefined when neither is readable. */
export function readKernelConfig(): string | undefined {
  try {
    return readFileSync(`/boot/config-${release()}`, 'utf8');
  } catch {
    // Not installed: fall back to the in-kernel copy (CONFIG_IKCONFIG_PROC).
  }
  try {
    return gunzipSync(readFileSync('/proc/config.gz')).toString('utf8');
  } catch {
    return undefined;
  }
}
