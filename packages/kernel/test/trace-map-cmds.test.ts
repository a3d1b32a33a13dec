import test from 'ava';
import { MAP_SHARED, PROT_READ, PROT_WRITE, type TraceStep, type Tracer } from '@bpfkit/kernel-api';
import { createDefaultKernel } from '@bpfkit/kernel/defaults';
import { BPF_F_MMAPABLE, BPF_F_RDONLY, BpfCmd, encodeGetIdAttr, encodeMapElemAttr, type ErrnoName } from '@bpfkit/uapi';
import { arrayMap, counterProg, errnoOf, freeze, lookup, testRun, u32, u64, update } from './bpf-calls.js';

function recorder(): Tracer & { steps: TraceStep[] } {
  const steps: TraceStep[] = [];
  return {
    steps,
    step(s) {
      steps.push(s);
    },
    group(_title, fn) {
      return fn();
    },
  };
}

const FAILURE_WORDING = /\b(not|without|unknown|lacks?|missing|denied|refused|must)\b|is an O_PATH/;
const PASS_WORDING = /: held |is within|every bit is a known flag|no security module objected|, a supported type|may (read|write)/;

test('element commands, freeze, test runs and mmap trace their checks, and a passing step reads as a pass', (t) => {
  const tracer = recorder();
  const k = createDefaultKernel({ tracer });
  const fd = arrayMap(k.init, 4, BPF_F_MMAPABLE);
  update(k.init, fd, u32(1), u64(1));
  lookup(k.init, fd, u32(1));
  testRun(k.init, counterProg(k.init, fd));
  k.init.munmap(k.init.mmap(fd, 4096, PROT_READ | PROT_WRITE, MAP_SHARED));
  freeze(k.init, fd);
  const passing = tracer.steps.filter((s) => s.outcome === 'pass');
  t.true(passing.some((s) => s.check === 'map_update_elem:FMODE_CAN_WRITE'));
  t.true(passing.some((s) => s.check === 'map_freeze:frozen'));
  t.true(passing.some((s) => s.check === 'bpf_map_mmap:VM_SHARED'));
  for (const s of passing) t.notRegex(s.detail, FAILURE_WORDING, `${s.check}: ${s.detail}`);
});

test('refused element commands name the failing check with its errno and the failure wording', (t) => {
  const tracer = recorder();
  const k = createDefaultKernel({ tracer });
  const fd = arrayMap(k.init);
  const ro = k.init.bpf(BpfCmd.BPF_MAP_GET_FD_BY_ID, encodeGetIdAttr({ map_id: 1, open_flags: BPF_F_RDONLY }));
  const calls: [string, () => unknown, ErrnoName][] = [
    ['map_update_elem:FMODE_CAN_WRITE', () => update(k.init, ro, u32(0), u64(1)), 'EPERM'],
    ['map_lookup_elem:fd', () => lookup(k.init, 9999, u32(0)), 'EBADF'],
    ['map_lookup_elem:BPF_F_LOCK', () => k.init.bpf(BpfCmd.BPF_MAP_LOOKUP_ELEM, encodeMapElemAttr({ map_fd: fd, key: k.init.memory.alloc(u32(0)), value: k.init.memory.alloc(8), flags: 4n })), 'EINVAL'],
    ['map_freeze:FMODE_CAN_WRITE', () => freeze(k.init, ro), 'EPERM'],
  ];
  for (const [check, call, errno] of calls) {
    tracer.steps.length = 0;
    t.is(errnoOf(call), errno, check);
    const failed = tracer.steps.filter((s) => s.outcome === 'fail');
    t.is(failed.length, 1, check);
    t.is(failed[0]?.check, check);
    t.is(failed[0]?.errno, errno);
    t.notRegex(failed[0]?.detail ?? '', PASS_WORDING, check);
  }
});
