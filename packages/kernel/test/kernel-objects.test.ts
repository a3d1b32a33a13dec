// Programs reach the kernel's task_structs: bpf_get_current_task_btf gives the running task's (its pid,
// tgid and comm where the kernel's BTF puts them), a pointer walked out of it is untrusted and loads
// through it are BPF_PROBE_MEM loads, which read 0 where nothing is mapped (the rest of the task is not
// modelled) instead of faulting; the image goes with its task.
import test from 'ava';
import { assemble, encodeProgram } from '@bpfkit/asm';
import { builtinVmlinuxBtf, createDefaultKernel } from '@bpfkit/kernel/defaults';
import { BpfCmd, BpfProgType, encodeAttrGroup, encodeProgLoadAttr } from '@bpfkit/uapi';

const BPF_F_SLEEPABLE = 16;

test('a syscall program reads its task through bpf_get_current_task_btf, and a probe load through an unmapped pointer reads 0', (t) => {
  const kernel = createDefaultKernel({ vmlinuxBtf: builtinVmlinuxBtf });
  const task = kernel.init;
  const btf = builtinVmlinuxBtf();
  const ts = btf.type(btf.findAll('task_struct', 'STRUCT')[0] ?? 0);
  const members = ts?.kind === 'STRUCT' ? ts.members : [];
  const off = (name: string): number => Math.floor((members.find((m) => m.name === name)?.bitsOffset ?? -8) / 8);
  const text = [
    'call bpf_get_current_task_btf',
    `r6 = *(u32 *)(r0 +${String(off('pid'))})`,
    `r7 = *(u64 *)(r0 +${String(off('real_parent'))})`,
    `r8 = *(u32 *)(r7 +${String(off('pid'))})`,
    'call bpf_get_current_pid_tgid',
    'r0 <<= 32', 'r0 >>= 32',
    'if r0 != r6 goto +3',
    'r0 = r8', 'r0 += 1',
    'exit',
    'r0 = 2',
    'exit',
  ].join('\n');
  const insns = encodeProgram(assemble(text));
  const prog = task.bpf(BpfCmd.BPF_PROG_LOAD, encodeProgLoadAttr({
    prog_type: BpfProgType.BPF_PROG_TYPE_SYSCALL, insn_cnt: insns.length / 8, insns: task.memory.alloc(insns),
    license: task.memory.alloc(new TextEncoder().encode('GPL\0')), prog_flags: BPF_F_SLEEPABLE,
  }));
  const child = task.fork();
  const attr = encodeAttrGroup('test', { prog_fd: prog });
  child.bpf(BpfCmd.BPF_PROG_TEST_RUN, attr);
  t.is(new DataView(attr.buffer, attr.byteOffset).getUint32(4, true), 1, 'pid as the helper gives it; real_parent->pid through a NULL real_parent reads 0');
  const alive = kernel.counts().arenaBytes ?? 0;
  child.exit();
  t.is(alive - (kernel.counts().arenaBytes ?? 0), ts?.kind === 'STRUCT' ? ts.size : -1, 'the task_struct goes with its task');
});
