// A netfilter program's context holds trusted pointers to the kernel's `struct nf_hook_state` and
// `struct sk_buff` (`nf_is_valid_access`), typed from the kernel's BTF. The error lines are those
// Linux 6.18 gives for the verifier_netfilter_ctx/retcode selftests. Needs the host's vmlinux BTF.
import { existsSync, readFileSync } from 'node:fs';
import test from 'ava';
import { assemble, encodeProgram } from '@bpfkit/asm';
import { parseBtf } from '@bpfkit/btf';
import type { BtfView, VerifierRequest } from '@bpfkit/kernel-api';
import { createProgTypes, createVerifier } from '@bpfkit/verifier';
import { outcomeOf, root } from './support/outcome.js';

const VMLINUX = '/sys/kernel/btf/vmlinux';
const vmlinux: BtfView | undefined = existsSync(VMLINUX) ? parseBtf(new Uint8Array(readFileSync(VMLINUX))) : undefined;
const verifier = createVerifier({ progTypes: createProgTypes() });
const NETFILTER = 32, BPF_NETFILTER = 45;

const load = (text: string): { code: string; line: string } => outcomeOf(verifier, {
  progType: NETFILTER, expectedAttachType: BPF_NETFILTER, insns: encodeProgram(assemble(text)), license: 'GPL', gplCompatible: true,
  progFlags: 0, logLevel: 1, logSize: 1 << 20, privileges: root, vmlinuxBtf: () => vmlinux,
} satisfies VerifierRequest);

if (vmlinux === undefined) {
  test(`netfilter ctx: skipped, ${VMLINUX} is not readable here`, (t) => { t.pass(); });
} else {
  test('ctx->state is a trusted pointer: readable, not writable, no return value', (t) => {
    t.is(load('r2 = *(u64 *)(r1 +0)\nr0 = *(u8 *)(r2 +0)\nr0 = 0\nexit').code, 'ok');
    t.deepEqual(load('r2 = *(u64 *)(r1 +0)\nr3 = 0\n*(u32 *)(r2 +0) = r3\nr0 = 0\nexit'), { code: 'EACCES', line: 'only read is supported' });
    t.deepEqual(load('r0 = *(u64 *)(r1 +0)\nexit'), { code: 'EINVAL', line: 'At program exit the register R0 is not a known value (trusted_ptr_)' });
  });
}
