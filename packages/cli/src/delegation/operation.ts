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
  | { readonly op: 'prog_load'; readonly progType: number; readonly attachType: number }
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

/**
 * Parses `map_create hash`, `prog_load xdp --attach xdp`, `btf_load`,
 * `btf_get_fd_by_id`, `token_create`, or any other command name.
 *
 * @example
 * parseOperation('prog_load cgroup_sock'); // { op: 'prog_load', progType: 9, attachType: 0 }
 */
export function parseOperation(text: string): Operation {
  const words = text.trim().split(/\s+/);
  const [verb = '', ...rest] = words;
  switch (verb.toLowerCase()) {
    case 'map_create':
      return { op: 'map_create', mapType: parseEnum(bpfMapTypeTable, 'map type', rest[0]) };
    case 'prog_load': {
      const progType = parseEnum(bpfProgTypeTable, 'program type', rest[0]);
      const at = rest.indexOf('--attach');
      const attachType = at === -1 ? 0 : parseEnum(bpfAttachTypeTable, 'attach type', rest[at + 1]);
      return { op: 'prog_load', progType, attachType };
    }
    case 'btf_load':
      return { op: 'btf_load' };
    case 'btf_get_fd_by_id':
      return { op: 'btf_get_fd_by_id' };
    case 'token_create':
      return { op: 'token_create' };
    default: {
      const cmd = cmdByName(verb);
      if (cmd === undefined) throw new CliError(`unknown operation '${text}' (try map_create TYPE, prog_load TYPE [--attach TYPE], btf_load)`);
      return { op: 'other', cmd };
    }
  }
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
