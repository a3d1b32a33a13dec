import type { TestRunResult } from '@bpfkit/kernel-api';
import { createPlainContext, SK_LOOKUP_SIZE, SkLookup } from '../contexts/plain.js';
import { ctxInit, fail, finish, noFlagsCpuBatch, requireZero, runRepeated, type TestRunCall } from './common.js';

const AF_INET = 2;
const AF_INET6 = 10;
const SK_DROP = 0;
const SK_PASS = 1;

/**
 * `bpf_prog_test_run_sk_lookup`: no data; `ctx_in` is required, a
 * `bpf_sk_lookup` without `sk` and with nothing after `local_port`, a port
 * below 65536 (ERANGE) and family AF_INET or AF_INET6 (EAFNOSUPPORT). The
 * program sees only the addresses of its family. No socket can be selected
 * here, so `cookie` comes back 0 and retval is SK_DROP only when the
 * program dropped.
 *
 * @example
 * testRunSkLookup({ prog, req, env, options });
 */
export function testRunSkLookup(call: TestRunCall): TestRunResult {
  const { req, env } = call;
  noFlagsCpuBatch(req);
  if (req.dataIn !== undefined || req.dataSizeOut !== 0) fail('EINVAL', 'sk-lookup-data', 'sk_lookup test runs take no data');
  const user = ctxInit(req, SK_LOOKUP_SIZE);
  if (user === undefined) fail('EINVAL', 'sk-lookup-ctx', 'sk_lookup test runs need ctx_in');
  const uv = new DataView(user.buffer, user.byteOffset, user.byteLength);
  if (uv.getBigUint64(SkLookup.sk, true) !== 0n) fail('EINVAL', 'ctx-field-not-allowed', 'bpf_sk_lookup.sk must be NULL');
  requireZero(user, SkLookup.local_port + 4, SK_LOOKUP_SIZE, 'bpf_sk_lookup fields after local_port');
  const localPort = uv.getUint32(SkLookup.local_port, true);
  if (localPort > 0xffff) fail('ERANGE', 'local-port', `local_port ${localPort} above 65535`);
  const family = uv.getUint32(SkLookup.family, true) & 0xffff;
  if (family !== AF_INET && family !== AF_INET6) fail('EAFNOSUPPORT', 'family', `family ${family} is neither AF_INET nor AF_INET6`);
  const ctx = createPlainContext(env.arena, undefined, SK_LOOKUP_SIZE);
  try {
    const v = env.arena.view;
    v.setUint32(ctx + SkLookup.family, family, true);
    v.setUint32(ctx + SkLookup.protocol, uv.getUint32(SkLookup.protocol, true) & 0xffff, true);
    v.setUint32(ctx + SkLookup.remote_port, uv.getUint32(SkLookup.remote_port, true) & 0xffff, true);
    v.setUint32(ctx + SkLookup.local_port, localPort, true);
    const copy = (off: number, n: number): void => { env.arena.bytes.set(user.subarray(off, off + n), ctx + off); };
    if (family === AF_INET) {
      copy(SkLookup.remote_ip4, 4);
      copy(SkLookup.local_ip4, 4);
    } else {
      copy(SkLookup.remote_ip6, 16);
      copy(SkLookup.local_ip6, 16);
    }
    const run = runRepeated(call, ctx, req.repeat);
    uv.setBigUint64(SkLookup.cookie, 0n, true);
    return finish(req, { retval: run.retval === SK_DROP ? SK_DROP : SK_PASS, durationNs: run.durationNs }, undefined, user);
  } finally {
    env.arena.free(ctx);
  }
}
