import {
  BpfError,
  NO_TRACE,
  type BpfTokenInfo,
  type CapabilityChecker,
  type Credentials,
  type SecurityStack,
  type TokenService,
  type Tracer,
  type UserNamespace,
  type UserNamespaces,
} from '@bpfkit/kernel-api';
import {
  Capability,
  MAX_BPF_ATTACH_TYPE,
  MAX_BPF_MAP_TYPE,
  MAX_BPF_PROG_TYPE,
  bpfAttachTypeTable,
  bpfCmdTable,
  bpfMapTypeTable,
  bpfProgTypeTable,
  enumShortName,
  type BpfEnumTable,
} from '@bpfkit/uapi';
import { createToken } from './create-token.js';
import { capLabel, describeUserNs } from './describe.js';
import { formatTokenFdinfo, hasBit } from './masks.js';

/** What {@link createTokenService} needs. */
export interface TokenServiceDeps {
  readonly capabilities: CapabilityChecker;
  readonly lsm: SecurityStack;
  readonly userNamespaces: Pick<UserNamespaces, 'init'>;
  /** Where steps go when a call passes no tracer; default: nowhere. */
  readonly tracer?: Tracer;
}

const KNOWN_DEPS = new Set(['capabilities', 'lsm', 'userNamespaces', 'tracer']);

const shortName = (t: BpfEnumTable, v: number): string => enumShortName(t, v) ?? String(v);

const cmdsMask = (t: BpfTokenInfo): bigint => t.allowedCmds;
const mapsMask = (t: BpfTokenInfo): bigint => t.allowedMaps;
const progsMask = (t: BpfTokenInfo): bigint => t.allowedProgs;
const attachsMask = (t: BpfTokenInfo): bigint => t.allowedAttachs;

/**
 * The BPF token (kernel/bpf/token.c): creation checks in the kernel's order
 * and the checks a command makes when it is given a token.
 *
 * @example
 * const tokens = createTokenService({ capabilities, lsm, userNamespaces });
 * const token = tokens.create(cred, { opath: false, isSuperblockRoot: true, fsType: 'bpf',
 *   superblockUserNs: containerNs, delegate: { cmds: ~0n, maps: ~0n, progs: ~0n, attachs: ~0n }, path: '/sys/fs/bpf' });
 * tokens.capable(cred, token, Capability.CAP_BPF); // CAP_BPF (or CAP_SYS_ADMIN) in the token's namespace
 */
export function createTokenService(deps: TokenServiceDeps): TokenService {
  for (const key of Object.keys(deps)) {
    if (!KNOWN_DEPS.has(key)) throw new BpfError('EINVAL', 'token:unknown-option', `createTokenService: unknown option '${key}'`);
  }
  const { capabilities, lsm, userNamespaces } = deps;
  const defaultTracer = deps.tracer ?? NO_TRACE;
  let nextTokenId = 1;

  const nsCapable = (cred: Credentials, ns: UserNamespace, cap: number, tracer: Tracer): boolean =>
    capabilities.nsCapable(cred, ns, cap, tracer);

  function allowBit(check: string, token: BpfTokenInfo | undefined, mask: (t: BpfTokenInfo) => bigint, option: string,
    table: BpfEnumTable, value: number, max: number, tracer: Tracer): boolean {
    // Step texts are built only for a tracer that records them: this runs on every token decision.
    const traced = tracer !== NO_TRACE;
    if (token === undefined) {
      if (traced) {
        tracer.step({ check, outcome: 'fail', detail: 'no token was given', hint: `pass a token (and BPF_F_TOKEN_FD) from a bpffs whose ${option} includes ${shortName(table, value)}` });
      }
      return false;
    }
    if (!(Number.isInteger(value) && value >= 0 && value < max)) {
      if (traced) {
        tracer.step({ check, outcome: 'fail', detail: `${value} is not a known ${table.enumName} (below ${max})`, hint: `use a ${table.enumName} value below ${max}` });
      }
      return false;
    }
    if (!hasBit(mask(token), value)) {
      if (traced) {
        const name = shortName(table, value);
        tracer.step({ check, outcome: 'fail', detail: `token #${token.id}: ${option} lacks ${name} (bit ${value})`, hint: `add ${name} to ${option} of the bpffs the token comes from` });
      }
      return false;
    }
    if (traced) tracer.step({ check, outcome: 'pass', detail: `token #${token.id}: ${option} has ${shortName(table, value)} (bit ${value})` });
    return true;
  }

  /** `bpf_token_capable`: `cap` (or CAP_SYS_ADMIN) in the token's namespace, or the initial one without a token; then the LSM. */
  function tokenCapable(cred: Credentials, token: BpfTokenInfo | undefined, cap: number, tracer: Tracer): boolean {
    const ns = token?.userNs ?? userNamespaces.init;
    const sysAdmin = Capability.CAP_SYS_ADMIN;
    const held = nsCapable(cred, ns, cap, tracer) || (cap !== sysAdmin && nsCapable(cred, ns, sysAdmin, tracer));
    const traced = tracer !== NO_TRACE;
    if (!held) {
      if (traced) {
        const name = capLabel(cap);
        const alt = cap === sysAdmin ? name : `${name} or CAP_SYS_ADMIN`;
        tracer.step({
          check: 'bpf_token_capable', outcome: 'fail', errno: 'EPERM',
          detail: token === undefined
            ? `no token: needs ${alt} in the initial user namespace`
            : `token #${token.id}: needs ${alt} in the token's ${describeUserNs(ns)}`,
          hint: token === undefined
            ? `hold ${alt} in the initial namespace, or use a token and hold ${alt} in its namespace`
            : `a token grants nothing by itself: make ${alt} effective in ${describeUserNs(ns)} (from a descendant or sibling namespace it never counts)`,
        });
      }
      return false;
    }
    if (token !== undefined) {
      const denial = lsm.bpfTokenCapable(cred, token, cap);
      if (denial !== undefined) {
        if (traced) {
          tracer.step({
            check: 'security_bpf_token_capable', outcome: 'fail', errno: denial.errno,
            detail: `security module ${denial.module ?? '?'} refused ${capLabel(cap)} through token #${token.id}${denial.message === undefined ? '' : `: ${denial.message}`}`,
            hint: `change the policy of security module ${denial.module ?? '?'}`,
          });
        }
        return false;
      }
    }
    if (traced) {
      tracer.step({ check: 'bpf_token_capable', outcome: 'pass', detail: `${capLabel(cap)} granted over ${describeUserNs(ns)}${token === undefined ? '' : ` via token #${token.id}`}` });
    }
    return true;
  }

  return {
    create: (cred, source, tracer = defaultTracer) =>
      tracer.group('BPF_TOKEN_CREATE', () =>
        createToken({ lsm, init: userNamespaces.init, nsCapable, nextId: () => nextTokenId++ }, cred, source, tracer)),

    allowCmd(cred, token, cmd, tracer = defaultTracer) {
      const check = 'bpf_token_allow_cmd';
      // The syscall rejects commands >= __MAX_BPF_CMD before it gets here; a bit beyond 63 cannot be delegated.
      if (!allowBit(check, token, cmdsMask, 'delegate_cmds', bpfCmdTable, cmd, 64, tracer) || token === undefined) return false;
      const denial = lsm.bpfTokenCmd(cred, token, cmd);
      if (denial === undefined) return true;
      tracer.step({
        check: 'security_bpf_token_cmd', outcome: 'fail', errno: denial.errno,
        detail: `security module ${denial.module ?? '?'} refused token #${token.id} for ${shortName(bpfCmdTable, cmd)}${denial.message === undefined ? '' : `: ${denial.message}`}`,
        hint: `change the policy of security module ${denial.module ?? '?'}`,
      });
      return false;
    },

    allowMapType: (token, mapType, tracer = defaultTracer) =>
      allowBit('bpf_token_allow_map_type', token, mapsMask, 'delegate_maps', bpfMapTypeTable, mapType, MAX_BPF_MAP_TYPE, tracer),

    allowProgType(token, progType, attachType, tracer = defaultTracer) {
      const check = 'bpf_token_allow_prog_type';
      if (token !== undefined && !(Number.isInteger(attachType) && attachType >= 0 && attachType < MAX_BPF_ATTACH_TYPE)) {
        tracer.step({ check, outcome: 'fail', detail: `${attachType} is not a known bpf_attach_type (below ${MAX_BPF_ATTACH_TYPE})`, hint: `use an expected_attach_type below ${MAX_BPF_ATTACH_TYPE}` });
        return false;
      }
      return (
        allowBit(check, token, progsMask, 'delegate_progs', bpfProgTypeTable, progType, MAX_BPF_PROG_TYPE, tracer) &&
        allowBit(check, token, attachsMask, 'delegate_attachs', bpfAttachTypeTable, attachType, MAX_BPF_ATTACH_TYPE, tracer)
      );
    },

    capable: (cred, token, cap, tracer = defaultTracer) =>
      tracer === NO_TRACE
        ? tokenCapable(cred, token, cap, tracer)
        : tracer.group(`bpf_token_capable(${capLabel(cap)})`, () => tokenCapable(cred, token, cap, tracer)),

    fdinfo: formatTokenFdinfo,

    release(token) {
      lsm.bpfTokenFree(token);
    },
  };
}
