import type { Command } from 'commander';
import { assemble, encodeProgram } from '@bpfkit/asm';
import { createDefaultKernel } from '@bpfkit/kernel/defaults';
import { isBpfError, type ExecutionEngine, type Task } from '@bpfkit/kernel-api';
import { bpfAttachTypeTable, bpfProgTypeTable, BpfCmd, decodeTestRunAttr, enumValue, encodeAttr, encodeTestRunAttr } from '@bpfkit/uapi';
import { createDebugger, type TraceEntry } from '@bpfkit/vm';
import { CliError, ExitWith, KernelRefusal } from '../errors.js';
import { readInput, readProgram } from '../input.js';
import { printJson, println, type Io } from '../output.js';

const LOG_SIZE = 1024 * 1024;
const DATA_OUT = 64 * 1024 + 4096;
const CTX_OUT = 4096;

interface RunOptions {
  readonly type: string;
  readonly attach?: string;
  readonly dataIn?: string;
  readonly packet?: string;
  readonly ctxIn?: string;
  readonly repeat: string;
  readonly engine?: string;
  readonly trace?: boolean;
  readonly json?: boolean;
}

function enumOption(table: typeof bpfProgTypeTable, what: string, name: string): number {
  const value = enumValue(table, name) ?? enumValue(table, `BPF_${what === 'program type' ? 'PROG_TYPE_' : ''}${name.toUpperCase()}`);
  if (value === undefined) throw new CliError(`unknown ${what} '${name}'`);
  return value;
}

function assembleAny(text: string): Uint8Array {
  try {
    return encodeProgram(assemble(text));
  } catch (kernelSyntax) {
    try {
      return encodeProgram(assemble(text, { syntax: 'conformance' }));
    } catch {
      throw kernelSyntax;
    }
  }
}

function hexArg(text: string, what: string): Uint8Array {
  const clean = text.replace(/\s+/g, '').replace(/^0x/, '');
  if (!/^([0-9a-fA-F]{2})*$/.test(clean)) throw new CliError(`${what}: not an even number of hex digits`);
  return Uint8Array.from(Buffer.from(clean, 'hex'));
}

/** An interpreter that records every instruction it runs (for `--trace`). */
function tracingEngine(sink: TraceEntry[][]): ExecutionEngine {
  return {
    name: 'interp',
    load(image) {
      return {
        image,
        run(args, env) {
          const dbg = createDebugger(image, env, args, { trace: true });
          try {
            dbg.continue();
            sink.push([...dbg.trace]);
            const out = dbg.outcome;
            if (out === undefined) throw new Error('the debugger stopped before the program ended');
            return out;
          } finally {
            dbg.release();
          }
        },
        release() {
          /* nothing held between runs */
        },
      };
    },
  };
}

function loadProgram(task: Task, insns: Uint8Array, progType: number, attachType: number): number {
  const m = task.memory;
  const log = m.alloc(LOG_SIZE);
  const code = m.alloc(insns);
  const license = m.alloc(new TextEncoder().encode('GPL\0'));
  try {
    return task.bpf(BpfCmd.BPF_PROG_LOAD, encodeAttr(BpfCmd.BPF_PROG_LOAD, {
      prog_type: progType, expected_attach_type: attachType, insns: code, insn_cnt: insns.length / 8, license, log_level: 1, log_size: LOG_SIZE, log_buf: log,
    }));
  } catch (e) {
    if (isBpfError(e)) {
      const text = new TextDecoder().decode(m.read(log, LOG_SIZE)).replace(/\0[\s\S]*$/, '').trimEnd();
      throw new KernelRefusal(`the verifier refused the program: ${e.code}: ${e.message}${text === '' ? '' : `\n${text}`}`);
    }
    throw e;
  } finally {
    m.free(log);
    m.free(code);
    m.free(license);
  }
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** `bpfkit prog run FILE`: load a program into the simulated kernel and `BPF_PROG_TEST_RUN` it. */
export function registerProg(program: Command, io: Io): void {
  const prog = program.command('prog').description('programs in the simulated kernel');
  prog
    .command('run')
    .description('verify a program, run it with BPF_PROG_TEST_RUN and print retval, data_out, ctx_out and trace_printk output')
    .argument('<file>', 'instructions: hex (one per line), raw bytes, or assembly (kernel or conformance syntax)')
    .requiredOption('-t, --type <prog_type>', 'program type (xdp, sched_cls, socket_filter, raw_tracepoint, syscall…)')
    .option('--attach <attach_type>', 'expected_attach_type')
    .option('--data-in <file>', 'packet bytes from a file')
    .option('--packet <hex>', 'packet bytes as hex')
    .option('--ctx-in <file>', 'context bytes from a file (__sk_buff, xdp_md, raw tracepoint args, syscall ctx)')
    .option('--repeat <n>', 'BPF_PROG_TEST_RUN repeat', '1')
    .option('--engine <engine>', 'interp or wasm (default: wasm where WebAssembly exists)')
    .option('--trace', 'print every executed instruction and the registers it changed (runs on the interpreter)')
    .option('--json', 'one JSON document')
    .addHelpText('after', '\nExamples:\n  bpfkit prog run prog.s -t xdp --packet 0000000000000000000000000000\n  bpfkit prog run prog.hex -t sched_cls --data-in pkt.bin --trace\n')
    .action((file: string, opts: RunOptions) => {
      if (opts.dataIn !== undefined && opts.packet !== undefined) throw new CliError('give --data-in or --packet, not both');
      if (opts.engine !== undefined && opts.engine !== 'interp' && opts.engine !== 'wasm') throw new CliError(`unknown engine '${opts.engine}' (use interp or wasm)`);
      if (opts.trace === true && opts.engine === 'wasm') throw new CliError('--trace runs on the interpreter; leave out --engine wasm');
      const repeat = Number(opts.repeat);
      if (!Number.isInteger(repeat) || repeat < 0 || repeat > 0xffff_ffff) throw new CliError('--repeat takes a whole number');
      const progType = enumOption(bpfProgTypeTable, 'program type', opts.type);
      const attachType = opts.attach === undefined ? 0 : enumOption(bpfAttachTypeTable, 'attach type', opts.attach);
      const { insns } = readProgram(file, assembleAny);
      const data = opts.packet !== undefined ? hexArg(opts.packet, '--packet') : opts.dataIn !== undefined ? readInput(opts.dataIn) : undefined;
      const ctx = opts.ctxIn === undefined ? undefined : readInput(opts.ctxIn);

      const traces: TraceEntry[][] = [];
      const engine = opts.trace === true ? tracingEngine(traces) : (opts.engine);
      const kernel = createDefaultKernel(engine === undefined ? {} : { engine });
      const task = kernel.init;
      const fd = loadProgram(task, insns, progType, attachType);
      const m = task.memory;
      const dataIn = data === undefined || data.length === 0 ? 0n : m.alloc(data);
      const ctxIn = ctx === undefined || ctx.length === 0 ? 0n : m.alloc(ctx);
      const dataOut = data === undefined ? 0n : m.alloc(DATA_OUT);
      const ctxOut = ctx === undefined ? 0n : m.alloc(CTX_OUT);
      const attr = encodeTestRunAttr({
        prog_fd: fd, repeat,
        ...(data === undefined ? {} : { data_in: dataIn, data_size_in: data.length, data_out: dataOut, data_size_out: DATA_OUT }),
        ...(ctx === undefined ? {} : { ctx_in: ctxIn, ctx_size_in: ctx.length, ctx_out: ctxOut, ctx_size_out: CTX_OUT }),
      });
      task.bpf(BpfCmd.BPF_PROG_TEST_RUN, attr);
      const out = decodeTestRunAttr(attr);
      const dataBytes = data === undefined ? undefined : m.read(dataOut, Math.min(out.data_size_out, DATA_OUT));
      const ctxBytes = ctx === undefined ? undefined : m.read(ctxOut, Math.min(out.ctx_size_out, CTX_OUT));
      const printk = task.readFile('/sys/kernel/tracing/trace_pipe').split('\n').filter((l) => l !== '');
      const trace = traces[0] ?? [];
      const result = {
        retval: out.retval,
        duration_ns: out.duration,
        ...(dataBytes === undefined || data === undefined ? {} : { data_out: Buffer.from(dataBytes).equals(Buffer.from(data)) ? 'unchanged' : hex(dataBytes), data_size_out: out.data_size_out }),
        ...(ctxBytes === undefined ? {} : { ctx_out: hex(ctxBytes), ctx_size_out: out.ctx_size_out }),
        trace_printk: printk,
        ...(opts.trace === true ? { trace: trace.map((t) => ({ pc: t.pc, frame: t.frame, insn: t.insn, changed: Object.fromEntries(t.changed.map((c) => [`r${c.reg}`, `0x${c.value.toString(16)}`])) })) } : {}),
      };
      if (opts.json === true) {
        printJson(io.stdout, result);
        return;
      }
      if (opts.trace === true) {
        for (const t of trace) {
          const regs = t.changed.map((c) => `r${c.reg}=0x${c.value.toString(16)}`).join(' ');
          println(io.stdout, `${'  '.repeat(t.frame)}${String(t.pc).padStart(4)}: ${t.insn.padEnd(36)} ${regs}`);
        }
        println(io.stdout);
      }
      println(io.stdout, `retval ${out.retval} (0x${(out.retval >>> 0).toString(16)}), duration ${out.duration} ns`);
      if ('data_out' in result) println(io.stdout, `data_out (${out.data_size_out} bytes): ${result.data_out}`);
      if ('ctx_out' in result) println(io.stdout, `ctx_out (${out.ctx_size_out} bytes): ${result.ctx_out}`);
      for (const line of printk) println(io.stdout, `trace_printk: ${line}`);
      if (out.retval < 0) throw new ExitWith(0);
    });
}
