import test from 'ava';
import { linuxBpfAvailability } from '@bpfkit/linux';

/**
 * Registers the file's kernel tests when `bpf()` works here; otherwise one
 * passing test whose title is the single skip line.
 */
export function whenLinuxBpf(suite: string, register: () => void): void {
  const a = linuxBpfAvailability();
  if (a.available) {
    register();
    return;
  }
  const line = `linux: skipped, bpf() is not available here (${a.error.code} ${a.error.reason}: ${a.error.message})`;
  test.skip(`${line} [${suite}]`, () => {});
}
