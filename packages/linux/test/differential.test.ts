import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { O_RDONLY } from '@bpfkit/kernel-api';
import { createDefaultKernel, hostVmlinuxBtf } from '@bpfkit/kernel/defaults';
import { createLinuxSyscall } from '@bpfkit/linux';
import { hex } from './support/bpf-bytes.js';
import { ATTACH_CASES, BTF_META_CASES, MAP_BTF_CASES, PROG_BTF_CASES } from './support/btf-cases.js';
import { BTF_CASES, MAP_CASES, PROG_CASES, TOKEN_CASES, btfCase } from './support/cases.js';
import { compareCase, describe, linuxBackend, type Backend, type DiffCase } from './support/differential.js';
import { whenLinuxBpf } from './support/skip.js';

/**
 * Cases where bpfkit's simulated kernel and Linux 6.18 disagree, each with why
 * it is left as is. A listed case that starts agreeing fails the test, so the
 * list only shrinks.
 */
const TRACING_REFUSED =
  'this machine answers EPERM to every fentry, LSM and freplace load, even without attach_btf_id or with a closed ' +
  'attach_prog_fd (tp_btf loads work): its security modules (lockdown, bpf; see reference/token.md §5) refuse tracing ' +
  'programs before the kernel looks at the target, so the attach-target checks, applied as mainline does, cannot be compared here';

const KNOWN_DIFFERENCES: ReadonlyMap<string, string> = new Map<string, string>([
  ['prog_load btf: fentry on bpf_fentry_test1', TRACING_REFUSED],
  ['prog_load btf: fentry without attach_btf_id', TRACING_REFUSED],
  ['prog_load btf: fentry on an id past the kernel BTF', TRACING_REFUSED],
  ["prog_load btf: fentry on 'int' (not a function)", TRACING_REFUSED],
  ['prog_load btf: lsm on bpf_lsm_file_open', TRACING_REFUSED],
  ['prog_load btf: lsm on bpf_fentry_test1 (not a hook)', TRACING_REFUSED],
  ['prog_load btf: freplace of a kernel function', TRACING_REFUSED],
  ['prog_load btf: fentry with attach_btf_obj_fd of program BTF', TRACING_REFUSED],
  ["prog_load btf: fentry with attach_btf_obj_fd of the kernel's BTF", TRACING_REFUSED],
  ['prog_load btf: fentry with attach_prog_fd 9999', TRACING_REFUSED],
]);

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
  // The host's vmlinux BTF, so attach targets and kptr types have the real kernel's ids.
  const task = createDefaultKernel({ vmlinuxBtf: () => hostVmlinuxBtf() }).init;
  const simulated: Backend = {
    name: 'simulated',
    sys: task,
    open: (path) => task.open(path, O_RDONLY),
    closeFile: (fd) => {
      task.close(fd);
    },
  };

  const all = [...MAP_CASES, ...PROG_CASES, ...BTF_CASES, ...TOKEN_CASES, ...MAP_BTF_CASES, ...BTF_META_CASES, ...PROG_BTF_CASES, ...ATTACH_CASES, ...btfFixtureCases()];
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
