// Helpers and kfuncs on kernel objects, as kernel/bpf/helpers.c and cpumask.c run them: bpf_kptr_xchg,
// per-CPU objects (bpf_percpu_obj_new, bpf_this_cpu_ptr, bpf_per_cpu_ptr), the task kfuncs on the
// kernel's task_structs, and cpumasks. Each program runs on both engines.
import test from 'ava';
import type { ProgramImage, ProgramServices, RunEnv } from '@bpfkit/kernel-api';
import { createVmArena } from '@bpfkit/memory';
import { createHelperRegistry, createInterpreter, createWasmEngine } from '@bpfkit/vm';
import { testEnv } from './support/env.js';
import { slots } from './support/program.js';

const arena = createVmArena({ initialBytes: 1 << 20 });
const helpers = createHelperRegistry();
type Slot = readonly [number, number, number, number, number];
const U64_MAX = (1n << 64n) - 1n;

function env(services: Partial<ProgramServices>, cpu = 0): RunEnv {
  const base = testEnv({ arena, helpers });
  return { ...base, cpu, services: { ...base.services, ...services } };
}

function run(insns: readonly Slot[], kfuncs: ReadonlyMap<number, string>, e: RunEnv): bigint[] {
  const image: ProgramImage = { progType: 31, expectedAttachType: 0, insns: slots(...insns), maps: [], kfuncs, verified: true };
  return [createInterpreter(), createWasmEngine({ fallback: createInterpreter() })].map((engine) => {
    const prog = engine.load(image);
    try {
      const out = prog.run({ r1: 0 }, e);
      return out.kind === 'exit' ? out.r0 : -999n;
    } finally {
      prog.release();
    }
  });
}

test('bpf_kptr_xchg stores the new pointer and gives back the old one', (t) => {
  const slot = arena.alloc(8);
  arena.view.setUint32(slot, 0x1234, true);
  arena.view.setUint32(slot + 4, 0, true);
  // r1 = slot; r2 = 0x5678; call kptr_xchg; exit
  const prog: Slot[] = [[0x18, 1, 0, 0, slot], [0, 0, 0, 0, 0], [0xb7, 2, 0, 0, 0x5678], [0x85, 0, 0, 0, 194], [0x95, 0, 0, 0, 0]];
  t.deepEqual(run(prog, new Map(), env({})), [0x1234n, 0x5678n], 'the second engine finds what the first stored');
  arena.free(slot);
});

test('a per-CPU object has one copy per possible CPU: bpf_this_cpu_ptr picks the running one, bpf_per_cpu_ptr any, NULL past nr_cpu_ids', (t) => {
  // r6 = bpf_percpu_obj_new_impl(0, 0); r1 = r6; call this_cpu_ptr; r0 -= r6; exit
  const thisCpu: Slot[] = [[0xb7, 1, 0, 0, 0], [0xb7, 2, 0, 0, 0], [0x85, 0, 2, 0, 0], [0xbf, 6, 0, 0, 0], [0xbf, 1, 6, 0, 0],
    [0x85, 0, 0, 0, 154], [0x1f, 0, 6, 0, 0], [0x95, 0, 0, 0, 0]];
  const kf = new Map([[2, 'bpf_percpu_obj_new_impl']]);
  t.deepEqual(run(thisCpu, kf, env({ possibleCpus: 4 }, 3)), [3n * 512n, 3n * 512n], 'CPU 3 copy, 512 bytes per CPU');
  // r6 = new; r1 = r6; r2 = cpu; call per_cpu_ptr; (r0 == 0 ? -1 : r0 - r6)
  const perCpu = (cpu: number): Slot[] => [[0xb7, 1, 0, 0, 0], [0xb7, 2, 0, 0, 0], [0x85, 0, 2, 0, 0], [0xbf, 6, 0, 0, 0], [0xbf, 1, 6, 0, 0],
    [0xb7, 2, 0, 0, cpu], [0x85, 0, 0, 0, 153], [0x55, 0, 0, 2, 0], [0xb7, 0, 0, 0, -1], [0x95, 0, 0, 0, 0], [0x1f, 0, 6, 0, 0], [0x95, 0, 0, 0, 0]];
  t.deepEqual(run(perCpu(1), kf, env({ possibleCpus: 2 })), [512n, 512n]);
  t.deepEqual(run(perCpu(2), kf, env({ possibleCpus: 2 })), [U64_MAX, U64_MAX], 'CPU 2 of 2 does not exist');
});

test('bpf_get_current_task_btf and bpf_task_from_pid give the kernel\'s task_structs; no task, or no kernel objects, is NULL', (t) => {
  const task = arena.alloc(64);
  const kernelObjects = { currentTask: () => task, taskByPid: (pid: number) => (pid === 7 ? task : 0) };
  // r6 = get_current_task_btf(); r1 = pid; call bpf_task_from_pid; r0 -= r6; exit  (0 when both are the task)
  const byPid = (pid: number): Slot[] => [[0x85, 0, 0, 0, 158], [0xbf, 6, 0, 0, 0], [0xb7, 1, 0, 0, pid], [0x85, 0, 2, 0, 0], [0x1f, 0, 6, 0, 0], [0x95, 0, 0, 0, 0]];
  const kf = new Map([[3, 'bpf_task_from_pid']]);
  t.deepEqual(run(byPid(7), kf, env({ kernelObjects })), [0n, 0n]);
  t.deepEqual(run(byPid(8), kf, env({ kernelObjects })), [-BigInt(task), -BigInt(task)].map((v) => BigInt.asUintN(64, v)));
  t.deepEqual(run(byPid(7), kf, env({})), [0n, 0n], 'without kernel objects both are NULL');
  arena.free(task);
});

test('cpumasks: create, set and test CPUs, count them, release', (t) => {
  // r6 = create; set_cpu(1, r6); set_cpu(9, r6) (past nr_cpu_ids 4: ignored); r7 = test_cpu(1, r6) * 100 + weight(r6) * 10 + test_cpu(0, r6); release(r6)
  const prog: Slot[] = [
    [0x85, 0, 2, 0, 0], [0xbf, 6, 0, 0, 0],
    [0xb7, 1, 0, 0, 1], [0xbf, 2, 6, 0, 0], [0x85, 0, 2, 0, 0],
    [0xb7, 1, 0, 0, 9], [0xbf, 2, 6, 0, 0], [0x85, 0, 2, 0, 0],
    [0xb7, 1, 0, 0, 1], [0xbf, 2, 6, 0, 0], [0x85, 0, 2, 0, 0], [0x27, 0, 0, 0, 100], [0xbf, 7, 0, 0, 0],
    [0xbf, 1, 6, 0, 0], [0x85, 0, 2, 0, 0], [0x27, 0, 0, 0, 10], [0x0f, 7, 0, 0, 0],
    [0xb7, 1, 0, 0, 0], [0xbf, 2, 6, 0, 0], [0x85, 0, 2, 0, 0], [0x0f, 7, 0, 0, 0],
    [0xbf, 1, 6, 0, 0], [0x85, 0, 2, 0, 0],
    [0xbf, 0, 7, 0, 0], [0x95, 0, 0, 0, 0],
  ];
  const kf = new Map([[0, 'bpf_cpumask_create'], [4, 'bpf_cpumask_set_cpu'], [7, 'bpf_cpumask_set_cpu'], [10, 'bpf_cpumask_test_cpu'],
    [14, 'bpf_cpumask_weight'], [19, 'bpf_cpumask_test_cpu'], [22, 'bpf_cpumask_release']]);
  t.deepEqual(run(prog, kf, env({ possibleCpus: 4 })), [110n, 110n]);
});
