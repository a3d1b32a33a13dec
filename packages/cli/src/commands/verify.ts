import type { Command } from 'commander';
import { assemble, encodeProgram } from '@bpfkit/asm';
import { createDefaultKernel } from '@bpfkit/kernel/defaults';
import { isBpfError, type Task } from '@bpfkit/kernel-api';
import { spawnTask } from '@bpfkit/testing';
import { bpfAttachTypeTable, bpfProgTypeTable, BpfCmd, enumValue, encodeAttr } from '@bpfkit/uapi';
import { CliError, ExitWith } from '../errors.js';
import { detectInputKind, readInput, readInstructionBytes } from '../input.js';
import { verifyObject } from './verify-object.js';
import { printJson, println, type Io } from '../output.js';

const LOG_SIZE = 16 * 1024 * 1024;

interface VerifyOptions {
  readonly type: string;
  readonly attach?: string;
  readonly logLevel: string;
  readonly syntax?: string;
  readonly license: string;
  readonly unprivileged?: boolean;
  readonly json?: boolean;
  readonly prog?: string;
  readonly kernel: string;
}

function enumOption(table: typeof bpfProgTypeTable, what: string, name: string): number {
  const value = enumValue(table, name);
  if (value === undefined) throw new CliError(`unknown ${what} '${name}'`);
  return value;
}

function programBytes(file: string, syntax: string | undefined): Uint8Array {
  if (syntax === undefined) return readInstructionBytes(file);
  if (syntax !== 'kernel' && syntax !== 'conformance') throw new CliError(`unknown syntax '${syntax}' (use kernel or conformance)`);
  return encodeProgram(assemble(Buffer.from(readInput(file)).toString('utf8'), { syntax: syntax }));
}

/** Loads the program as `task` would and returns the verdict with the verifier log. */
function load(task: Task, insns: Uint8Array, opts: { progType: number; attachType: number; logLevel: number; license: string }) {
  const m = task.memory;
  const log = m.alloc(LOG_SIZE);
  const attr = encodeAttr(BpfCmd.BPF_PROG_LOAD, {
    prog_type: opts.progType, expected_attach_type: opts.attachType, insns: m.alloc(insns), insn_cnt: insns.length / 8,
    license: m.alloc(new TextEncoder().encode(`${opts.license}\0`)), log_level: opts.logLevel, log_size: LOG_SIZE, log_buf: log,
  });
  const text = (): string => {
    const bytes = m.read(log, LOG_SIZE);
    const end = bytes.indexOf(0);
    return new TextDecoder().decode(bytes.subarray(0, end === -1 ? bytes.length : end));
  };
  try {
    task.bpf(BpfCmd.BPF_PROG_LOAD, attr);
    return { accepted: true as const, log: text() };
  } catch (e) {
    if (!isBpfError(e)) throw e;
    return { accepted: false as const, errno: e.code, reason: e.reason, message: e.message, log: text() || (e.log ?? '') };
  }
}

/** `bpfkit verify FILE`: the simulated kernel's verifier on a program, with its log. */
export function registerVerify(program: Command, io: Io): void {
  program
    .command('verify')
    .description("load a program into the simulated kernel and print the verifier's verdict and log")
    .argument('<file>', 'a clang-built ELF object, instructions (hex or raw), or assembly with --syntax')
    .option('--prog <name>', 'an ELF object: only this program (default: each program, loaded alone as veristat does)')
    .option('--kernel <which>', 'an ELF object: sim (the simulated kernel) or linux (this machine, root)', 'sim')
    .option('-t, --type <prog_type>', 'program type', 'socket_filter')
    .option('--attach <attach_type>', 'expected_attach_type')
    .option('-l, --log-level <n>', '1: the path to the verdict; 2: the state at every instruction', '2')
    .option('-s, --syntax <syntax>', 'FILE is assembly in this syntax (kernel or conformance)')
    .option('--license <text>', 'license string', 'GPL')
    .option('--unprivileged', 'load as an unprivileged user with kernel.unprivileged_bpf_disabled=0 (no CAP_BPF, no CAP_PERFMON)')
    .option('--json', 'print {accepted, errno, reason, message, log}')
    .addHelpText('after', '\nExample:\n  bpfkit verify examples/xdp_firewall.o --log-level 1\n  bpfkit verify -t xdp --attach xdp prog.hex\n  bpfkit verify -s kernel prog.s --log-level 1\n')
    .action(async (file: string, opts: VerifyOptions) => {
      const logLevel = Number(opts.logLevel);
      if (![1, 2, 3].includes(logLevel)) throw new CliError('--log-level takes 1, 2 or 3');
      if (opts.syntax === undefined) {
        const bytes = readInput(file);
        if (detectInputKind(bytes, file) === 'elf') {
          if (opts.kernel !== 'sim' && opts.kernel !== 'linux') throw new CliError(`--kernel: expected sim or linux, got ${opts.kernel}`);
          await verifyObject(io, file, bytes, { ...(opts.prog === undefined ? {} : { prog: opts.prog }), logLevel, kernel: opts.kernel, json: opts.json === true });
          return;
        }
      }
      const progType = enumOption(bpfProgTypeTable, 'program type', opts.type);
      const attachType = opts.attach === undefined ? 0 : enumOption(bpfAttachTypeTable, 'attach type', opts.attach);
      const insns = programBytes(file, opts.syntax);
      const kernel = createDefaultKernel(opts.unprivileged === true ? { sysctls: { 'kernel.unprivileged_bpf_disabled': 0 } } : {});
      const task = opts.unprivileged === true ? spawnTask(kernel, { uid: 1000 }) : kernel.init;
      const result = load(task, insns, { progType, attachType, logLevel, license: opts.license });
      if (opts.json === true) printJson(io.stdout, result);
      else {
        if (result.log !== '') io.stdout.write(result.log.endsWith('\n') ? result.log : `${result.log}\n`);
        println(io.stdout, result.accepted ? 'verdict: accepted' : `verdict: rejected with ${result.errno} (${result.reason}): ${result.message}`);
      }
      if (!result.accepted) throw new ExitWith(1);
    });
}
