import type { HelperDescriptor } from '@bpfkit/kernel-api';
import { BpfSock } from '../contexts/plain.js';
import { defineHelper } from './define.js';
import { checkMem } from './memory.js';
import { ptrArg, setR0 } from './regs.js';

const TCP_TIME_WAIT = 6;
const TCP_NEW_SYN_RECV = 12;
const IPPROTO_TCP = 6;
const SOCK_STREAM = 1;

/**
 * `bpf_sk_fullsock(sk)`: the socket itself unless it is a time-wait or
 * request socket (NULL); `bpf_tcp_sock(sk)`: a full TCP stream socket, else
 * NULL. Sockets are `struct bpf_sock` in the arena (`__sk_buff.sk`).
 */
function sockHelpers(): HelperDescriptor[] {
  const full = (c: Parameters<HelperDescriptor['call']>[0], sk: number): boolean => {
    const state = c.env.arena.view.getUint32(sk + BpfSock.state, true);
    return state !== TCP_TIME_WAIT && state !== TCP_NEW_SYN_RECV;
  };
  return [
    defineHelper('sk_fullsock', (c) => {
      const sk = ptrArg(c, 1, 'sk');
      checkMem(c, sk, 4 * 20, 'bpf_sk_fullsock sk');
      setR0(c, full(c, sk) ? sk : 0);
    }),
    defineHelper('tcp_sock', (c) => {
      const sk = ptrArg(c, 1, 'sk');
      checkMem(c, sk, 4 * 20, 'bpf_tcp_sock sk');
      const v = c.env.arena.view;
      const tcp = full(c, sk) && v.getUint32(sk + BpfSock.protocol, true) === IPPROTO_TCP && v.getUint32(sk + BpfSock.type, true) === SOCK_STREAM;
      // bpfkit has no struct bpf_tcp_sock to hand out yet: a TCP socket would need one.
      if (tcp) return c.env.fault('bpf_tcp_sock: TCP sockets are not simulated');
      setR0(c, 0);
    }),
  ];
}

/**
 * Socket lookups (`sk_lookup_tcp`, `sk_lookup_udp`, `skc_lookup_tcp`): the
 * simulated network namespace has no sockets, so every lookup finds none
 * (NULL), and `sk_release` has nothing to drop; `sk_fullsock` and
 * `tcp_sock` on the sockets that do exist (a test run's dummy `skb->sk`).
 *
 * @example
 * for (const h of socketHelpers()) registry.set(h.id, h);
 */
export function socketHelpers(): HelperDescriptor[] {
  const none = (name: string): HelperDescriptor => defineHelper(name, (c) => setR0(c, 0));
  return [none('sk_lookup_tcp'), none('sk_lookup_udp'), none('skc_lookup_tcp'), none('sk_release'), ...sockHelpers()];
}
