import type { TestRunResult } from '@bpfkit/kernel-api';
import { ETH_HLEN, ETH_P_IP, ETH_P_IPV6, ethTypeTrans } from '../contexts/eth.js';
import { releasePacketContext } from '../contexts/release.js';
import { registerPacketAlias } from '../contexts/packets.js';
import { createSkBuffContext } from '../contexts/sk-buff.js';
import { checkDataSize, ctxInit, fail, finish, noFlagsCpuBatch, runRepeated, type TestRunCall } from './common.js';

/** `sizeof(struct nf_hook_state)` on x86-64: hook, pf, then five pointers. */
const NF_HOOK_STATE_SIZE = 48;
const NFPROTO_IPV4 = 2;
const NFPROTO_IPV6 = 10;
const NF_INET_LOCAL_OUT = 3;
const IPHDR = 20;
const IPV6HDR = 40;
/** `sizeof(struct sk_buff)` and `offsetof(struct sk_buff, len)` on 6.18 x86-64 (vmlinux BTF). */
const KERNEL_SK_BUFF_SIZE = 224;
const KSKB_LEN = 112;

/**
 * `bpf_prog_test_run_nf`: `data_in` at least an IPv4 header; `ctx_in` an
 * `nf_hook_state` giving only `hook` and `pf` (IPv4 or IPv6; pointers must be
 * NULL). Hooks other than LOCAL_OUT take an Ethernet frame whose EtherType
 * matches `pf` (EINVAL; EPROTO for another protocol). The program's context
 * is `bpf_nf_ctx` {state, skb}; `skb` points at a shadow `struct sk_buff`
 * that has only `len` (bpfkit has no full kernel layout) and that packet
 * helpers and kfuncs accept.
 *
 * @example
 * testRunNetfilter({ prog, req, env, options });
 */
export function testRunNetfilter(call: TestRunCall): TestRunResult {
  const { req, env } = call;
  noFlagsCpuBatch(req);
  const data = req.dataIn ?? new Uint8Array(0);
  if (data.length < IPHDR) fail('EINVAL', 'data-size', `data_size_in ${data.length} is below an IPv4 header`);
  checkDataSize(data.length, 64, 320);
  const user = ctxInit(req, NF_HOOK_STATE_SIZE);
  let hook = NF_INET_LOCAL_OUT;
  let pf = NFPROTO_IPV4;
  if (user !== undefined) {
    for (let i = 8; i < NF_HOOK_STATE_SIZE; i++) if (user[i] !== 0) fail('EINVAL', 'ctx-field-not-allowed', 'nf_hook_state pointers must be NULL');
    pf = user[1] ?? 0;
    if (pf !== NFPROTO_IPV4 && pf !== NFPROTO_IPV6) fail('EINVAL', 'nf-pf', `pf ${pf} is neither NFPROTO_IPV4 nor NFPROTO_IPV6`);
    hook = user[0] ?? 0;
  }
  let dataOffset = 0;
  if (hook !== NF_INET_LOCAL_OUT) {
    if (data.length < ETH_HLEN + IPHDR) fail('EINVAL', 'data-size', 'no room for an Ethernet and an IPv4 header');
    const proto = ethTypeTrans(data).protocol;
    if (proto === ETH_P_IP) {
      if (pf !== NFPROTO_IPV4) fail('EINVAL', 'nf-pf', 'an IPv4 frame on an IPv6 hook');
    } else if (proto === ETH_P_IPV6) {
      if (data.length < ETH_HLEN + IPV6HDR) fail('EINVAL', 'data-size', 'no room for an IPv6 header');
      if (pf !== NFPROTO_IPV6) fail('EINVAL', 'nf-pf', 'an IPv6 frame on an IPv4 hook');
    } else fail('EPROTO', 'nf-protocol', `EtherType 0x${proto.toString(16)} is neither IPv4 nor IPv6`);
    dataOffset = ETH_HLEN;
  }
  const skb = createSkBuffContext(env.arena, { frame: data, headroom: 64, tailroom: 320, dataOffset });
  const a = env.arena;
  const state = a.alloc(NF_HOOK_STATE_SIZE);
  const ctx = a.alloc(16);
  // ctx->skb is a kernel `struct sk_buff *` the program reads through BTF: a shadow with the fields
  // bpfkit knows the 6.18 x86-64 offsets of (len, data_len), which packet helpers also accept.
  const kskb = a.alloc(KERNEL_SK_BUFF_SIZE);
  skb.extraAllocations.push(kskb);
  a.view.setUint32(kskb + KSKB_LEN, skb.dataEnd() - skb.data(), true);
  registerPacketAlias(skb, kskb);
  try {
    a.bytes[state] = hook;
    a.bytes[state + 1] = pf;
    a.view.setUint32(ctx, state, true);
    a.view.setUint32(ctx + 8, kskb, true);
    const run = runRepeated(call, ctx, req.repeat);
    return finish(req, run, undefined);
  } finally {
    a.free(ctx);
    a.free(state);
    releasePacketContext(skb);
  }
}
