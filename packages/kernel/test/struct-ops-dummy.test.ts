// bpf_dummy_ops (net/bpf/bpf_dummy_struct_ops.c): registered when the kernel's BTF has its types,
// which the host's vmlinux has and the builtin one does not. Outcomes as Linux 6.18 gave them.
import { existsSync } from 'node:fs';
import test from 'ava';
import { BpfError, type Task } from '@bpfkit/kernel-api';
import { createDefaultKernel, HOST_VMLINUX_BTF, hostVmlinuxBtf } from '@bpfkit/kernel/defaults';
import { BPF_F_SLEEPABLE, BpfCmd, BpfProgType, encodeProgLoadAttr } from '@bpfkit/uapi';

const hostBtf = existsSync(HOST_VMLINUX_BTF);
const withHostBtf = hostBtf ? test : test.skip;
if (!hostBtf) test('bpf_dummy_ops needs the host BTF', (t) => { t.log(`skipped: ${HOST_VMLINUX_BTF} is missing`); t.pass(); });

function load(t: Task, opsId: number, member: number, flags: number): { fd?: number; code?: string; log: string } {
  const insns = Uint8Array.from([0xb7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]);
  const logBuf = t.memory.alloc(new Uint8Array(4096));
  const attr = encodeProgLoadAttr({
    prog_type: BpfProgType.BPF_PROG_TYPE_STRUCT_OPS, insn_cnt: 2, insns: t.memory.alloc(insns), license: t.memory.alloc(new TextEncoder().encode('GPL\0')),
    expected_attach_type: member, attach_btf_id: opsId, prog_flags: flags, log_level: 1, log_size: 4096, log_buf: logBuf,
  });
  const text = (): string => new TextDecoder().decode(t.memory.read(logBuf, 4096)).replace(/\0.*$/s, '');
  try {
    return { fd: t.bpf(BpfCmd.BPF_PROG_LOAD, attr), log: text() };
  } catch (e) {
    if (!(e instanceof BpfError)) throw e;
    return { code: e.code, log: text() };
  }
}

withHostBtf('bpf_dummy_ops programs load for each callback; only test_sleepable may be sleepable (check_member)', (t) => {
  const vmlinux = hostVmlinuxBtf();
  const k = createDefaultKernel({ vmlinuxBtf: () => vmlinux });
  const opsId = vmlinux.findAll('bpf_dummy_ops', 'STRUCT')[0] ?? 0;
  const stats = 'processed 0 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0\n';
  t.like(load(k.init, opsId, 0, 0), { code: undefined });
  t.like(load(k.init, opsId, 0, BPF_F_SLEEPABLE), { code: 'EINVAL', log: `attach to unsupported member test_1 of struct bpf_dummy_ops\n${stats}` });
  t.like(load(k.init, opsId, 2, BPF_F_SLEEPABLE), { code: undefined });
  t.like(load(k.init, opsId, 3, 0), { code: 'EINVAL', log: `attach to invalid member idx 3 of struct bpf_dummy_ops\n${stats}` });
});
