import type { Command } from 'commander';
import { createMapTypes } from '@bpfkit/maps';
import { createProgTypes } from '@bpfkit/verifier';
import { incusKeys, lxdKeys, mountOptions, systemdSettings } from '../delegation/formats.js';
import { attachDefault, collect, parseOperations } from '../delegation/operation.js';
import { planDelegation } from '../delegation/plan.js';
import { ExitWith } from '../errors.js';
import { printJson, println, type Io } from '../output.js';
import { registerTokenExplain } from './token-explain.js';

interface PlanOptions {
  readonly json?: boolean;
  readonly attach?: readonly string[];
}

/** `bpfkit token plan OP...` and `bpfkit token explain`. */
export function registerToken(program: Command, io: Io): void {
  const token = program.command('token').description('BPF token delegation: plan a bpffs mount, explain a decision');
  token
    .command('plan')
    .description('the smallest delegate_* options that allow the given operations')
    .argument('<operation...>', "operations, each quoted or one after the other: 'map_create hash' 'prog_load xdp --attach xdp' btf_load")
    .option('--attach <type>', 'expected_attach_type of every prog_load that gives none (once; or quote each operation with its own)', collect)
    .option('--json', 'print the plan as JSON')
    .addHelpText(
      'after',
      "\nA program/attach pair the kernel refuses at load is not planned: it is printed and the exit code is 1.\n\nExample:\n  bpfkit token plan 'map_create ringbuf' 'prog_load socket_filter' btf_load\n",
    )
    .action((operations: string[], opts: PlanOptions) => {
      const ops = parseOperations(operations, attachDefault(opts.attach));
      const plan = planDelegation(ops, { mapTypes: createMapTypes(), progTypes: createProgTypes() });
      if (plan.refused.length > 0) {
        if (opts.json === true) printJson(io.stdout, { refused: plan.refused });
        for (const r of plan.refused) {
          println(io.stderr, `bpfkit: ${r.operation}: refused with ${r.errno} (${r.reason}): ${r.message}; no delegation allows it, so it is not planned`);
        }
        throw new ExitWith(1);
      }
      const out = {
        mountOptions: mountOptions(plan.masks),
        incus: incusKeys(plan.masks),
        lxd: lxdKeys(plan.masks),
        systemd: systemdSettings(plan.masks),
        capabilities: plan.capabilities,
        notes: plan.notes,
        warnings: plan.warnings,
      };
      if (opts.json === true) {
        printJson(io.stdout, { masks: plan.masks, ...out });
        return;
      }
      println(io.stdout, `mount options:  ${out.mountOptions === '' ? '(none: no operation uses a token)' : out.mountOptions}`);
      println(io.stdout, 'Incus:');
      for (const k of out.incus) println(io.stdout, `  ${k}`);
      println(io.stdout, 'LXD:');
      for (const k of out.lxd) println(io.stdout, `  ${k}`);
      println(io.stdout, 'systemd unit:');
      for (const k of out.systemd) println(io.stdout, `  ${k}`);
      println(io.stdout, `the process needs, in the bpffs's user namespace: ${out.capabilities.join(', ')}`);
      println(io.stdout, 'why:');
      for (const n of out.notes) println(io.stdout, `  ${n}`);
      for (const w of out.warnings) println(io.stdout, `warning: ${w}`);
    });
  registerTokenExplain(token, io);
}
