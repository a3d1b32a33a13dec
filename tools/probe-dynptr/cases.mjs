// Dynptr programs for tools/probe-dynptr: each a small program in kernel assembly syntax
// (@bpfkit/asm) that makes, uses, overwrites or releases dynptrs, accepted or refused.
// Markers the builder turns into relocations: `call kfunc:NAME` (a kfunc call by BTF name),
// `rX = map:NAME ll` (a map fd), `rX = func:+N ll` (a callback N instructions after this one).

const SYSCALL = 31, XDP = 6, SCHED_CLS = 3, SOCKET_FILTER = 1;
const MAPS = {
  arr: { id: 'arr', name: 'arr', map_type_num: 2, key_size: 4, value_size: 64, max_entries: 1, map_flags: 0,
    init: [{ key: '00000000', value: Array.from({ length: 64 }, (_, i) => (i + 1).toString(16).padStart(2, '0')).join('') }] },
  rb: { id: 'rb', name: 'rb', map_type_num: 27, key_size: 0, value_size: 0, max_entries: 4096, map_flags: 0 },
  urb: { id: 'urb', name: 'urb', map_type_num: 31, key_size: 0, value_size: 0, max_entries: 4096, map_flags: 0 },
};

/** r6 = the array map's value (its bytes 1, 2, 3, …), or exit 0. */
const LOOKUP = ['r1 = 0', '*(u32 *)(r10 -4) = r1', 'r2 = r10', 'r2 += -4', 'r1 = map:arr ll', 'call 1', 'if r0 != 0 goto +2', 'r0 = 0', 'exit', 'r6 = r0'];
/** A local dynptr at fp+off over `size` bytes of the map value. */
const fromMem = (off = -16, size = 64, flags = 0) => ['r1 = r6', `r2 = ${size}`, `r3 = ${flags}`, 'r4 = r10', `r4 += ${off}`, 'call 197'];
/** A ringbuf dynptr at fp+off reserving `size` bytes. */
const reserve = (off = -16, size = 8) => ['r1 = map:rb ll', `r2 = ${size}`, 'r3 = 0', 'r4 = r10', `r4 += ${off}`, 'call 198'];
const submit = (off = -16) => ['r1 = r10', `r1 += ${off}`, 'r2 = 0', 'call 199'];
const discard = (off = -16) => ['r1 = r10', `r1 += ${off}`, 'r2 = 0', 'call 200'];
/** bpf_dynptr_read(fp+dst, len, fp+src, offset, 0). */
const read = (dst = -32, len = 8, src = -16, offset = 0) => ['r1 = r10', `r1 += ${dst}`, `r2 = ${len}`, 'r3 = r10', `r3 += ${src}`, `r4 = ${offset}`, 'r5 = 0', 'call 201'];
/** bpf_dynptr_write(fp+dst, offset, fp+src, len, 0). */
const write = (dst = -16, offset = 0, src = -32, len = 8) => ['r1 = r10', `r1 += ${dst}`, `r2 = ${offset}`, 'r3 = r10', `r3 += ${src}`, `r4 = ${len}`, 'r5 = 0', 'call 202'];
/** r0 = bpf_dynptr_data(fp+off, offset, len). */
const data = (off = -16, offset = 0, len = 8) => ['r1 = r10', `r1 += ${off}`, `r2 = ${offset}`, `r3 = ${len}`, 'call 203'];
/** r0 = bpf_dynptr_slice[_rdwr](fp+off, offset, fp+buf or NULL, len). */
const slice = (off = -16, offset = 0, buf = -48, len = 8, rdwr = false) => [
  'r1 = r10', `r1 += ${off}`, `r2 = ${offset}`, ...(buf === null ? ['r3 = 0'] : ['r3 = r10', `r3 += ${buf}`]), `r4 = ${len}`,
  `call kfunc:bpf_dynptr_slice${rdwr ? '_rdwr' : ''}`,
];
const kf = (name, off = -16, ...rest) => ['r1 = r10', `r1 += ${off}`, ...rest, `call kfunc:${name}`];
const ret = (v) => [`r0 = ${v}`, 'exit'];

function c(name, progType, lines, { maps = [], runs, btf = false } = {}) {
  return { name, progType, text: lines.join('\n'), maps: maps.map((m) => MAPS[m]), ...(runs === undefined ? {} : { runs }), ...(btf ? { btf } : {}) };
}

/**
 * The BTF the cases with `btf` load (key `dynptr` of the fixture's `btf_blobs`): `int prog(void)` for the
 * main program, a global `int g(struct bpf_dynptr *p)` for every bpf-to-bpf call target and a static
 * `int cb(struct bpf_dynptr *d, void *ctx)` for every callback.
 */
export const BTF_IDS = { prog: 10, g: 8, cb: 12 };
export function dynptrBtf(BtfBuilder) {
  const b = new BtfBuilder();
  b.add({ kind: 'INT', name: 'int', size: 4, encoding: 1, bitsOffset: 0, bits: 32 });
  b.add({ kind: 'INT', name: 'unsigned long long', size: 8, encoding: 0, bitsOffset: 0, bits: 64 });
  b.add({ kind: 'ARRAY', name: '', type: 2, indexType: 1, nelems: 2 });
  b.add({ kind: 'STRUCT', name: 'bpf_dynptr', size: 16, kflag: false, members: [{ name: '__opaque', type: 3, bitsOffset: 0, bitfieldSize: 0 }] });
  b.add({ kind: 'PTR', name: '', type: 4 });
  b.add({ kind: 'PTR', name: '', type: 0 });
  b.add({ kind: 'FUNC_PROTO', name: '', type: 1, params: [{ name: 'p', type: 5 }] });
  b.add({ kind: 'FUNC', name: 'g', type: 7, linkage: 1 });
  b.add({ kind: 'FUNC_PROTO', name: '', type: 1, params: [] });
  b.add({ kind: 'FUNC', name: 'prog', type: 9, linkage: 1 });
  b.add({ kind: 'FUNC_PROTO', name: '', type: 1, params: [{ name: 'd', type: 5 }, { name: 'ctx', type: 6 }] });
  b.add({ kind: 'FUNC', name: 'cb', type: 11, linkage: 0 });
  return Buffer.from(b.encode()).toString('hex');
}

const PKT = '0011223344556677' + '8899aabbccddeeff'.repeat(7);

/** The cases, each named for what it shows. */
export function dynptrCases() {
  const A = ['arr'], R = ['rb'], AR = ['arr', 'rb'];
  return [
    // local dynptrs over a map value
    c('local read', SYSCALL, [...LOOKUP, ...fromMem(), ...read(), 'r0 = *(u64 *)(r10 -32)', 'exit'], { maps: A }),
    c('local read returns the error', SYSCALL, [...LOOKUP, ...fromMem(-16, 4), ...read(-32, 8), 'exit'], { maps: A }),
    c('local write then read back', SYSCALL, [...LOOKUP, ...fromMem(), 'r1 = 0x5a', '*(u64 *)(r10 -32) = r1', ...write(-16, 3, -32, 1), 'r7 = r0',
      ...read(-40, 8), 'r0 = *(u64 *)(r10 -40)', 'r0 += r7', 'exit'], { maps: A }),
    c('local from_mem with flags fails at run time', SYSCALL, [...LOOKUP, ...fromMem(-16, 64, 1), 'r7 = r0', ...kf('bpf_dynptr_is_null'), 'r0 &= 0xff', 'r0 <<= 8', 'r0 += r7', 'exit'], { maps: A }),
    c('local data slice', SYSCALL, [...LOOKUP, ...fromMem(), ...data(-16, 2, 4), 'if r0 == 0 goto +2', 'r0 = *(u32 *)(r0 +0)', 'exit', ...ret(7)], { maps: A }),
    c('local data slice used unchecked', SYSCALL, [...LOOKUP, ...fromMem(), ...data(), 'r0 = *(u32 *)(r0 +0)', 'exit'], { maps: A }),
    c('local data slice read past its size', SYSCALL, [...LOOKUP, ...fromMem(), ...data(-16, 0, 4), 'if r0 == 0 goto +2', 'r0 = *(u32 *)(r0 +2)', 'exit', ...ret(0)], { maps: A }),
    c('local data slice written', SYSCALL, [...LOOKUP, ...fromMem(), ...data(-16, 0, 8), 'if r0 == 0 goto +3', 'r1 = 9', '*(u8 *)(r0 +0) = r1',
      'r0 = *(u8 *)(r6 +0)', 'exit'], { maps: A }),
    c('local data size not constant', SYSCALL, [...LOOKUP, 'r7 = *(u8 *)(r6 +0)', ...fromMem(), 'r1 = r10', 'r1 += -16', 'r2 = 0', 'r3 = r7', 'call 203', ...ret(0)], { maps: A }),
    c('local data slice gone after the dynptr is overwritten', SYSCALL, [...LOOKUP, ...fromMem(), ...data(), 'if r0 == 0 goto +4', 'r1 = 0',
      '*(u64 *)(r10 -16) = r1', 'r0 = *(u32 *)(r0 +0)', 'exit', ...ret(0)], { maps: A }),
    c('local data slice kept when another dynptr is overwritten', SYSCALL, [...LOOKUP, ...fromMem(-16), ...fromMem(-32), ...data(-16), 'if r0 == 0 goto +4', 'r1 = 0',
      '*(u64 *)(r10 -32) = r1', 'r0 = *(u32 *)(r0 +0)', 'exit', ...ret(0)], { maps: A }),
    c('local made twice on the same slots', SYSCALL, [...LOOKUP, ...fromMem(), ...fromMem(-16, 8), ...read(-32, 8), 'exit'], { maps: A }),
    c('local made across another one', SYSCALL, [...LOOKUP, ...fromMem(-16), ...fromMem(-32), ...fromMem(-24), ...read(-48, 8, -24), 'r7 = r0', ...read(-48, 8, -16), 'exit'], { maps: A }),
    c('local over uninit stack ok', SYSCALL, [...LOOKUP, ...fromMem(-64), ...read(-32, 8, -64), 'exit'], { maps: A }),
    c('local misaligned', SYSCALL, [...LOOKUP, ...fromMem(-12), ...ret(0)], { maps: A }),
    c('local too close to fp', SYSCALL, [...LOOKUP, ...fromMem(-8), ...ret(0)], { maps: A }),
    c('local past the stack', SYSCALL, [...LOOKUP, ...fromMem(-520), ...ret(0)], { maps: A }),
    c('local at a variable offset', SYSCALL, [...LOOKUP, 'r7 = *(u8 *)(r6 +0)', 'r7 &= 8', 'r1 = r6', 'r2 = 8', 'r3 = 0', 'r4 = r10', 'r4 += -32', 'r4 += r7', 'call 197', ...ret(0)], { maps: A }),
    c('local from stack memory', SYSCALL, ['r1 = 0', '*(u64 *)(r10 -40) = r1', 'r1 = r10', 'r1 += -40', 'r2 = 8', 'r3 = 0', 'r4 = r10', 'r4 += -16', 'call 197', ...ret(0)]),
    c('local bigger than the value', SYSCALL, [...LOOKUP, ...fromMem(-16, 65), ...ret(0)], { maps: A }),
    c('read of an uninit dynptr', SYSCALL, [...read(-32, 8, -16), ...ret(0)]),
    c('read of a scalar dynptr', SYSCALL, ['r1 = r10', 'r1 += -32', 'r2 = 8', 'r3 = 0', 'r4 = 0', 'r5 = 0', 'call 201', ...ret(0)]),
    c('read at the second slot', SYSCALL, [...LOOKUP, ...fromMem(-16), ...read(-40, 8, -8), ...ret(0)], { maps: A }),
    c('read after a partial overwrite of the first slot', SYSCALL, [...LOOKUP, ...fromMem(), 'r1 = 0', '*(u32 *)(r10 -16) = r1', ...read(), ...ret(0)], { maps: A }),
    c('read after a partial overwrite of the second slot', SYSCALL, [...LOOKUP, ...fromMem(), 'r1 = 0', '*(u8 *)(r10 -1) = r1', ...read(), ...ret(0)], { maps: A }),
    c('read after an st overwrite', SYSCALL, [...LOOKUP, ...fromMem(), '*(u64 *)(r10 -8) = 0', ...read(), ...ret(0)], { maps: A }),
    c('read into the dynptr itself', SYSCALL, [...LOOKUP, ...fromMem(), ...read(-16, 8, -16), ...ret(0)], { maps: A }),
    c('read into the dynptr second slot', SYSCALL, [...LOOKUP, ...fromMem(), ...read(-12, 8, -16), ...ret(0)], { maps: A }),
    c('write from the dynptr bytes', SYSCALL, [...LOOKUP, ...fromMem(), ...write(-16, 0, -16, 8), ...ret(0)], { maps: A }),
    c('dynptr bytes loaded', SYSCALL, [...LOOKUP, ...fromMem(), 'r0 = *(u64 *)(r10 -16)', 'exit'], { maps: A }),
    c('dynptr bytes loaded narrow', SYSCALL, [...LOOKUP, ...fromMem(), 'r0 = *(u8 *)(r10 -9)', 'exit'], { maps: A }),
    c('dynptr pointer spilled over', SYSCALL, [...LOOKUP, ...fromMem(), '*(u64 *)(r10 -16) = r6', ...read(), ...ret(0)], { maps: A }),
    c('dynptr written at a variable offset', SYSCALL, [...LOOKUP, ...fromMem(), 'r7 = *(u8 *)(r6 +0)', 'r7 &= 8', 'r1 = r10', 'r1 += -16', 'r1 += r7', 'r2 = 0',
      '*(u8 *)(r1 +0) = r2', ...read(), ...ret(0)], { maps: A }),
    c('local released by submit', SYSCALL, [...LOOKUP, ...fromMem(), ...submit(), ...ret(0)], { maps: A }),
    // ringbuf dynptrs: a reference
    c('ringbuf submit', SYSCALL, [...reserve(), 'r7 = r0', ...submit(), 'r0 = r7', 'exit'], { maps: R }),
    c('ringbuf discard', SYSCALL, [...reserve(), ...discard(), ...ret(1)], { maps: R }),
    c('ringbuf reserve too big fails at run time', SYSCALL, [...reserve(-16, 8192), 'r7 = r0', ...kf('bpf_dynptr_is_null'), 'r0 &= 0xff', 'r8 = r0', ...discard(), 'r0 = r8', 'r0 <<= 32', 'r0 |= r7', 'exit'], { maps: R }),
    c('ringbuf leaked', SYSCALL, [...reserve(), ...ret(0)], { maps: R }),
    c('ringbuf leaked on one path', SYSCALL, [...reserve(), 'if r0 != 0 goto +4', ...submit(), ...ret(0)], { maps: R }),
    c('ringbuf submitted twice', SYSCALL, [...reserve(), ...submit(), ...submit(), ...ret(0)], { maps: R }),
    c('ringbuf submit uninit', SYSCALL, [...submit(), ...ret(0)]),
    c('ringbuf submit misaligned', SYSCALL, [...reserve(), ...submit(-12), ...submit(), ...ret(0)], { maps: R }),
    c('ringbuf submit at second slot', SYSCALL, [...reserve(), ...submit(-8), ...ret(0)], { maps: R }),
    c('ringbuf submit scalar', SYSCALL, ['r1 = 0', 'r2 = 0', 'call 199', ...ret(0)]),
    c('ringbuf overwritten', SYSCALL, [...reserve(), 'r1 = 0', '*(u64 *)(r10 -16) = r1', ...submit(), ...ret(0)], { maps: R }),
    c('ringbuf overwritten at the second slot', SYSCALL, [...reserve(), 'r1 = 0', '*(u32 *)(r10 -4) = r1', ...submit(), ...ret(0)], { maps: R }),
    c('ringbuf reserved over a ringbuf dynptr', SYSCALL, [...reserve(), ...reserve(), ...submit(), ...ret(0)], { maps: R }),
    c('ringbuf reserved over half a ringbuf dynptr', SYSCALL, [...reserve(), ...reserve(-24), ...submit(), ...submit(-24), ...ret(0)], { maps: R }),
    c('local made over a ringbuf dynptr', SYSCALL, [...LOOKUP, ...reserve(), ...fromMem(), ...submit(), ...ret(0)], { maps: AR }),
    c('ringbuf read and write', SYSCALL, ['r1 = 7', '*(u64 *)(r10 -32) = r1', ...reserve(), ...write(), 'r7 = r0', ...read(-40), 'r8 = r0', ...submit(),
      'r0 = *(u64 *)(r10 -40)', 'r0 += r7', 'r0 += r8', 'exit'], { maps: R }),
    c('ringbuf data written then submitted', SYSCALL, [...reserve(), ...data(), 'if r0 == 0 goto +2', 'r1 = 3', '*(u64 *)(r0 +0) = r1', ...submit(), ...ret(0)], { maps: R }),
    c('ringbuf data used after submit', SYSCALL, [...reserve(), ...data(), 'r7 = r0', ...submit(), 'if r7 == 0 goto +2', 'r0 = *(u64 *)(r7 +0)', 'exit', ...ret(0)], { maps: R }),
    c('ringbuf data not null-checked after submit', SYSCALL, [...reserve(), ...data(), 'if r0 == 0 goto +7', 'r7 = r0', ...submit(), 'r0 = *(u64 *)(r7 +0)', 'exit', ...discard(), ...ret(0)], { maps: R }),
    c('ringbuf data spilled then submit', SYSCALL, [...reserve(), ...data(), '*(u64 *)(r10 -24) = r0', ...submit(), 'r0 = *(u64 *)(r10 -24)', 'if r0 == 0 goto +1', 'r0 = *(u64 *)(r0 +0)', 'exit'], { maps: R }),
    c('ringbuf two dynptrs', SYSCALL, [...reserve(-16), ...reserve(-32), ...submit(-32), ...discard(-16), ...ret(0)], { maps: R }),
    c('ringbuf two dynptrs one leaked', SYSCALL, [...reserve(-16), ...reserve(-32), ...submit(-16), ...ret(0)], { maps: R }),
    c('ringbuf dynptr in a static subprog', SYSCALL, ['r1 = r10', 'r1 += -16', 'call pc+6', ...submit(), ...ret(0),
      'r4 = r1', 'r1 = map:rb ll', 'r2 = 8', 'r3 = 0', 'call 198', ...ret(0)], { maps: R }),
    c('ringbuf dynptr released in a static subprog', SYSCALL, [...reserve(), 'r1 = r10', 'r1 += -16', 'call pc+2', ...ret(0), 'r2 = 0', 'call 199', ...ret(0)], { maps: R }),
    c('ringbuf submit with a reference in r0 path join', SYSCALL, [...reserve(), 'if r0 == 0 goto +6', ...submit(), ...ret(1), ...discard(), ...ret(2)], { maps: R }),
    // kfuncs
    c('kfunc size, is_null, is_rdonly of a local', SYSCALL, [...LOOKUP, ...fromMem(-16, 40), ...kf('bpf_dynptr_size'), 'r7 = r0', ...kf('bpf_dynptr_is_null'), 'r0 &= 0xff', 'r0 <<= 8', 'r7 |= r0',
      ...kf('bpf_dynptr_is_rdonly'), 'r0 &= 0xff', 'r0 <<= 16', 'r0 |= r7', 'exit'], { maps: A }),
    c('kfunc adjust then read', SYSCALL, [...LOOKUP, ...fromMem(), ...kf('bpf_dynptr_adjust', -16, 'r2 = 4', 'r3 = 12'), 'r7 = r0', ...kf('bpf_dynptr_size'), 'r7 <<= 8', 'r7 |= r0',
      ...read(-32, 4), 'r0 = *(u32 *)(r10 -32)', 'r0 <<= 16', 'r0 |= r7', 'exit'], { maps: A }),
    c('kfunc adjust out of range', SYSCALL, [...LOOKUP, ...fromMem(-16, 8), ...kf('bpf_dynptr_adjust', -16, 'r2 = 4', 'r3 = 12'), 'exit'], { maps: A }),
    c('kfunc size of uninit', SYSCALL, [...kf('bpf_dynptr_size'), ...ret(0)]),
    c('kfunc size of a scalar', SYSCALL, ['r1 = 0', 'call kfunc:bpf_dynptr_size', ...ret(0)]),
    c('kfunc size of a non-null scalar', SYSCALL, ['r1 = 5', 'call kfunc:bpf_dynptr_size', ...ret(0)]),
    c('kfunc size of a maybe-null map value', SYSCALL, ['r1 = 0', '*(u32 *)(r10 -4) = r1', 'r2 = r10', 'r2 += -4', 'r1 = map:arr ll', 'call 1', 'r1 = r0', 'call kfunc:bpf_dynptr_size', ...ret(0)], { maps: A }),
    c('kfunc iter_num_new with NULL', SYSCALL, ['r1 = 0', 'r2 = 0', 'r3 = 1', 'call kfunc:bpf_iter_num_new', ...ret(0)]),
    c('kfunc size of a map value', SYSCALL, [...LOOKUP, 'r1 = r6', 'call kfunc:bpf_dynptr_size', ...ret(0)], { maps: A }),
    c('kfunc size of the second slot', SYSCALL, [...LOOKUP, ...fromMem(), ...kf('bpf_dynptr_size', -8), ...ret(0)], { maps: A }),
    c('kfunc clone of a local', SYSCALL, [...LOOKUP, ...fromMem(), ...kf('bpf_dynptr_clone', -16, 'r2 = r10', 'r2 += -32'), ...kf('bpf_dynptr_adjust', -32, 'r2 = 8', 'r3 = 16'),
      ...read(-48, 8, -32), ...read(-56, 8, -16), 'r0 = *(u64 *)(r10 -48)', 'r1 = *(u64 *)(r10 -56)', 'r0 -= r1', 'exit'], { maps: A }),
    c('kfunc clone of uninit', SYSCALL, [...kf('bpf_dynptr_clone', -16, 'r2 = r10', 'r2 += -32'), ...ret(0)]),
    c('kfunc clone onto itself', SYSCALL, [...LOOKUP, ...fromMem(), ...kf('bpf_dynptr_clone', -16, 'r2 = r10', 'r2 += -16'), ...ret(0)], { maps: A }),
    c('kfunc clone of a ringbuf, clone submitted', SYSCALL, [...reserve(), ...kf('bpf_dynptr_clone', -16, 'r2 = r10', 'r2 += -32'), ...submit(-32), ...ret(0)], { maps: R }),
    c('kfunc clone of a ringbuf, parent used after submit', SYSCALL, [...reserve(), ...kf('bpf_dynptr_clone', -16, 'r2 = r10', 'r2 += -32'), ...submit(-32), ...kf('bpf_dynptr_size'), ...ret(0)], { maps: R }),
    c('kfunc clone of a ringbuf, both submitted', SYSCALL, [...reserve(), ...kf('bpf_dynptr_clone', -16, 'r2 = r10', 'r2 += -32'), ...submit(-32), ...submit(-16), ...ret(0)], { maps: R }),
    c('kfunc clone of a ringbuf overwritten', SYSCALL, [...reserve(), ...kf('bpf_dynptr_clone', -16, 'r2 = r10', 'r2 += -32'), 'r1 = 0', '*(u64 *)(r10 -32) = r1', ...submit(), ...ret(0)], { maps: R }),
    c('kfunc clone over a ringbuf dynptr', SYSCALL, [...LOOKUP, ...reserve(-32), ...fromMem(), ...kf('bpf_dynptr_clone', -16, 'r2 = r10', 'r2 += -32'), ...submit(-32), ...ret(0)], { maps: AR }),
    c('kfunc slice of a local', SYSCALL, [...LOOKUP, ...fromMem(), ...slice(-16, 4, -48, 4), 'if r0 == 0 goto +2', 'r0 = *(u32 *)(r0 +0)', 'exit', ...ret(9)], { maps: A }),
    c('kfunc slice without a buffer', SYSCALL, [...LOOKUP, ...fromMem(), ...slice(-16, 4, null, 4), 'if r0 == 0 goto +2', 'r0 = *(u32 *)(r0 +0)', 'exit', ...ret(9)], { maps: A }),
    c('kfunc slice written', SYSCALL, [...LOOKUP, ...fromMem(), ...slice(-16, 0, -48, 4), 'if r0 == 0 goto +2', 'r1 = 1', '*(u32 *)(r0 +0) = r1', ...ret(0)], { maps: A }),
    c('kfunc slice unchecked', SYSCALL, [...LOOKUP, ...fromMem(), ...slice(-16, 0, -48, 4), 'r0 = *(u32 *)(r0 +0)', 'exit'], { maps: A }),
    c('kfunc slice with a 16-byte buffer', SYSCALL, [...LOOKUP, ...fromMem(), ...slice(-16, 0, -40, 16), ...ret(0)], { maps: A }),
    c('kfunc slice buffer over the dynptr', SYSCALL, [...LOOKUP, ...fromMem(), ...slice(-16, 0, -24, 16), ...ret(0)], { maps: A }),
    c('kfunc slice buffer past the stack', SYSCALL, [...LOOKUP, ...fromMem(), ...slice(-16, 0, -8, 16), ...ret(0)], { maps: A }),
    c('kfunc slice buffer in a map value', SYSCALL, [...LOOKUP, ...fromMem(-16, 8), 'r1 = r10', 'r1 += -16', 'r2 = 0', 'r3 = r6', 'r3 += 16', 'r4 = 8', 'call kfunc:bpf_dynptr_slice',
      'if r0 == 0 goto +2', 'r0 = *(u64 *)(r0 +0)', 'exit', ...ret(0)], { maps: A }),
    c('kfunc slice size not constant', SYSCALL, [...LOOKUP, ...fromMem(), 'r4 = *(u8 *)(r6 +0)', 'r4 &= 7', 'r1 = r10', 'r1 += -16', 'r2 = 0', 'r3 = 0', 'call kfunc:bpf_dynptr_slice', ...ret(0)], { maps: A }),
    c('kfunc slice rdwr in a syscall program', SYSCALL, [...LOOKUP, ...fromMem(), ...slice(-16, 0, -48, 4, true), ...ret(0)], { maps: A }),
    c('kfunc slice rdwr of uninit', SYSCALL, [...slice(-16, 0, -48, 4, true), ...ret(0)]),
    c('kfunc slice rdwr of a scalar', SYSCALL, ['r1 = 0', 'r2 = 0', 'r3 = 0', 'r4 = 0', 'call kfunc:bpf_dynptr_slice_rdwr', ...ret(0)]),
    c('kfunc slice rdwr buffer not constant', SCHED_CLS, ['r2 = 0', 'r3 = r10', 'r3 += -16', 'call kfunc:bpf_dynptr_from_skb', 'r4 = *(u32 *)(r10 -16)', 'r1 = r10', 'r1 += -16', 'r2 = 0', 'r3 = 0', 'call kfunc:bpf_dynptr_slice_rdwr', ...ret(0)]),
    c('kfunc copy between locals', SYSCALL, [...LOOKUP, ...fromMem(-16, 16), 'r1 = r6', 'r1 += 32', 'r2 = 16', 'r3 = 0', 'r4 = r10', 'r4 += -32', 'call 197',
      'r1 = r10', 'r1 += -16', 'r2 = 0', 'r3 = r10', 'r3 += -32', 'r4 = 0', 'r5 = 8', 'call kfunc:bpf_dynptr_copy', 'r7 = r0', 'r0 = *(u64 *)(r6 +0)', 'r0 += r7', 'exit'], { maps: A }),
    c('kfunc memset of a local', SYSCALL, [...LOOKUP, ...fromMem(-16, 16), 'r1 = r10', 'r1 += -16', 'r2 = 2', 'r3 = 4', 'r4 = 0xee', 'call kfunc:bpf_dynptr_memset', 'r7 = r0',
      'r0 = *(u64 *)(r6 +0)', 'r0 += r7', 'exit'], { maps: A }),
    c('kfunc slice gone after overwrite', SYSCALL, [...LOOKUP, ...fromMem(), ...slice(-16, 0, null, 4), 'if r0 == 0 goto +3', '*(u64 *)(r10 -8) = 0', 'r0 = *(u32 *)(r0 +0)', 'exit', ...ret(0)], { maps: A }),
    c('kfunc slice of a ringbuf used after submit', SYSCALL, [...reserve(), ...slice(-16, 0, -48, 4), 'r7 = r0', ...submit(), 'if r7 == 0 goto +2', 'r0 = *(u32 *)(r7 +0)', 'exit', ...ret(0)], { maps: R }),
    // packet dynptrs
    c('xdp slice read', XDP, ['r2 = 0', 'r3 = r10', 'r3 += -16', 'call kfunc:bpf_dynptr_from_xdp', ...slice(-16, 2, -48, 4), 'if r0 == 0 goto +2', 'r0 = *(u32 *)(r0 +0)', 'exit', ...ret(1)],
      { runs: [PKT, '0011'] }),
    c('xdp slice rdwr written', XDP, ['r2 = 0', 'r3 = r10', 'r3 += -16', 'call kfunc:bpf_dynptr_from_xdp', ...slice(-16, 1, -48, 2, true), 'if r0 == 0 goto +2', 'r1 = 0xab',
      '*(u8 *)(r0 +0) = r1', ...ret(2)], { runs: [PKT] }),
    c('xdp dynptr size and write', XDP, ['r2 = 0', 'r3 = r10', 'r3 += -16', 'call kfunc:bpf_dynptr_from_xdp', ...kf('bpf_dynptr_size'), 'r7 = r0', 'r1 = 0x77', '*(u64 *)(r10 -32) = r1',
      ...write(-16, 5, -32, 1), 'r0 <<= 16', 'r0 |= r7', 'exit'], { runs: [PKT] }),
    c('xdp slice gone after adjust_head', XDP, ['r6 = r1', 'r2 = 0', 'r3 = r10', 'r3 += -16', 'call kfunc:bpf_dynptr_from_xdp', ...slice(-16, 0, null, 4), 'if r0 == 0 goto +5', 'r7 = r0',
      'r1 = r6', 'r2 = 0', 'call 44', 'r0 = *(u32 *)(r7 +0)', 'exit', ...ret(0)]),
    c('xdp from_xdp with a non-ctx', XDP, ['r1 = r10', 'r1 += -64', 'r2 = 0', 'r3 = r10', 'r3 += -16', 'call kfunc:bpf_dynptr_from_xdp', ...ret(0)]),
    c('xdp from_skb not allowed', XDP, ['r2 = 0', 'r3 = r10', 'r3 += -16', 'call kfunc:bpf_dynptr_from_skb', ...ret(0)]),
    c('xdp dynptr_data of an xdp dynptr', XDP, ['r2 = 0', 'r3 = r10', 'r3 += -16', 'call kfunc:bpf_dynptr_from_xdp', ...data(-16, 0, 4), 'if r0 == 0 goto +2', 'r0 = *(u32 *)(r0 +0)', 'exit', ...ret(3)],
      { runs: [PKT] }),
    c('tc slice read', SCHED_CLS, ['r2 = 0', 'r3 = r10', 'r3 += -16', 'call kfunc:bpf_dynptr_from_skb', ...slice(-16, 4, -48, 4), 'if r0 == 0 goto +2', 'r0 = *(u32 *)(r0 +0)', 'exit', ...ret(1)],
      { runs: [PKT] }),
    c('tc from_skb with flags', SCHED_CLS, ['r2 = 1', 'r3 = r10', 'r3 += -16', 'call kfunc:bpf_dynptr_from_skb', 'r7 = r0', ...kf('bpf_dynptr_is_null'), 'r0 &= 0xff', 'r0 <<= 8', 'r0 += r7', 'exit'],
      { runs: [PKT] }),
    c('tc dynptr write then slice gone', SCHED_CLS, ['r2 = 0', 'r3 = r10', 'r3 += -16', 'call kfunc:bpf_dynptr_from_skb', ...slice(-16, 0, -48, 4), 'if r0 == 0 goto +12', 'r7 = r0',
      'r1 = 1', '*(u64 *)(r10 -32) = r1', ...write(-16, 0, -32, 1), 'r0 = *(u32 *)(r7 +0)', 'exit', ...ret(0)]),
    c('tc dynptr write then slice again', SCHED_CLS, ['r2 = 0', 'r3 = r10', 'r3 += -16', 'call kfunc:bpf_dynptr_from_skb', 'r1 = 0x99', '*(u64 *)(r10 -32) = r1', ...write(-16, 1, -32, 1),
      'r7 = r0', ...slice(-16, 0, -48, 4), 'if r0 == 0 goto +2', 'r0 = *(u32 *)(r0 +0)', 'exit', 'r0 = r7', 'exit'], { runs: [PKT] }),
    c('tc slice rdwr written', SCHED_CLS, ['r2 = 0', 'r3 = r10', 'r3 += -16', 'call kfunc:bpf_dynptr_from_skb', ...slice(-16, 0, -48, 2, true), 'if r0 == 0 goto +2', 'r1 = 0x42',
      '*(u8 *)(r0 +1) = r1', ...ret(0)], { runs: [PKT] }),
    c('tc from_skb_meta', SCHED_CLS, ['r2 = 0', 'r3 = r10', 'r3 += -16', 'call kfunc:bpf_dynptr_from_skb_meta', ...kf('bpf_dynptr_size'), 'exit'], { runs: [PKT] }),
    c('socket filter from_skb read only', SOCKET_FILTER, ['r2 = 0', 'r3 = r10', 'r3 += -16', 'call kfunc:bpf_dynptr_from_skb', ...kf('bpf_dynptr_is_rdonly'), 'r0 &= 0xff', 'exit'], { runs: [PKT] }),
    c('socket filter slice rdwr', SOCKET_FILTER, ['r2 = 0', 'r3 = r10', 'r3 += -16', 'call kfunc:bpf_dynptr_from_skb', ...slice(-16, 0, -48, 2, true), ...ret(0)]),
    c('tc from_skb over a ringbuf dynptr', SCHED_CLS, ['r6 = r1', ...reserve(), 'r1 = r6', 'r2 = 0', 'r3 = r10', 'r3 += -16', 'call kfunc:bpf_dynptr_from_skb', ...ret(0)], { maps: R }),
    c('tc skb dynptr submitted', SCHED_CLS, ['r2 = 0', 'r3 = r10', 'r3 += -16', 'call kfunc:bpf_dynptr_from_skb', ...submit(), ...ret(0)]),
    // pruning: a dynptr made on two paths
    c('two paths make different dynptrs', SYSCALL, [...LOOKUP, 'r7 = *(u8 *)(r6 +0)', 'if r7 > 3 goto +7', ...fromMem(), 'goto +17', ...reserve(), ...discard(), ...fromMem(-16, 8),
      ...read(-32, 8), ...ret(0)], { maps: AR }),
    c('two paths: local or ringbuf at the join', SYSCALL, [...LOOKUP, 'r7 = *(u8 *)(r6 +0)', 'if r7 > 3 goto +7', ...fromMem(), 'goto +7', ...reserve(), ...read(-32, 8), 'if r7 > 3 goto +2', ...ret(0), ...discard(), ...ret(0)], { maps: AR }),
    // a callback (bpf_user_ringbuf_drain) needs BTF func_info: refused without it
    c('user ringbuf callback reads its dynptr', SYSCALL, ['r1 = map:urb ll', 'r2 = func:+5 ll', 'r3 = 0', 'r4 = 0', 'call 209', 'exit',
      'r2 = r1', 'r1 = r10', 'r1 += -8', 'r5 = r2', 'r2 = 8', 'r3 = r5', 'r4 = 0', 'r5 = 0', 'call 201', ...ret(0)], { maps: ['urb'] }),
    c('user ringbuf callback reads its dynptr (with BTF)', SYSCALL, ['r1 = map:urb ll', 'r2 = func:+5 ll', 'r3 = 0', 'r4 = 0', 'call 209', 'exit', 'r2 = r1', 'r1 = r10', 'r1 += -8', 'r5 = r2', 'r2 = 8', 'r3 = r5', 'r4 = 0', 'r5 = 0', 'call 201', 'r0 = *(u64 *)(r10 -8)', ...ret(0)], { maps: ['urb'], btf: true }),
    c('user ringbuf callback sizes its dynptr', SYSCALL, ['r1 = map:urb ll', 'r2 = func:+5 ll', 'r3 = 0', 'r4 = 0', 'call 209', 'exit', 'call kfunc:bpf_dynptr_size', ...ret(0)], { maps: ['urb'], btf: true }),
    c('user ringbuf callback takes data from its dynptr', SYSCALL, ['r1 = map:urb ll', 'r2 = func:+5 ll', 'r3 = 0', 'r4 = 0', 'call 209', 'exit', 'r2 = 0', 'r3 = 4', 'call 203', 'if r0 == 0 goto +1', 'r0 = *(u32 *)(r0 +0)', ...ret(0)], { maps: ['urb'], btf: true }),
    c('user ringbuf callback writes its dynptr', SYSCALL, ['r1 = map:urb ll', 'r2 = func:+5 ll', 'r3 = 0', 'r4 = 0', 'call 209', 'exit', 'r6 = r1', 'r1 = 0', '*(u64 *)(r10 -8) = r1', 'r1 = r6', 'r2 = 0', 'r3 = r10', 'r3 += -8', 'r4 = 8', 'r5 = 0', 'call 202', ...ret(0)], { maps: ['urb'], btf: true }),
    c('user ringbuf callback submits its dynptr', SYSCALL, ['r1 = map:urb ll', 'r2 = func:+5 ll', 'r3 = 0', 'r4 = 0', 'call 209', 'exit', 'r2 = 0', 'call 199', ...ret(0)], { maps: ['urb'], btf: true }),
    c('user ringbuf callback makes a dynptr over it', SYSCALL, ['r1 = map:urb ll', 'r2 = func:+5 ll', 'r3 = 0', 'r4 = 0', 'call 209', 'exit', 'r4 = r1', 'r1 = r10', 'r1 += -8', 'r2 = 8', 'r3 = 0', 'call 197', ...ret(0)], { maps: ['urb'], btf: true }),
    c('user ringbuf callback clones into its dynptr', SYSCALL, ['r1 = map:urb ll', 'r2 = func:+5 ll', 'r3 = 0', 'r4 = 0', 'call 209', 'exit', 'r2 = r1', 'call kfunc:bpf_dynptr_clone', ...ret(0)], { maps: ['urb'], btf: true }),
    c('user ringbuf callback clones its dynptr', SYSCALL, ['r1 = map:urb ll', 'r2 = func:+5 ll', 'r3 = 0', 'r4 = 0', 'call 209', 'exit', 'r2 = r10', 'r2 += -16', 'call kfunc:bpf_dynptr_clone', 'r1 = r10', 'r1 += -16', 'call kfunc:bpf_dynptr_size', ...ret(0)], { maps: ['urb'], btf: true }),
    c('user ringbuf callback adjusts its dynptr', SYSCALL, ['r1 = map:urb ll', 'r2 = func:+5 ll', 'r3 = 0', 'r4 = 0', 'call 209', 'exit', 'r2 = 0', 'r3 = 0', 'call kfunc:bpf_dynptr_adjust', ...ret(0)], { maps: ['urb'], btf: true }),
    c('user ringbuf callback moves its dynptr', SYSCALL, ['r1 = map:urb ll', 'r2 = func:+5 ll', 'r3 = 0', 'r4 = 0', 'call 209', 'exit', 'r1 += 8', 'call kfunc:bpf_dynptr_size', ...ret(0)], { maps: ['urb'], btf: true }),
    c('user ringbuf callback moves its dynptr for a helper', SYSCALL, ['r1 = map:urb ll', 'r2 = func:+5 ll', 'r3 = 0', 'r4 = 0', 'call 209', 'exit', 'r3 = r1', 'r3 += 8', 'r1 = r10', 'r1 += -8', 'r2 = 8', 'r4 = 0', 'r5 = 0', 'call 201', ...ret(0)], { maps: ['urb'], btf: true }),
    c('user ringbuf callback spills its dynptr', SYSCALL, ['r1 = map:urb ll', 'r2 = func:+5 ll', 'r3 = 0', 'r4 = 0', 'call 209', 'exit', '*(u64 *)(r10 -8) = r1', 'r1 = *(u64 *)(r10 -8)', 'call kfunc:bpf_dynptr_size', ...ret(0)], { maps: ['urb'], btf: true }),
    c('user ringbuf callback slices its dynptr', SYSCALL, ['r1 = map:urb ll', 'r2 = func:+5 ll', 'r3 = 0', 'r4 = 0', 'call 209', 'exit', 'r2 = 0', 'r3 = 0', 'r4 = 4', 'call kfunc:bpf_dynptr_slice', 'if r0 == 0 goto +1', 'r0 = *(u32 *)(r0 +0)', ...ret(0)], { maps: ['urb'], btf: true }),
    // global functions taking a `struct bpf_dynptr *` (a local CONST_PTR_TO_DYNPTR inside)
    c('global func takes a local dynptr', SYSCALL, [...LOOKUP, ...fromMem(-16, 24), 'r1 = r10', 'r1 += -16', 'call pc+1', 'exit', 'call kfunc:bpf_dynptr_size', 'exit'], { maps: A, btf: true }),
    c('global func takes a ringbuf dynptr', SYSCALL, [...reserve(), 'r1 = r10', 'r1 += -16', 'call pc+6', 'r7 = r0', ...discard(), 'r0 = r7', 'exit', 'call kfunc:bpf_dynptr_size', 'exit'], { maps: R, btf: true }),
    c('global func takes an uninit dynptr', SYSCALL, ['r1 = r10', 'r1 += -16', 'call pc+1', 'exit', 'call kfunc:bpf_dynptr_size', 'exit'], { btf: true }),
    c('global func takes a scalar for a dynptr', SYSCALL, ['r1 = 0', 'call pc+1', 'exit', 'call kfunc:bpf_dynptr_size', 'exit'], { btf: true }),
    c('global func takes a map value for a dynptr', SYSCALL, [...LOOKUP, 'r1 = r6', 'call pc+1', 'exit', 'call kfunc:bpf_dynptr_size', 'exit'], { maps: A, btf: true }),
    c('global func takes a misaligned dynptr', SYSCALL, [...LOOKUP, ...fromMem(-16), 'r1 = r10', 'r1 += -12', 'call pc+1', 'exit', 'call kfunc:bpf_dynptr_size', 'exit'], { maps: A, btf: true }),
    c('global func reads its dynptr', SYSCALL, [...LOOKUP, ...fromMem(-16), 'r1 = r10', 'r1 += -16', 'call pc+1', 'exit',
      'r3 = r1', 'r1 = r10', 'r1 += -8', 'r2 = 8', 'r4 = 0', 'r5 = 0', 'call 201', 'r0 = *(u64 *)(r10 -8)', 'exit'], { maps: A, btf: true }),
    c('global func submits its dynptr', SYSCALL, [...reserve(), 'r1 = r10', 'r1 += -16', 'call pc+5', ...discard(), 'exit', 'r2 = 0', 'call 199', ...ret(0)], { maps: R, btf: true }),
    c('global func makes a dynptr over its dynptr', SYSCALL, [...LOOKUP, ...fromMem(-16), 'r1 = r10', 'r1 += -16', 'call pc+1', 'exit',
      'r4 = r1', 'r1 = r10', 'r1 += -8', 'r2 = 8', 'r3 = 0', 'call 197', ...ret(0)], { maps: A, btf: true }),
    c('global func clones its dynptr', SYSCALL, [...LOOKUP, ...fromMem(-16), 'r1 = r10', 'r1 += -16', 'call pc+1', 'exit',
      'r2 = r10', 'r2 += -16', 'call kfunc:bpf_dynptr_clone', 'r1 = r10', 'r1 += -16', 'call kfunc:bpf_dynptr_size', 'exit'], { maps: A, btf: true }),
    c('global func data slice of its dynptr', SYSCALL, [...LOOKUP, ...fromMem(-16), 'r1 = r10', 'r1 += -16', 'call pc+1', 'exit',
      'r2 = 0', 'r3 = 8', 'call 203', 'if r0 == 0 goto +2', 'r0 = *(u32 *)(r0 +4)', 'exit', ...ret(0)], { maps: A, btf: true }),
  ];
}

const KFUNC = /^call kfunc:(\w+)$/, MAP = /^(r\d) = map:(\w+) ll$/, FUNC = /^(r\d) = func:\+(\d+) ll$/;
const MARK = 0x7ff00000;

/**
 * The case as a progs case of the verifier corpus (the schema `bpfkit corpus replay` reads): the
 * program hex, its maps, map and kfunc relocations, and the test-run inputs.
 */
export function toCorpusCase(c, assemble, encodeProgram) {
  const marks = [];
  const lines = c.text.split('\n').map((l) => {
    let m;
    if ((m = KFUNC.exec(l)) !== null) { marks.push({ kind: 'kfunc', name: m[1] }); return `call ${MARK + marks.length - 1}`; }
    if ((m = MAP.exec(l)) !== null) { marks.push({ kind: 'map', name: m[2] }); return `${m[1]} = ${MARK + marks.length - 1} ll`; }
    if ((m = FUNC.exec(l)) !== null) { marks.push({ kind: 'func', off: Number(m[2]) }); return `${m[1]} = ${MARK + marks.length - 1} ll`; }
    return l;
  });
  const bytes = encodeProgram(assemble(lines.join('\n')));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const mapRelocs = [], btfIdRelocs = [];
  for (let i = 0; i * 8 < bytes.length; i++) {
    const imm = view.getInt32(i * 8 + 4, true);
    const mark = marks[imm - MARK];
    if (mark === undefined || imm < MARK) continue;
    const code = bytes[i * 8];
    if (mark.kind === 'kfunc' && code === 0x85) {
      bytes[i * 8 + 1] = (2 << 4) | (bytes[i * 8 + 1] & 0x0f);
      view.setInt32(i * 8 + 4, 0, true);
      btfIdRelocs.push({ insn_index: i, kind: 'kfunc', name: mark.name, btf_kind: 12 });
    } else if (code === 0x18) {
      bytes[i * 8 + 1] = ((mark.kind === 'map' ? 1 : 4) << 4) | (bytes[i * 8 + 1] & 0x0f);
      view.setInt32(i * 8 + 4, mark.kind === 'map' ? 0 : mark.off, true);
      if (mark.kind === 'map') mapRelocs.push({ insn_index: i, map: mark.name, pseudo: 'BPF_PSEUDO_MAP_FD' });
    }
  }
  const insns = [];
  for (let i = 0; i < bytes.length; i += 8) insns.push(Buffer.from(bytes.subarray(i, i + 8)).toString('hex'));
  let btf = {};
  if (c.btf === true) {
    // func_info: the main program, each bpf-to-bpf call target (global `g`), each callback (static `cb`).
    const funcs = new Map([[0, BTF_IDS.prog]]);
    for (let i = 0; i < insns.length; i++) {
      const code = bytes[i * 8], src = bytes[i * 8 + 1] >> 4, imm = view.getInt32(i * 8 + 4, true);
      if (code === 0x85 && src === 1) funcs.set(i + imm + 1, BTF_IDS.g);
      if (code === 0x18 && src === 4) funcs.set(i + imm + 1, BTF_IDS.cb);
    }
    const info = [...funcs].sort((a, b) => a[0] - b[0]).map(([at, id]) => {
      const rec = Buffer.alloc(8);
      rec.writeUInt32LE(at, 0);
      rec.writeUInt32LE(id, 4);
      return rec.toString('hex');
    });
    btf = { prog_btf: 'dynptr', func_info_hex: info.join(''), func_info_rec_size: 8 };
  }
  return {
    id: `dynptr/${c.name}`, prog_type: { number: c.progType }, expected_attach_type: null,
    // Syscall programs must be sleepable (BPF_F_SLEEPABLE).
    flags: { prog_flags: c.progType === SYSCALL ? 16 : 0 }, license: 'GPL', log_level: 2,
    insns, maps: c.maps, map_relocs: mapRelocs, btf_id_relocs: btfIdRelocs, ...btf,
    ...(c.runs === undefined ? {} : { test_runs: c.runs.map((d) => ({ data: d })) }),
  };
}
