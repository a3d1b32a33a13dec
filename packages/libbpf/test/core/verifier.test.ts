import test from 'ava';
import { isBpfError } from '@bpfkit/kernel-api';
import { createDefaultKernel } from '@bpfkit/kernel/defaults';
import { BpfCmd, BpfProgType, encodeAttr } from '@bpfkit/uapi';
import { applyCoreRelocations, CoreReloKind as K } from '../../dist/core/index.js';
import { Types, exit, insn, m, movImm, program } from './helpers.js';

/** Loads a socket filter on a simulated kernel: 'ok', or the errno and verifier log. */
function load(code: Uint8Array): string {
  const task = createDefaultKernel().init;
  const log = task.memory.alloc(new Uint8Array(4096));
  const attr = encodeAttr(BpfCmd.BPF_PROG_LOAD, {
    prog_type: BpfProgType.BPF_PROG_TYPE_SOCKET_FILTER,
    insns: task.memory.alloc(code),
    insn_cnt: code.length / 8,
    license: task.memory.alloc(new TextEncoder().encode('GPL\0')),
    log_level: 1,
    log_buf: log,
    log_size: 4096,
  });
  try {
    task.bpf(BpfCmd.BPF_PROG_LOAD, attr);
    return 'ok';
  } catch (e) {
    if (isBpfError(e)) return `${e.code}: ${e.log ?? e.message}`;
    throw e;
  }
}

function btfs() {
  const l = new Types();
  const task = l.struct('task', 8, [m('pid', l.int, 0), m('gone', l.int, 4)]);
  const tg = new Types();
  tg.struct('task', 8, [m('pid', tg.int, 0)]);
  return { local: l.local(), target: tg.target(), task };
}

// r0 = field_exists(task.gone); if r0 == 0 goto out; r0 = offsetof(task.gone); out: r0 = 0; exit
const guarded = () => program(movImm(0, 1), insn(0x15, 0, 0, 1, 0), movImm(0, 4), movImm(0, 0), exit());

test('a poisoned instruction behind a field_exists check is dead code: the program loads', (t) => {
  const { local, target, task } = btfs();
  const code = guarded();
  const results = applyCoreRelocations(code, [
    { insn: 0, typeId: task, accessStr: '0:1', kind: K.FIELD_EXISTS },
    { insn: 2, typeId: task, accessStr: '0:1', kind: K.FIELD_BYTE_OFFSET },
  ], local, target, 'guarded');
  t.deepEqual(results.map((r) => r.poisoned), [false, true]);
  t.is(load(code), 'ok');
});

test('a reachable poisoned instruction is refused by the verifier as libbpf intends', (t) => {
  const { local, target, task } = btfs();
  const code = program(movImm(0, 4), exit());
  applyCoreRelocations(code, [{ insn: 0, typeId: task, accessStr: '0:1', kind: K.FIELD_BYTE_OFFSET }], local, target, 'unguarded');
  const out = load(code);
  t.true(out.startsWith('EINVAL: '), out);
  t.true(out.includes('invalid func unknown#195896080'), out);
});
