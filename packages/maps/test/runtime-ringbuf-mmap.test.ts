import test from 'ava';
import { BPF_RB_CONS_POS, BPF_RB_PROD_POS, BpfMapType } from '@bpfkit/uapi';
import { RingbufMap } from '@bpfkit/maps';
import fc from 'fast-check';
import { machine, place } from './runtime-helpers.js';

const { arena, create } = machine();
const PAGE = 4096;

/** A 4096-byte ringbuf and the arena addresses of its consumer and producer pages (what mmap offsets 0 and 4096 show). */
function ring(): { rb: RingbufMap; cons: number; prod: number } {
  const m = create({ type: BpfMapType.BPF_MAP_TYPE_RINGBUF, key: 0, value: 0, max: 4096 });
  if (!(m instanceof RingbufMap)) throw new Error('not a ringbuf');
  return { rb: m, cons: m.mmapRegion.addr, prod: m.mmapRegion.addr + PAGE };
}

/** Fills the ring with 16-byte records (8 bytes of payload) until a reserve fails; returns how many fit. */
function fill(rb: RingbufMap): number {
  let n = 0;
  for (;;) {
    const s = rb.reserve(8, 0);
    if (s === 0) return n;
    rb.submit(s, 0);
    n++;
  }
}

test('ringbuf: producer_pos is stored in the producer page as each sample is reserved', (t) => {
  const { rb, prod } = ring();
  rb.reserve(8, 0);
  t.is(arena.view.getBigUint64(prod, true), 16n);
  t.is(rb.query(BPF_RB_PROD_POS), 16n);
});

test('ringbuf: a consumer_pos stored through the consumer page frees room for the producer', (t) => {
  const { rb, cons, prod } = ring();
  t.is(fill(rb), 255, 'a 4096-byte ring holds 255 16-byte records (the producer stays less than the size ahead)');
  const full = arena.view.getBigUint64(prod, true);
  arena.view.setBigUint64(cons, full, true);
  t.is(rb.query(BPF_RB_CONS_POS), full, 'bpf_ringbuf_query reads the stored consumer_pos');
  t.not(rb.reserve(8, 0), 0, 'the producer sees the room');
});

test('ringbuf: consume() stores consumer_pos in the consumer page after each record', (t) => {
  const { rb, cons } = ring();
  rb.submit(rb.reserve(8, 0), 0);
  rb.submit(rb.reserve(16, 0), 0);
  const seen: bigint[] = [];
  rb.consume(() => seen.push(arena.view.getBigUint64(cons, true)));
  t.deepEqual(seen, [0n, 16n], 'stored after the callback, like libbpf');
  t.is(arena.view.getBigUint64(cons, true), 40n);
});

test('ringbuf: consume() starts from the consumer_pos user space stored', (t) => {
  const { rb, cons } = ring();
  rb.submit(rb.reserve(8, 0), 0);
  rb.submit(rb.reserve(8, 0), 0);
  arena.view.setBigUint64(cons, 16n, true);
  t.is(rb.consume(() => undefined), 1, 'the first record counts as consumed already');
});

test('ringbuf: a consumer_pos ahead of the producer leaves no room (unsigned 64-bit distance)', (t) => {
  const { rb, cons } = ring();
  arena.view.setBigUint64(cons, 64n, true);
  t.is(rb.reserve(8, 0), 0);
  arena.view.setBigUint64(cons, 0xffff_ffff_ffff_fff0n, true);
  t.not(rb.reserve(8, 0), 0, '16 bytes behind, modulo 2^64: room for one record');
});

test('ringbuf (property): accepted samples come out in order, and the mapped positions never drift apart by the ring size', (t) => {
  const data = place(arena, new Uint8Array(512).map((_, i) => i & 0xff));
  fc.assert(fc.property(fc.array(fc.oneof(fc.integer({ min: 0, max: 300 }), fc.constant(-1)), { maxLength: 60 }), (ops) => {
    const { rb, cons, prod } = ring();
    const accepted: number[] = [];
    const seen: number[] = [];
    for (const op of ops) {
      if (op < 0) rb.consume((s) => seen.push(s.length));
      else if (rb.output(data, op, 0) === 0) accepted.push(op);
      const p = arena.view.getBigUint64(prod, true);
      const c = arena.view.getBigUint64(cons, true);
      if (p !== rb.query(BPF_RB_PROD_POS) || c !== rb.query(BPF_RB_CONS_POS) || p - c > 4095n) {
        rb.release();
        return false;
      }
    }
    rb.consume((s) => seen.push(s.length));
    const drained = arena.view.getBigUint64(cons, true) === arena.view.getBigUint64(prod, true);
    rb.release();
    return drained && JSON.stringify(seen) === JSON.stringify(accepted);
  }), { numRuns: 200 });
  t.pass();
});

test('user ringbuf: the kernel side peeks the samples user space committed and releases them through consumer_pos', (t) => {
  const m = create({ type: BpfMapType.BPF_MAP_TYPE_USER_RINGBUF, key: 0, value: 0, max: 4096 });
  if (!(m instanceof RingbufMap) || m.userRingbuf === undefined) throw new Error('not a user ringbuf');
  const urb = m.userRingbuf;
  const cons = m.mmapRegion.addr, prod = cons + PAGE, data = cons + 2 * PAGE;
  t.is(urb.peek(), -61, 'empty: -ENODATA');
  // User space writes a 5-byte sample, a discarded 8-byte one and a busy one, then publishes producer_pos.
  arena.view.setUint32(data, 5, true);
  arena.bytes.set([1, 2, 3, 4, 5], data + 8);
  arena.view.setUint32(data + 16, (8 | 0x4000_0000) >>> 0, true);
  arena.view.setUint32(data + 32, (4 | 0x8000_0000) >>> 0, true);
  arena.view.setBigUint64(prod, 48n, true);
  const first = urb.peek();
  t.deepEqual(first, { addr: data + 8, size: 5 });
  urb.release(5);
  t.is(arena.view.getBigUint64(cons, true), 16n);
  t.is(urb.peek(), -11, 'a discarded sample is released and skipped: -EAGAIN');
  t.is(arena.view.getBigUint64(cons, true), 40n, 'released by its rounded length plus another header, as the kernel does');
  arena.view.setBigUint64(prod, 41n, true);
  t.is(urb.peek(), -22, 'a producer_pos that is not 8-byte aligned: -EINVAL');
});
