import type { TestRunResult } from '@bpfkit/kernel-api';
import { ETH_HLEN } from '../contexts/eth.js';
import { createFlowDissectorContext, FLOW_KEYS_SIZE, FlowKeys, flowKeysAddr, resetFlowKeys } from '../contexts/flow-keys.js';
import { releasePacketContext } from '../contexts/release.js';
import { checkDataSize, ctxInit, finish, noFlagsCpuBatch, requireZero, runRepeated, type TestRunCall } from './common.js';

const clamp = (v: number, lo: number, hi: number): number => Math.min(Math.max(v, lo), hi);

/**
 * `bpf_prog_test_run_flow_dissector`: the frame from its Ethernet header,
 * `n_proto` its EtherType, `nhoff` 14; `ctx_in` is a `bpf_flow_keys` in which
 * only `flags` may be set. After each run `nhoff` and `thoff` are clamped
 * into the packet; `data_out` is the `bpf_flow_keys`.
 *
 * @example
 * testRunFlowDissector({ prog, req, env, options });
 */
export function testRunFlowDissector(call: TestRunCall): TestRunResult {
  const { req, env } = call;
  noFlagsCpuBatch(req);
  const frame = req.dataIn ?? new Uint8Array(0);
  checkDataSize(frame.length, 0, 0);
  const ctx = ctxInit(req, FLOW_KEYS_SIZE);
  let flags = 0;
  if (ctx !== undefined) {
    requireZero(ctx, 0, FlowKeys.flags, 'bpf_flow_keys fields before flags');
    requireZero(ctx, FlowKeys.flags + 4, FLOW_KEYS_SIZE, 'bpf_flow_keys fields after flags');
    flags = new DataView(ctx.buffer, ctx.byteOffset).getUint32(FlowKeys.flags, true);
  }
  const keysInit = { nProto: (frame[12] ?? 0) | ((frame[13] ?? 0) << 8), nhoff: ETH_HLEN, flags };
  const fd = createFlowDissectorContext(env.arena, { frame, ...keysInit });
  try {
    const keys = flowKeysAddr(fd);
    const v = env.arena.view;
    const clampKeys = (): void => {
      const nhoff = clamp(v.getUint16(keys + FlowKeys.nhoff, true), ETH_HLEN, frame.length);
      v.setUint16(keys + FlowKeys.nhoff, nhoff, true);
      v.setUint16(keys + FlowKeys.thoff, clamp(v.getUint16(keys + FlowKeys.thoff, true), nhoff, frame.length), true);
    };
    // Each run starts from fresh keys; only the last run's (clamped) keys come back.
    const run = runRepeated(call, fd.ctx, req.repeat, {}, () => { resetFlowKeys(fd, keysInit); });
    clampKeys();
    return finish(req, run, env.arena.bytes.slice(keys, keys + FLOW_KEYS_SIZE), ctx);
  } finally {
    releasePacketContext(fd);
  }
}
