import { BpfError, type RunnableProgram, type TestRunResult } from '@bpfkit/kernel-api';
import type { ProgRecord } from '../bpf/prog-record.js';
import { BpfCmd, BpfProgType, decodeAttrGroup, type AttrOutput } from '@bpfkit/uapi';
import { check, checkAttr, putAttrU32 } from '../bpf/check.js';
import { progGet } from '../bpf/fd-get.js';
import { programServices } from '../bpf/services.js';
import type { SyscallContext } from '../task/syscall-context.js';

const ID = 'prog_test_run';

function pairCheck(task: SyscallContext, what: string, size: number, ptr: bigint): void {
  check(task.core, `${ID}:${what}`, (size !== 0) === (ptr !== 0n), 'EINVAL', 'test-run:size-without-buffer', {
    pass: size === 0 ? `no ${what}` : `${what} of ${size} bytes`,
    fail: `${what}: a size and a buffer go together`,
  });
}

/**
 * `bpf_test_finish` then `bpf_ctx_finish`: data is clamped to `data_size_out`
 * (when given) and copied, then the full size, `retval` and `duration` land
 * in the attr, and a clamp fails the command with ENOSPC after all of that;
 * the context likewise with `ctx_size_out`.
 */
function finish(task: SyscallContext, attr: AttrOutput<'test'>, uattr: Uint8Array, res: TestRunResult): void {
  const duration = Math.min(0xffff_ffff, Math.round(res.durationNs));
  if (res.dataOut === undefined) {
    // Types without a packet (raw tracepoints, syscall programs) report only retval; a syscall
    // program's context goes back where it came from, into ctx_in.
    if (res.ctxOut !== undefined && res.ctxSizeOut === undefined && attr.ctx_in !== 0n) task.memory.write(attr.ctx_in, res.ctxOut);
    putAttrU32(uattr, 'test', 'retval', res.retval);
    return;
  }
  const size = res.dataSizeOut ?? res.dataOut.length;
  const dataNospc = attr.data_size_out !== 0 && size > attr.data_size_out;
  const copy = Math.min(res.dataOut.length, dataNospc ? attr.data_size_out : size);
  if (attr.data_out !== 0n) task.memory.write(attr.data_out, res.dataOut.subarray(0, copy));
  putAttrU32(uattr, 'test', 'data_size_out', size);
  putAttrU32(uattr, 'test', 'retval', res.retval);
  putAttrU32(uattr, 'test', 'duration', duration);
  if (dataNospc) throw new BpfError('ENOSPC', 'test-run:data-out-too-small', `data_out holds ${attr.data_size_out} bytes, the packet has ${size}`);
  if (res.ctxOut !== undefined && attr.ctx_out !== 0n) {
    const ctxSize = res.ctxSizeOut ?? res.ctxOut.length;
    const ctxCopy = Math.min(ctxSize, attr.ctx_size_out, res.ctxOut.length);
    task.memory.write(attr.ctx_out, res.ctxOut.subarray(0, ctxCopy));
    putAttrU32(uattr, 'test', 'ctx_size_out', ctxSize);
    if (ctxSize > attr.ctx_size_out) throw new BpfError('ENOSPC', 'test-run:ctx-out-too-small', `ctx_out holds ${attr.ctx_size_out} bytes, the context has ${ctxSize}`);
  }
  if (res.truncated) throw new BpfError('ENOSPC', 'test-run:truncated', 'the test run cut its output to the caller\'s buffers');
}

/**
 * The program as the test run sees it: while BPF_ENABLE_STATS is on, each run
 * adds to `run_cnt` and `run_time_ns` (`__bpf_prog_run` with the stats key).
 */
function counted(task: SyscallContext, prog: ProgRecord): RunnableProgram | undefined {
  const runnable = prog.runnable;
  if (runnable === undefined || task.core.statsEnabled === 0) return runnable;
  const { loaded } = runnable;
  const clock = task.core.clock;
  return {
    ...runnable,
    loaded: {
      image: loaded.image,
      release: () => undefined,
      run(args, env) {
        const start = clock.nowNs();
        const out = loaded.run(args, env);
        prog.stats.nsecs += clock.nowNs() - start;
        prog.stats.cnt++;
        return out;
      },
    },
  };
}

/**
 * BPF_PROG_TEST_RUN (`bpf_prog_test_run`): CHECK_ATTR, `ctx_size_in`/`ctx_in`
 * and `ctx_size_out`/`ctx_out` in pairs (EINVAL), the program fd, then the
 * program type's test run (the test-run service: ENOTSUPP for types without
 * one) on the caller's copied-in buffers, and the results copied out as the
 * kernel's `bpf_test_finish` does.
 */
export function progTestRun(task: SyscallContext, bytes: Uint8Array, uattr: Uint8Array): number {
  const core = task.core;
  checkAttr(core, BpfCmd.BPF_PROG_TEST_RUN, bytes);
  const attr = decodeAttrGroup('test', bytes);
  pairCheck(task, 'ctx_in', attr.ctx_size_in, attr.ctx_in);
  pairCheck(task, 'ctx_out', attr.ctx_size_out, attr.ctx_out);
  const { obj, prog } = progGet(task, attr.prog_fd, ID);
  // `bpf_struct_ops_test_run` runs only bpf_dummy_ops programs, a struct_ops this kernel does not register.
  check(core, `${ID}:struct_ops`, prog.progType !== BpfProgType.BPF_PROG_TYPE_STRUCT_OPS, 'EOPNOTSUPP', 'test-run:struct-ops', {
    pass: `program type ${prog.progType} has its own test run`, fail: 'struct_ops programs test-run only for bpf_dummy_ops',
  });
  const { testRun, arena, helpers } = core.deps;
  if (testRun === undefined || arena === undefined || helpers === undefined) {
    throw new BpfError('ENOTSUPP', 'kernel:no-test-run', 'this kernel was built without test runs (no testRun, arena or helpers)');
  }
  const runnable = prog.runnable === undefined ? undefined : counted(task, prog);
  if (runnable === undefined) throw new BpfError('ENOTSUPP', 'kernel:no-engine', 'this kernel has no execution engine: programs load but do not run');
  const dataIn = attr.data_size_in === 0 && attr.data_in === 0n ? undefined : task.memory.read(attr.data_in, attr.data_size_in);
  const ctxIn = attr.ctx_in === 0n ? undefined : task.memory.read(attr.ctx_in, attr.ctx_size_in);
  const cpu = (attr.flags & 1) !== 0 ? attr.cpu : 0;
  const res = core.tracer.group(`bpf_prog_test_run(${runnable.progType})`, () => testRun.run(runnable, {
    ...(dataIn === undefined ? {} : { dataIn }),
    ...(ctxIn === undefined ? {} : { ctxIn }),
    dataSizeOut: attr.data_size_out,
    ctxSizeOut: attr.ctx_size_out,
    repeat: attr.repeat,
    flags: attr.flags,
    cpu: attr.cpu,
    batchSize: attr.batch_size,
  }, { arena, helpers, services: programServices(task, cpu < core.cpus ? cpu : 0, obj), cpus: core.cpus }));
  finish(task, attr, uattr, res);
  return 0;
}
