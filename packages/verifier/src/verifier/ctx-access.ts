import type { CtxAccessResult, HelperPrivileges, ProgTypeDescriptor } from '@bpfkit/kernel-api';
import { narrowOk, readInsideCtx } from '../prog-types/ctx-access.js';
import { DEFAULT_CTX_SIZE } from '../prog-types/define.js';
import { btfCtxAccess } from './btf-ctx.js';
import type { VerifierEnv } from './env.js';
import type { RegType } from './state.js';

/**
 * `env->ops->is_valid_access`: asks the program type's descriptor; a request without a known
 * type (or a descriptor without a table) allows aligned reads inside a 256-byte context.
 * A program attached through BTF (struct_ops) reads its prototype's arguments (`btf_ctx_access`).
 */
export function ctxAccess(progType: ProgTypeDescriptor | undefined, attachType: number, off: number, size: number, write: boolean,
  privileges: HelperPrivileges, env?: VerifierEnv): CtxAccessResult {
  const fn = env?.req.attachFunc;
  if (env !== undefined && fn !== undefined && progType?.type === STRUCT_OPS) return btfCtxAccess(env.log, fn, off, size, write);
  return progType?.isValidAccess?.(off, size, write, attachType, privileges) ?? readInsideCtx(DEFAULT_CTX_SIZE)(off, size, write);
}

const STRUCT_OPS = 27;

/** `may_access_direct_pkt_data`. */
export function mayAccessDirectPktData(progType: number, write: boolean): boolean {
  switch (progType) {
    case 8: case 10: case 11: return !write;
    case 3: case 4: case 6: case 12: case 14: case 16: case 25: return true;
    case 22: return !write;
    default: return false;
  }
}


/** `bpf_sock_is_valid_access` (struct bpf_sock), `bpf_sock_common_is_valid_access`, `bpf_tcp_sock_is_valid_access`. */
export function sockAccess(type: RegType, off: number, size: number): boolean {
  // `bpf_xdp_sock_is_valid_access`: `queue_id`, the one u32 of `struct bpf_xdp_sock`.
  if (type === 'xdp_sock') return off === 0 && size === 4;
  if (type === 'tcp_sock') {
    if (off < 0 || off >= 112 || off % size !== 0) return false;
    return off === 80 || off === 88 ? size === 8 : size === 4;
  }
  if (type === 'sock_common' && off >= 8 && off < 24) return false;
  if (off < 0 || off >= 80 || off % size !== 0) return false;
  // state, family, type, protocol, src_port, rx_queue_mapping; src/dst addresses.
  if ([72, 4, 8, 12, 44, 76].includes(off) || (off >= 24 && off < 44) || (off >= 52 && off < 72)) return narrowOk(size, 4);
  // dst_port is a 2-byte field that also allows a 4-byte load; the 2 bytes after it are padding.
  if (off === 48 || off === 49) return size === 4 ? off === 48 : narrowOk(size, 2);
  if (off >= 50 && off < 52) return false;
  return size === 4;
}
