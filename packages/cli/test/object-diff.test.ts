import test from 'ava';
import { diffDocuments, type ObjectRunDocument } from '@bpfkit/cli';

function failedLoad(tail: readonly string[]): ObjectRunDocument {
  return {
    file: 'graph.o',
    open: { ok: true, object_name: 'graph', programs: [], maps: [] },
    load: { ok: false, errno_name: 'EINVAL', failed_program: 'p' },
    program_loads: [{
      name: 'p', loaded: false, insns_hex: '9500000000000000', map_refs: [], errno_name: 'EINVAL',
      verifier_stats_log: ['verification time 9 usec', 'processed 26 insns (limit 1000000) max_states_per_insn 0 total_states 2 peak_states 2 mark_read 0'],
      verifier_log_tail: tail,
    }],
  };
}

const PROCESSED = 'processed 26 insns (limit 1000000) max_states_per_insn 0 total_states 2 peak_states 2 mark_read 0';

test('diffDocuments: a failed load compares the error line before `processed`, not kfunc ids or source lines', (t) => {
  const linux = failedLoad(['; bpf_list_push_back(&b->items, &it->node); @ g.c:35', '28: (85) call bpf_list_push_back_impl#63902',
    'bpf_spin_lock at off=0 must be held for bpf_list_head', PROCESSED]);
  const sim = failedLoad(['28: (85) call bpf_list_push_back_impl#167', 'bpf_spin_lock at off=0 must be held for bpf_list_head', PROCESSED]);
  t.deepEqual(diffDocuments(sim, linux), []);
  const other = failedLoad(['28: (85) call bpf_list_push_back_impl#167', 'bpf_spin_lock at off=8 must be held for bpf_list_head', PROCESSED]);
  t.deepEqual(diffDocuments(other, linux).map((d) => d.path), ['program_loads[0].error_line']);
});

test('diffDocuments: a log without a processed line (a BTF or setup error) compares its last line', (t) => {
  const a = failedLoad(['Invalid name']);
  const b = failedLoad(['Invalid type_id']);
  t.deepEqual(diffDocuments(a, b).map((d) => `${d.path}: ${String(d.left)} / ${String(d.right)}`), ['program_loads[0].error_line: Invalid name / Invalid type_id']);
});
