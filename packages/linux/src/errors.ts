import { BpfError } from '@bpfkit/kernel-api';
import { ERRNO_DESCRIPTIONS, cmdName, errnoName, type ErrnoName } from '@bpfkit/uapi';

/** `linux:<command without BPF_, lowercased>`, e.g. `linux:map_create`; `linux:cmd_99` for an unknown command. */
export function cmdReason(cmd: number): `linux:${string}` {
  const name = cmdName(cmd);
  return name === undefined ? `linux:cmd_${cmd}` : `linux:${name.replace(/^BPF_/, '').toLowerCase()}`;
}

/** The kernel's `-errno` from `bpf()` as a {@link BpfError}, with the verifier/BTF log when there is one. */
export function syscallError(cmd: number, errno: number, log: string | undefined): BpfError {
  const known = errnoName(errno);
  const code: ErrnoName = known ?? 'EIO';
  const what = known === undefined ? `errno ${errno} (unknown to bpfkit, reported as EIO)` : `${known} (${ERRNO_DESCRIPTIONS[known]})`;
  const lastLine = log?.trimEnd().split('\n').pop();
  const message = `bpf(${cmdName(cmd) ?? String(cmd)}) on Linux: ${what}${lastLine === undefined || lastLine === '' ? '' : `: ${lastLine}`}`;
  return new BpfError(code, cmdReason(cmd), message, log === undefined ? {} : { log });
}

/** close(2)'s `-errno` as a {@link BpfError} (`linux:close`). */
export function closeError(fd: number, errno: number): BpfError {
  const code: ErrnoName = errnoName(errno) ?? 'EIO';
  return new BpfError(code, 'linux:close', `close(${fd}) on Linux: ${code} (${ERRNO_DESCRIPTIONS[code]})`);
}

/** open(2)'s `-errno` as a {@link BpfError} (`linux:open`). */
export function openError(path: string, errno: number): BpfError {
  const code: ErrnoName = errnoName(errno) ?? 'EIO';
  return new BpfError(code, 'linux:open', `open(${path}) on Linux: ${code} (${ERRNO_DESCRIPTIONS[code]})`);
}
