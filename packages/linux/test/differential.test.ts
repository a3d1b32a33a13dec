import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { O_RDONLY } from '@bpfkit/kernel-api';
import { createDefaultKernel } from '@bpfkit/kernel/defaults';
import { createLinuxSyscall } from '@bpfkit/linux';
import { hex } from './support/bpf-bytes.js';
import { BTF_CASES, MAP_CASES, PROG_CASES, TOKEN_CASES, btfCase } from './support/cases.js';
import { compareCase, describe, linuxBackend, type Backend, type DiffCase } from './support/differential.js';
import { whenLinuxBpf } from './support/skip.js';

/**
 * Cases where bpfkit's simulated kernel and Linux 6.18 disagree, each with why
 * it is left as is. A listed case that starts agreeing fails the test, so the
 * list only shrinks.
 */
const KNOWN_DIFFERENCES: ReadonlyMap<string, string> = new Map<string, string>([]);

interface BtfVector {
  readonly name: string;
  readonly hex: string;
  readonly logLevel?: number;
  readonly logSize?: number;
}

// The BTF_LOAD vectors the btf package measured on the real kernel (crafted and mutated blobs).
function btfFixtureCases(): DiffCase[] {
  const path = fileURLToPath(new URL('../../btf/test/fixtures/kernel-btf-load.json', import.meta.url));
  if (!existsSync(path)) return [];
  const data = JSON.parse(readFileSync(path, 'utf8')) as { crafted: BtfVector[]; mutated: BtfVector[] };
  return [...data.crafted, ...data.mutated].map((v) => btfCase(`fixture ${v.name}`, hex(v.hex), v.logLevel ?? 1, v.logSize ?? 65536));
}

whenLinuxBpf('differential', () => {
  const linux = linuxBackend(createLinuxSyscall());
  const task = createDefaultKernel().init;
  const simulated: Backend = {
    name: 'simulated',
    sys: task,
    open: (path) => task.open(path, O_RDONLY),
    closeFile: (fd) => {
      task.close(fd);
    },
  };

  const all = [...MAP_CASES, ...PROG_CASES, ...BTF_CASES, ...TOKEN_CASES, ...btfFixtureCases()];
  for (const c of all) {
    test(`same outcome on Linux and bpfkit: ${c.name}`, (t) => {
      const r = compareCase(linux, simulated, c);
      const summary = `linux: ${describe(r.linux)} | simulated: ${describe(r.simulated)}`;
      const known = KNOWN_DIFFERENCES.get(c.name);
      if (known !== undefined) {
        t.false(r.same, `now agrees (${summary}): remove it from KNOWN_DIFFERENCES`);
        t.log(`known difference: ${summary}; ${known}`);
        return;
      }
      t.true(r.same, summary);
    });
  }
});
