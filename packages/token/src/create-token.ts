import {
  BpfError,
  type BpfErrorReason,
  type BpfTokenInfo,
  type Credentials,
  type SecurityStack,
  type TokenSource,
  type Tracer,
  type UserNamespace,
} from '@bpfkit/kernel-api';
import { Capability, type ErrnoName } from '@bpfkit/uapi';
import { describeUserNs, relation } from './describe.js';

/** The checks of BPF_TOKEN_CREATE this service runs, in the kernel's order. */
export const TOKEN_CREATE_CHECKS = [
  'token_create:fd',
  'token_create:sb-root',
  'token_create:bpffs',
  'token_create:path-permission',
  'token_create:userns-match',
  'token_create:ns_capable',
  'token_create:init-userns',
  'token_create:delegation',
  'token_create:lsm',
] as const;

export type TokenCreateCheck = (typeof TOKEN_CREATE_CHECKS)[number];

/** What token creation needs from its surroundings. */
export interface TokenCreateEnv {
  readonly lsm: SecurityStack;
  readonly init: UserNamespace;
  nsCapable(cred: Credentials, ns: UserNamespace, cap: number, tracer: Tracer): boolean;
  nextId(): number;
}

interface Failure {
  readonly errno: ErrnoName;
  readonly reason: BpfErrorReason;
  readonly detail: string;
  readonly hint: string;
}

/**
 * `bpf_token_create()` after the attr and fd checks the kernel makes first
 * (tail bytes, flags, fd lookup): each remaining check in order, the first
 * failure thrown as `BpfError`, every check traced.
 */
export function createToken(env: TokenCreateEnv, cred: Credentials, source: TokenSource, tracer: Tracer): BpfTokenInfo {
  let index = 0;
  const pass = (detail: string): void => {
    tracer.step({ check: TOKEN_CREATE_CHECKS[index++] ?? 'token_create', outcome: 'pass', detail });
  };
  const fail = (f: Failure): never => {
    tracer.step({ check: TOKEN_CREATE_CHECKS[index++] ?? 'token_create', outcome: 'fail', detail: f.detail, errno: f.errno, hint: f.hint });
    for (const check of TOKEN_CREATE_CHECKS.slice(index)) tracer.step({ check, outcome: 'skip', detail: 'not reached' });
    throw new BpfError(f.errno, f.reason, f.detail);
  };

  if (source.opath) {
    fail({
      errno: 'EBADF', reason: 'token:opath-fd',
      detail: `${source.path} is an O_PATH fd (as fsmount() returns): bpf() cannot use it`,
      hint: `open the mount first, e.g. openat(mnt_fd, ".", O_RDONLY), and pass that fd`,
    });
  }
  pass(`${source.path} is an open file`);

  if (!source.isSuperblockRoot) {
    fail({
      errno: 'EINVAL', reason: 'token:not-root',
      detail: `${source.path} is not the root of its file system`,
      hint: 'pass the root directory of the bpffs (a bind mount of the root works, one of a subdirectory does not)',
    });
  }
  pass(`${source.path} is its superblock's root`);

  if (source.fsType !== 'bpf') {
    fail({
      errno: 'EINVAL', reason: 'token:not-bpffs',
      detail: `${source.path} is a ${source.fsType} file system, not bpffs`,
      hint: 'create the token from a bpffs (fsopen("bpf") with delegate_* options)',
    });
  }
  pass(`${source.path} is a bpffs`);

  const pathDenial = env.lsm.pathPermission(cred, source.path);
  if (pathDenial !== undefined) {
    fail({
      errno: pathDenial.errno, reason: 'token:lsm-path-permission',
      detail: `security module ${pathDenial.module ?? '?'} refused access to ${source.path}${pathDenial.message === undefined ? '' : `: ${pathDenial.message}`}`,
      hint: `change the policy of security module ${pathDenial.module ?? '?'}`,
    });
  }
  pass('path_permission(MAY_ACCESS) asks for no r/w/x bits, so file modes play no part; no security module objected');

  const sbNs = source.superblockUserNs;
  if (cred.userNs !== sbNs) {
    fail({
      errno: 'EPERM', reason: 'token:userns-mismatch',
      detail: `the caller is in ${describeUserNs(cred.userNs)}, ${relation(cred.userNs, sbNs)} the bpffs's ${describeUserNs(sbNs)}; it must be exactly that namespace`,
      hint: `create the token from a process in ${describeUserNs(sbNs)}: the bpffs's namespace is the one of the process that called fsopen("bpf")`,
    });
  }
  pass(`the caller is in the bpffs's ${describeUserNs(sbNs)}`);

  if (!tracer.group('ns_capable(CAP_BPF)', () => env.nsCapable(cred, sbNs, Capability.CAP_BPF, tracer))) {
    fail({
      errno: 'EPERM', reason: 'token:missing-CAP_BPF',
      detail: `the caller lacks CAP_BPF in ${describeUserNs(sbNs)}`,
      hint: `make CAP_BPF effective in ${describeUserNs(sbNs)}; CAP_SYS_ADMIN does not stand in for it here`,
    });
  }
  pass(`the caller has CAP_BPF in ${describeUserNs(sbNs)}`);

  if (cred.userNs === env.init) {
    fail({
      errno: 'EOPNOTSUPP', reason: 'token:init-userns',
      detail: 'the caller is in the initial user namespace, where a token would add nothing',
      hint: 'in the init namespace use capabilities directly; tokens are for processes in a child user namespace',
    });
  }
  pass('the caller is below the initial user namespace');

  const d = source.delegate ?? { cmds: 0n, maps: 0n, progs: 0n, attachs: 0n };
  const masks = {
    allowedCmds: BigInt.asUintN(64, d.cmds),
    allowedMaps: BigInt.asUintN(64, d.maps),
    allowedProgs: BigInt.asUintN(64, d.progs),
    allowedAttachs: BigInt.asUintN(64, d.attachs),
  };
  if (masks.allowedCmds === 0n && masks.allowedMaps === 0n && masks.allowedProgs === 0n && masks.allowedAttachs === 0n) {
    fail({
      errno: 'ENOENT', reason: 'token:no-delegation',
      detail: `${source.path} delegates nothing: delegate_cmds, delegate_maps, delegate_progs and delegate_attachs are all 0`,
      hint: 'have an init-namespace CAP_SYS_ADMIN holder set delegate_* options when the bpffs is created',
    });
  }
  pass(`${source.path} delegates something (cmds 0x${masks.allowedCmds.toString(16)}, maps 0x${masks.allowedMaps.toString(16)}, progs 0x${masks.allowedProgs.toString(16)}, attachs 0x${masks.allowedAttachs.toString(16)})`);

  const token: BpfTokenInfo = { id: env.nextId(), userNs: sbNs, ...masks };
  const denial = env.lsm.bpfTokenCreate(cred, token);
  if (denial !== undefined) {
    fail({
      errno: denial.errno, reason: 'token:lsm-denied',
      detail: `security module ${denial.module ?? '?'} refused the token${denial.message === undefined ? '' : `: ${denial.message}`}`,
      hint: `change the policy of security module ${denial.module ?? '?'}`,
    });
  }
  pass('no security module objected (security_bpf_token_create)');
  return token;
}
