import type { TestRunRequest, TestRunResult } from '@bpfkit/kernel-api';
import { BPF_F_TEST_XDP_LIVE_FRAMES, BpfAttachType } from '@bpfkit/uapi';
import { releasePacketContext } from '../contexts/release.js';
import { createXdpContext, SKB_SHARED_INFO_SIZE, XDP_FRAME_SIZE, XDP_MD_SIZE, XDP_PACKET_HEADROOM, XdpMd } from '../contexts/xdp-md.js';
import { ETH_HLEN } from '../contexts/eth.js';
import { ctxInit, fail, finish, PAGE_SIZE, type RepeatedRun, runRepeated, type TestRunCall } from './common.js';

/** `TEST_XDP_MAX_BATCH`: the largest live-frame batch (frames are run one by one here, so the batch only bounds). */
const TEST_XDP_MAX_BATCH = 256;
/** `sizeof(struct xdp_page_head)` on x86-64: live frames keep it at the head of each page. */
const XDP_PAGE_HEAD_SIZE = 112;
/** `MAX_SKB_FRAGS`. */
const MAX_SKB_FRAGS = 17;

/**
 * `bpf_prog_test_run_xdp`: `data_in` in one page (256 bytes of headroom,
 * the shared-info tailroom) and what does not fit in page-sized frags;
 * `ctx_in` is an `xdp_md` with `data` = metadata length, `data_end` = the
 * data size, `data_meta` 0, an existing `ingress_ifindex` and queue, no
 * `egress_ifindex`. `data_out` is the frame from `data_meta` on after the
 * program, frags included. Live frames (`BPF_F_TEST_XDP_LIVE_FRAMES`) run
 * every repetition on a fresh copy and report retval 0.
 *
 * @example
 * testRunXdp({ prog, req, env, options });
 */
export function testRunXdp(call: TestRunCall): TestRunResult {
  const { prog, req, env, options } = call;
  const live = (req.flags & BPF_F_TEST_XDP_LIVE_FRAMES) !== 0;
  if (prog.expectedAttachType === BpfAttachType.BPF_XDP_DEVMAP || prog.expectedAttachType === BpfAttachType.BPF_XDP_CPUMAP) {
    fail('EINVAL', 'xdp-map-program', 'devmap and cpumap XDP programs cannot be test-run');
  }
  if ((req.flags & ~BPF_F_TEST_XDP_LIVE_FRAMES) !== 0) fail('EINVAL', 'flags', `unknown test-run flags 0x${req.flags.toString(16)}`);
  let headroom = XDP_PACKET_HEADROOM;
  if (live) {
    if (req.batchSize > TEST_XDP_MAX_BATCH) fail('E2BIG', 'batch-size', `batch_size ${req.batchSize} above ${TEST_XDP_MAX_BATCH}`);
    headroom += XDP_PAGE_HEAD_SIZE;
  } else if (req.batchSize !== 0) fail('EINVAL', 'batch-size', 'batch_size is only for live frames');
  const dataIn = req.dataIn ?? new Uint8Array(0);
  if (dataIn.length < ETH_HLEN) fail('EINVAL', 'data-size', `data_size_in ${dataIn.length} is below ETH_HLEN`);
  const ctx = ctxInit(req, XDP_MD_SIZE);
  const view = ctx === undefined ? undefined : new DataView(ctx.buffer, ctx.byteOffset, ctx.byteLength);
  // Without a context the whole frame is linear; with one, data_end says how much is (the rest goes to frags).
  let linear = dataIn.length;
  let metaLen = 0;
  if (view !== undefined) {
    const data = view.getUint32(XdpMd.data, true);
    const dataEnd = view.getUint32(XdpMd.data_end, true);
    if (view.getUint32(XdpMd.data_meta, true) !== 0 || dataEnd > dataIn.length || data > dataEnd || (data & 3) !== 0 || data > XDP_PACKET_HEADROOM - XDP_FRAME_SIZE || (live && (req.dataSizeOut !== 0 || req.ctxSizeOut !== 0))) {
      fail('EINVAL', 'xdp-md', 'xdp_md: data_meta must be 0, data_end at most the data size, data a metadata length (a multiple of 4, at most 216, within data_end)');
    }
    metaLen = data;
    headroom -= data;
    linear = dataEnd;
  }
  const maxData = PAGE_SIZE - headroom - SKB_SHARED_INFO_SIZE;
  if (linear > maxData) {
    if (live) fail('EINVAL', 'live-jumbo', 'live frames cannot be larger than a page');
    linear = maxData;
  }
  let ingress = 1;
  let queue = 0;
  if (view !== undefined) {
    if (view.getUint32(XdpMd.egress_ifindex, true) !== 0) fail('EINVAL', 'egress-ifindex', 'xdp_md.egress_ifindex must be 0');
    ingress = view.getUint32(XdpMd.ingress_ifindex, true);
    queue = view.getUint32(XdpMd.rx_queue_index, true);
    if (ingress === 0 && queue !== 0) fail('EINVAL', 'rx-queue', 'rx_queue_index without ingress_ifindex');
    if (ingress !== 0) {
      if (!options.hasDevice(ingress)) fail('ENODEV', 'no-such-device', `no device with ifindex ${ingress}`);
      if (queue >= options.rxQueues(ingress)) fail('EINVAL', 'rx-queue', `device ${ingress} has no rx queue ${queue}`);
    }
  }
  const frags: Uint8Array[] = [];
  for (let off = linear; off < dataIn.length; off += PAGE_SIZE) {
    if (frags.length === MAX_SKB_FRAGS) fail('ENOMEM', 'too-many-frags', `more than ${MAX_SKB_FRAGS} frags`);
    frags.push(dataIn.slice(off, Math.min(dataIn.length, off + PAGE_SIZE)));
  }
  const init = { linear: dataIn.subarray(0, linear), frags, frameSize: PAGE_SIZE, headroom, metaLen, ingressIfindex: ingress === 0 ? 1 : ingress, rxQueueIndex: queue };
  const xdp = createXdpContext(env.arena, init);
  try {
    let run = { retval: 0, durationNs: 0 };
    if (live) {
      const n = req.repeat === 0 ? 1 : req.repeat;
      const clock = env.services.clock;
      const start = clock.nowNs();
      for (let i = 0; i < n; i++) {
        const frame = createXdpContext(env.arena, init);
        try {
          runRepeated(call, frame.ctx, 1);
        } finally {
          releasePacketContext(frame);
        }
      }
      const spent = (clock.nowNs() - start) / BigInt(n);
      run = { retval: 0, durationNs: Number(spent > 0xffff_ffffn ? 0xffff_ffffn : spent) };
    } else run = runRepeated(call, xdp.ctx, req.repeat);
    const a = env.arena;
    const meta = xdp.dataMeta();
    const linearOut = a.bytes.subarray(meta, xdp.dataEnd());
    if (ctx !== undefined && view !== undefined) {
      view.setUint32(XdpMd.data, xdp.data() - meta, true);
      view.setUint32(XdpMd.data_end, xdp.dataEnd() - meta, true);
    }
    return finishFrags(req, run, linearOut, xdp.frags, ctx);
  } finally {
    releasePacketContext(xdp);
  }
}

/**
 * `bpf_test_finish` with frags: the room left after the frags goes to the
 * linear part (so a short `data_out` gets the frags and less of the head, as
 * the kernel copies), and when the frags alone do not fit nothing is written
 * at all: ENOSPC with no retval or sizes.
 */
function finishFrags(req: TestRunRequest, run: RepeatedRun, linear: Uint8Array, frags: readonly Uint8Array[], ctx: Uint8Array | undefined): TestRunResult {
  let fragsSize = 0;
  for (const f of frags) fragsSize += f.length;
  const size = linear.length + fragsSize;
  if (fragsSize === 0 || req.dataSizeOut === 0 || size <= req.dataSizeOut) {
    const all = new Uint8Array(size);
    all.set(linear);
    let at = linear.length;
    for (const f of frags) {
      all.set(f, at);
      at += f.length;
    }
    return finish(req, run, all, ctx);
  }
  const copy = req.dataSizeOut;
  const len = copy - fragsSize;
  if (len < 0) fail('ENOSPC', 'data-out-too-small', `data_size_out ${copy} cannot hold the ${fragsSize} bytes of frags`);
  const out = new Uint8Array(copy);
  out.set(linear.subarray(0, len));
  let at = len;
  for (const f of frags) {
    if (at >= copy) break;
    const n = Math.min(copy - at, f.length);
    out.set(f.subarray(0, n), at);
    at += n;
  }
  return { retval: run.retval, durationNs: run.durationNs, dataOut: out, dataSizeOut: size, truncated: true };
}
