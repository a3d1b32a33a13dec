import {
  BpfCmd,
  bpfAttachTypeTable,
  bpfCmdTable,
  bpfMapTypeTable,
  bpfProgTypeTable,
  cmdByName,
  enumShortName,
  enumValue,
  type BpfEnumTable,
} from '@bpfkit/uapi';
import { CliError } from '../errors.js';

/** One thing an application does with bpf(), as `token plan` / `token explain` take it. */
export type Operation =
  | { readonly op: 'map_create'; readonly mapType: number }
  | { readonly op: 'prog_load'; readonly progType: number; readonly attachType: number; /** `--attach` was given (else the raw default 0). */ readonly attachGiven: boolean }
  | { readonly op: 'btf_load' }
  | { readonly op: 'btf_get_fd_by_id' }
  | { readonly op: 'token_create' }
  | { readonly op: 'other'; readonly cmd: number };

function parseEnum(table: BpfEnumTable, what: string, name: string | undefined): number {
  if (name === undefined) throw new CliError(`missing ${what} (e.g. ${enumShortName(table, 1) ?? '…'})`);
  const value = enumValue(table, name);
  if (value === undefined) throw new CliError(`unknown ${what} '${name}'`);
  return value;
}

const USAGE = 'map_create TYPE, prog_load TYPE [--attach TYPE], btf_load, btf_get_fd_by_id, token_create';

/** What several operations apply to the prog_loads that do not say for themselves. */
export interface OperationDefaults {
  /** `--attach TYPE` given once for the whole command line. */
  readonly attach?: string;
}

/** Commander's collector for a repeatable option. */
export function collect(value: string, previous: readonly string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/**
 * The `--attach` default from the option's values: commander takes `--attach` wherever it
 * stands, so giving it twice cannot mean one per operation; that is a usage error.
 */
export function attachDefault(values: readonly string[] | undefined): OperationDefaults {
  if (values === undefined) return {};
  const [only, ...more] = values;
  if (only === undefined || more.length > 0) {
    throw new CliError("--attach given more than once: quote each operation with its own, e.g. 'prog_load xdp --attach xdp' 'prog_load sk_lookup --attach sk_lookup'");
  }
  return { attach: only };
}

/**
 * Parses one or more operations from words, each argument possibly quoted with
 * several words: `map_create hash`, `prog_load xdp --attach xdp`, `btf_load`,
 * `btf_get_fd_by_id`, `token_create`, or any other command name. A word that
 * neither starts an operation nor belongs to the one before is an error, as is
 * a `--attach` default with no prog_load to take it.
 *
 * @example
 * parseOperations(['map_create hash', 'prog_load', 'xdp', '--attach', 'xdp']).length; // 2
 */
export function parseOperations(args: readonly string[], defaults: OperationDefaults = {}): Operation[] {
  const words = args.flatMap((a) => a.trim().split(/\s+/)).filter((w) => w !== '');
  if (words.length === 0) throw new CliError(`give at least one operation (${USAGE})`);
  const ops: Operation[] = [];
  let i = 0;
  const next = (): string | undefined => words[i++];
  let defaultUsed = false;
  while (i < words.length) {
    const verb = next() ?? '';
    switch (verb.toLowerCase()) {
      case 'map_create':
        ops.push({ op: 'map_create', mapType: parseEnum(bpfMapTypeTable, 'map type', next()) });
        break;
      case 'prog_load': {
        const progType = parseEnum(bpfProgTypeTable, 'program type', next());
        let attach: string | undefined;
        if (words[i] === '--attach') {
          i++;
          attach = next();
          if (attach === undefined) throw new CliError('--attach needs an attach type');
        } else if (defaults.attach !== undefined) {
          attach = defaults.attach;
          defaultUsed = true;
        }
        ops.push({
          op: 'prog_load',
          progType,
          attachType: attach === undefined ? 0 : parseEnum(bpfAttachTypeTable, 'attach type', attach),
          attachGiven: attach !== undefined,
        });
        break;
      }
      case 'btf_load':
      case 'btf_get_fd_by_id':
      case 'token_create':
        ops.push({ op: verb.toLowerCase() as 'btf_load' | 'btf_get_fd_by_id' | 'token_create' });
        break;
      default: {
        const cmd = cmdByName(verb);
        if (cmd === undefined) {
          const last = ops.at(-1);
          const after = last === undefined ? '' : ` after '${formatOperation(last)}'`;
          throw new CliError(`unexpected word '${verb}'${after}: not an operation (${USAGE})`);
        }
        ops.push({ op: 'other', cmd });
      }
    }
  }
  if (defaults.attach !== undefined && !defaultUsed) {
    throw new CliError('--attach applies to a prog_load without an --attach of its own, and there is none');
  }
  return ops;
}

/**
 * Parses exactly one operation (see {@link parseOperations}).
 *
 * @example
 * parseOperation('prog_load cgroup_sock'); // { op: 'prog_load', progType: 9, attachType: 0, attachGiven: false }
 */
export function parseOperation(text: string): Operation {
  const ops = parseOperations([text]);
  const [first] = ops;
  if (first === undefined || ops.length > 1) throw new CliError(`'${text}' is ${String(ops.length)} operations, not one`);
  return first;
}

/** The command an operation runs. */
export function operationCmd(op: Operation): number {
  switch (op.op) {
    case 'map_create':
      return BpfCmd.BPF_MAP_CREATE;
    case 'prog_load':
      return BpfCmd.BPF_PROG_LOAD;
    case 'btf_load':
      return BpfCmd.BPF_BTF_LOAD;
    case 'btf_get_fd_by_id':
      return BpfCmd.BPF_BTF_GET_FD_BY_ID;
    case 'token_create':
      return BpfCmd.BPF_TOKEN_CREATE;
    case 'other':
      return op.cmd;
  }
}

/** `map_create hash` etc., normalised. */
export function formatOperation(op: Operation): string {
  switch (op.op) {
    case 'map_create':
      return `map_create ${enumShortName(bpfMapTypeTable, op.mapType) ?? op.mapType}`;
    case 'prog_load':
      return `prog_load ${enumShortName(bpfProgTypeTable, op.progType) ?? op.progType} --attach ${enumShortName(bpfAttachTypeTable, op.attachType) ?? op.attachType}`;
    case 'other':
      return enumShortName(bpfCmdTable, op.cmd) ?? String(op.cmd);
    default:
      return op.op;
  }
}
