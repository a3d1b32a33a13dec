import type { Command } from 'commander';
import { createMapTypes } from '@bpfkit/maps';
import { createProgTypes } from '@bpfkit/verifier';
import { incusKeys, lxdKeys, mountOptions, systemdSettings } from '../delegation/formats.js';
import { parseOperation } from '../delegation/operation.js';
import { planDelegation } from '../delegation/plan.js';
import { CliError } from '../errors.js';
import { printJson, println, type Io } from '../output.js';
import { registerTokenExplain } from './token-explain.js';

interface PlanOptions {
  readonly json?: boolean;
}

/** `bpfkit token plan OP...` and `bpfkit token explain`. */
export function registerToken(program: Command, io: Io): void {
  const token = program.command('token').description('BPF token delegation: plan a bpffs mount, explain a decision');
  token
    .command('plan')
    .description('the smallest delegate_* options that allow the given operations')
    .argument('<operation...>', "operations, each quoted: 'map_create hash' 'prog_load xdp --attach xdp' btf_load")
    .option('--json', 'print the plan as JSON')
    .addHelpText('after', "\nExample:\n  bpfkit token plan 'map_create ringbuf' 'prog_load socket_filter' btf_load\n")
    .action((operations: string[], opts: PlanOptions) => {
      if (operations.length === 0) throw new CliError('give at least one operation');
      const plan = planDelegation(operations.map(parseOperation), { mapTypes: createMapTypes(), progTypes: createProgTypes() });
      const out = {
        mountOptions: mountOptions(plan.masks),
        incus: incusKeys(plan.masks),
        lxd: lxdKeys(plan.masks),
        systemd: systemdSettings(plan.masks),
        capabilities: plan.capabilities,
        notes: plan.notes,
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
    });
  registerTokenExplain(token, io);
}
