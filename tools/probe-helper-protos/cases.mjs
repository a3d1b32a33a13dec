// Builds, for every helper some program type without an attach target may call, loads that call it
// with good arguments (where this harness can make them) and with typical bad ones, one argument at a
// time: a scalar where a pointer belongs, NULL, uninitialized stack, too small a buffer, bad sizes,
// a non-GPL license for GPL-only helpers. The argument kinds come from the verifier's prototypes;
// what is right is decided by the kernel (probe.mjs records its answers).
const root = new URL('../../', import.meta.url);
const pkg = (p) => import(new URL(`packages/${p}`, root).href);
const { assemble, encodeProgram } = await pkg('asm/dist/index.js');
const { bpfFuncName } = await pkg('uapi/dist/index.js');
const { helperProto } = await pkg('verifier/dist/verifier/helper-protos.js');
const { measuredHelperTable } = await pkg('verifier/dist/prog-types/helper-table.generated.js');

/** Program types in the order they are tried; the ones needing an attach target (tracing, ext, LSM, struct_ops) are left out. */
const TYPE_ORDER = [1, 3, 6, 2, 5, 17, 7, 8, 13, 14, 16, 9, 10, 11, 12, 19, 20, 21, 22, 23, 24, 30, 31, 32, 15, 18, 25];
const KEYS = TYPE_ORDER.flatMap((t) => Object.keys(measuredHelperTable).filter((k) => k.startsWith(`${String(t)}:`)));
const GET_CURRENT_TASK_BTF = 158, GET_PRANDOM_U32 = 7;
/** Where the context holds `data` and `data_end`, for the program types that read packets directly. */
const SKB_DATA = [76, 80];
const PACKET = { 3: SKB_DATA, 4: SKB_DATA, 6: [0, 4], 8: SKB_DATA, 10: SKB_DATA, 11: SKB_DATA, 12: SKB_DATA, 14: SKB_DATA };
const SYSCALL = 31, F_SLEEPABLE = 16, RDONLY_PROG = 0x80;

const HASH = { type: 1, keySize: 4, valueSize: 8, maxEntries: 4, flags: 0 };
const MAP_FOR = {
  redirect_map: { type: 14, keySize: 4, valueSize: 4, maxEntries: 4, flags: 0 },
  sk_redirect_map: { type: 15, keySize: 4, valueSize: 4, maxEntries: 4, flags: 0 },
  msg_redirect_map: { type: 15, keySize: 4, valueSize: 4, maxEntries: 4, flags: 0 },
  sock_map_update: { type: 15, keySize: 4, valueSize: 4, maxEntries: 4, flags: 0 },
  sk_redirect_hash: { type: 18, keySize: 4, valueSize: 4, maxEntries: 4, flags: 0 },
  msg_redirect_hash: { type: 18, keySize: 4, valueSize: 4, maxEntries: 4, flags: 0 },
  sock_hash_update: { type: 18, keySize: 4, valueSize: 4, maxEntries: 4, flags: 0 },
  sk_select_reuseport: { type: 20, keySize: 4, valueSize: 4, maxEntries: 4, flags: 0 },
  perf_event_read: { type: 4, keySize: 4, valueSize: 4, maxEntries: 4, flags: 0 },
  perf_event_read_value: { type: 4, keySize: 4, valueSize: 4, maxEntries: 4, flags: 0 },
  perf_event_output: { type: 4, keySize: 4, valueSize: 4, maxEntries: 4, flags: 0 },
  skb_under_cgroup: { type: 8, keySize: 4, valueSize: 4, maxEntries: 4, flags: 0 },
  current_task_under_cgroup: { type: 8, keySize: 4, valueSize: 4, maxEntries: 4, flags: 0 },
  map_push_elem: { type: 22, keySize: 0, valueSize: 8, maxEntries: 4, flags: 0 },
  map_pop_elem: { type: 22, keySize: 0, valueSize: 8, maxEntries: 4, flags: 0 },
  map_peek_elem: { type: 22, keySize: 0, valueSize: 8, maxEntries: 4, flags: 0 },
  map_lookup_percpu_elem: { type: 5, keySize: 4, valueSize: 8, maxEntries: 4, flags: 0 },
  ringbuf_query: { type: 27, keySize: 0, valueSize: 0, maxEntries: 4096, flags: 0 },
  ringbuf_output: { type: 27, keySize: 0, valueSize: 0, maxEntries: 4096, flags: 0 },
  ringbuf_reserve_dynptr: { type: 27, keySize: 0, valueSize: 0, maxEntries: 4096, flags: 0 },
  tail_call: { type: 3, keySize: 4, valueSize: 4, maxEntries: 4, flags: 0 },
  get_stackid: { type: 7, keySize: 4, valueSize: 64, maxEntries: 4, flags: 0 },
};
/** Helpers whose map needs BTF or a callback this harness does not make. */
const SKIP_GOOD = new Set(['inode_storage_get', 'inode_storage_delete', 'task_storage_get', 'task_storage_delete', 'cgrp_storage_get',
  'cgrp_storage_delete', 'sk_storage_get', 'sk_storage_delete', 'get_local_storage', 'user_ringbuf_drain', 'for_each_map_elem', 'loop',
  'ringbuf_reserve', 'ringbuf_submit', 'ringbuf_discard', 'timer_init', 'timer_set_callback', 'timer_start', 'timer_cancel']);
const strMap = (text) => STR_MAPS.get(text) ?? STR_MAPS.set(text, newStrMap(text)).get(text);
const STR_MAPS = new Map();
const newStrMap = (text) => ({ type: 2, keySize: 4, valueSize: 16, maxEntries: 1, flags: RDONLY_PROG, freeze: true,
  value: Buffer.concat([Buffer.from(text, 'latin1'), Buffer.alloc(16)]).subarray(0, 16).toString('hex') });
const CONST_STR = strMap('hello');
/** Formats for bpf_snprintf with the data length passed (bytes of u64 arguments). */
const SNPRINTF_FORMATS = [['%d', 8], ['%d', 0], ['%d %s', 8], ['%d %s', 16], ['%llx %lu', 16], ['%5d', 8], ['%-08x', 8], ['%.2d', 8],
  ['%pK', 8], ['%pI4', 8], ['%pi6', 8], ['%pI5', 8], ['%pB', 8], ['%ps', 8], ['%pks', 8], ['%pus!', 8], ['%sx', 8], ['%s!', 8], ['%c', 8],
  ['%q', 8], ['100%%', 0], ['%', 8], ['a\tb\n', 0], ['\x01', 0], ['caf\xc3\xa9', 0], ['%hd', 8], ['%lld', 8], ['%llld', 8], ['%p', 8],
  ['%pX', 8], ['%p!', 8], ['%d', 4], ['%d', 12], ['%d%d', 8], ['%X%i%u', 24]];
const NO_NUL = strMap('0123456789abcdefXX');
const RDONLY_VALUE = { type: 2, keySize: 4, valueSize: 64, maxEntries: 1, flags: RDONLY_PROG, freeze: true, value: '00'.repeat(64) };
const PROG_ARRAY = { type: 3, keySize: 4, valueSize: 4, maxEntries: 4, flags: 0 };
const WRITABLE_STR = { type: 2, keySize: 4, valueSize: 16, maxEntries: 1, flags: 0 };

const SIZE_KINDS = new Set(['const_size', 'const_size_or_zero']);
const INIT_MEM = new Set(['mem', 'mem_write', 'mem_or_null', 'mem_or_null_write', 'map_key', 'map_value', 'map_value_or_null', 'u32_inout']);
const UNINIT_MEM = new Set(['uninit_mem', 'map_value_uninit', 'long_out']);
const NULLABLE = (k) => k.endsWith('_or_null') || k.startsWith('btf_or_null:') || k === 'ctx_or_null' || k === 'stack_or_null' || k === 'mem_or_null_write';

/** The stack region of argument i: 64 bytes at fp-64*(i+1). */
const region = (i) => -64 * (i + 1);

/** Instructions setting one argument to its good value, or undefined when none can be made here. */
function goodArg(kind, i, ctx) {
  const r = `r${String(i + 1)}`;
  if (kind === 'anything' || kind === 'stack_or_null' || kind === 'const_alloc_size_or_zero') return [`${r} = ${kind === 'const_alloc_size_or_zero' ? 8 : 0}`];
  if (SIZE_KINDS.has(kind)) return [`${r} = 8`];
  if (kind === 'ctx' || kind === 'ctx_or_null') return [`${r} = r6`];
  if (kind === 'map') return [`${r} = map[fd:${String(ctx.mapIdx(ctx.map))}]`];
  if (kind === 'const_str') return [`${r} = map[fd:${String(ctx.mapIdx(CONST_STR))}][0]+0`];
  if (INIT_MEM.has(kind) || kind.startsWith('fixed_mem:')) {
    ctx.init.add(i);
    return [`${r} = r10`, `${r} += ${String(region(i))}`];
  }
  if (UNINIT_MEM.has(kind)) return [`${r} = r10`, `${r} += ${String(region(i))}`];
  // A trusted task (bpf_get_current_task_btf's, kept in r7) where the program type may get one.
  if ((kind === 'btf:task_struct' || kind === 'btf_or_null:task_struct') && ctx.canGetTask) {
    ctx.task = true;
    return [`${r} = r7`];
  }
  if (NULLABLE(kind)) return [`${r} = 0`];
  return undefined;
}

/** Bad values for one argument: [variant, instructions, extra maps used]. */
function badArgs(kind, i) {
  const r = `r${String(i + 1)}`;
  const out = [];
  if (kind === 'anything' || kind === 'const_alloc_size_or_zero') return out;
  if (SIZE_KINDS.has(kind)) {
    // A random size (bpf_get_prandom_u32's, spilled at fp-512): unbounded, any u32, masked to [0,7], or [1,8].
    const random = (more) => (c) => (c.canRandom ? ((c.random = true), [`${r} = *(u64 *)(r10 -512)`, ...more]) : undefined);
    out.push(['size-unbounded', random([])], ['size-u32', random([`${r} <<= 32`, `${r} >>= 32`])], ['size-0-to-7', random([`${r} &= 7`])],
      ['size-1-to-8', random([`${r} &= 7`, `${r} += 1`])]);
    out.push(['size-negative', [`${r} = -1`]], ['size-too-big', [`${r} = 1000`]]);
    if (kind === 'const_size') out.push(['size-zero', [`${r} = 0`]]);
    return out;
  }
  out.push(['scalar', [`${r} = 1`]]);
  if (!NULLABLE(kind)) out.push(['null', [`${r} = 0`]]);
  if (kind !== 'ctx' && kind !== 'ctx_or_null') out.push(['ctx', [`${r} = r6`]]);
  if (INIT_MEM.has(kind) || kind.startsWith('fixed_mem:')) {
    out.push(['uninit-stack', [`${r} = r10`, `${r} += ${String(region(i))}`], { uninit: i }]);
    out.push(['small-buffer', [`${r} = r10`, `${r} += -4`]]);
  }
  // The value of a frozen read-only array map: only for memory the helper reads.
  if (INIT_MEM.has(kind) || UNINIT_MEM.has(kind) || kind.startsWith('fixed_mem:')) {
    out.push(['rdonly-map-value', (c) => [`${r} = map[fd:${String(c.mapIdx(RDONLY_VALUE))}][0]+0`]]);
  }
  // 64 bytes of packet, proven in range, where the program type reads packets directly (pkt_access decides).
  if (INIT_MEM.has(kind) || UNINIT_MEM.has(kind) || kind.startsWith('fixed_mem:')) {
    out.push(['packet', (c) => (c.packet === undefined ? undefined : ((c.usePacket = true), [`${r} = r8`]))]);
  }
  if (UNINIT_MEM.has(kind)) out.push(['small-buffer', [`${r} = r10`, `${r} += -4`]], ['misaligned', [`${r} = r10`, `${r} += ${String(region(i) + 4)}`]]);
  if (kind === 'map') out.push(['wrong-map', (c) => [`${r} = map[fd:${String(c.mapIdx(c.map.type === 3 ? HASH : PROG_ARRAY))}]`]]);
  if (kind === 'const_str') {
    out.push(['not-rdonly', (c) => [`${r} = map[fd:${String(c.mapIdx(WRITABLE_STR))}][0]+0`]]);
    out.push(['no-nul', (c) => [`${r} = map[fd:${String(c.mapIdx(NO_NUL))}][0]+0`]]);
  }
  if (kind.startsWith('btf') || kind.startsWith('dynptr') || kind.includes('sock') || kind === 'func') {
    out.push(['stack', [`${r} = r10`, `${r} += ${String(region(i))}`]]);
  }
  // A trusted task_struct where another struct (or no BTF pointer at all) is expected, and one moved off its start.
  if (kind !== 'btf:task_struct' && kind !== 'btf_or_null:task_struct') out.push(['task', (c) => (c.canGetTask ? ((c.task = true), [`${r} = r7`]) : undefined)]);
  else out.push(['task-offset', (c) => (c.canGetTask ? ((c.task = true), [`${r} = r7`, `${r} += 8`]) : undefined)]);
  return out;
}

function program(setup, args, id) {
  const lines = ['r6 = r1', ...setup, ...args.flat(), `call ${String(id)}`, 'out:', 'r0 = 0', 'exit'];
  return Buffer.from(encodeProgram(assemble(lines.join('\n')))).toString('hex');
}

// Programs attached to a kernel function (fentry/fexit, LSM) are left out: this kernel refuses every
// such load before the verifier (EPERM: no ftrace trampolines, BPF LSM not enabled at boot).

/** Every case, in a stable order. */
export function helperCases() {
  const cases = [];
  for (let id = 1; id < 212; id++) {
    const key = KEYS.find((k) => measuredHelperTable[k]?.full.includes(id));
    if (key !== undefined) helperCasesIn(cases, id, key);
    // Packet arguments where the first program type has no direct packet access: in tc or XDP.
    const pktKey = ['3:0', '6:37'].find((k) => measuredHelperTable[k]?.full.includes(id));
    if (key !== undefined && PACKET[Number(key.split(':')[0])] === undefined && pktKey !== undefined) helperCasesIn(cases, id, pktKey, 'packet');
  }
  return cases;
}

/** The cases of one helper in the program type `key`; with `only`, just the bad-argument variants of that name. */
function helperCasesIn(cases, id, key, only) {
  {
    const name = bpfFuncName(id);
    if (name === undefined) return;
    const [progType, attachType] = key.split(':').map(Number);
    const proto = helperProto(id, progType);
    const base = { helper: id, progType, attachType, progFlags: progType === SYSCALL ? F_SLEEPABLE : 0, license: 'GPL' };
    if (proto === undefined && only !== undefined) return;
    if (proto === undefined) {
      // The table lets the type call it, but the verifier has no prototype: the kernel's answer is recorded all the same.
      const zeros = ['r1 = 0', 'r2 = 0', 'r3 = 0', 'r4 = 0', 'r5 = 0'];
      cases.push({ name: `bpf_${name}#${String(id)} no-prototype`, ...base, maps: [], insns: program([], zeros, id) });
      return;
    }
    /** `bad` replaces argument `badAt` ([variant, lines or (ctx) => lines, meta]); `extra` sets more arguments (index -> (ctx) => lines). */
    const build = (variant, badAt, bad, license = 'GPL', extra = {}, caps = undefined) => {
      const maps = [];
      const ctx = { map: MAP_FOR[name] ?? HASH, init: new Set(), mapIdx: (m) => (maps.includes(m) ? maps.indexOf(m) : maps.push(m) - 1),
        canGetTask: measuredHelperTable[key].full.includes(GET_CURRENT_TASK_BTF), task: false, packet: PACKET[progType], usePacket: false,
        canRandom: measuredHelperTable[key].full.includes(GET_PRANDOM_U32), random: false };
      const args = [];
      for (let i = 0; i < proto.args.length; i++) {
        if (i === badAt) {
          const lines = typeof bad[1] === 'function' ? bad[1](ctx) : bad[1];
          if (lines === undefined) return undefined;
          args.push(lines);
          continue;
        }
        if (extra[i] !== undefined) {
          args.push(extra[i](ctx));
          continue;
        }
        const good = goodArg(proto.args[i], i, ctx);
        if (good === undefined) return undefined;
        args.push(good);
      }
      if (bad?.[2]?.uninit !== undefined) ctx.init.delete(bad[2].uninit);
      const setup = [...ctx.init].flatMap((i) => Array.from({ length: 8 }, (_, k) => `*(u64 *)(r10 ${String(region(i) + 8 * k)}) = 0`));
      if (variant === 'small-buffer') setup.push('*(u32 *)(r10 -4) = 0');
      if (ctx.task) setup.unshift(`call ${String(GET_CURRENT_TASK_BTF)}`, 'r7 = r0');
      if (ctx.random) setup.unshift(`call ${String(GET_PRANDOM_U32)}`, '*(u64 *)(r10 -512) = r0');
      if (ctx.usePacket) {
        const [data, end] = ctx.packet;
        setup.push(`r8 = *(u32 *)(r6 +${String(data)})`, `r9 = *(u32 *)(r6 +${String(end)})`, 'r0 = r8', 'r0 += 64', 'if r0 > r9 goto out');
      }
      const where = only === undefined ? '' : ` (${key})`;
      const capsNote = caps === undefined ? '' : ` (${caps})`;
      return { name: `bpf_${name}#${String(id)}${where}${capsNote} ${variant}`, ...base, license, maps, insns: program(setup, args, id),
        ...(ctx.task ? { kernelBtf: true } : {}), ...(caps === undefined ? {} : { caps }) };
    };
    const push = (c) => { if (c !== undefined && (only === undefined || c.name.endsWith(`-${only}`))) cases.push(c); };
    if (!SKIP_GOOD.has(name)) {
      push(build('good', -1, undefined));
    }
    // The GPL check comes before the arguments': where no good call can be made, zeros do.
    const zeros = () => proto.args.map((_, i) => [`r${String(i + 1)} = 0`]);
    push(build('non-gpl', -1, undefined, 'MIT') ?? { name: `bpf_${name}#${String(id)} non-gpl`, ...base, license: 'MIT', maps: [],
      insns: program([], zeros(), id) });
    if (name === 'snprintf') {
      for (const [fmt, len] of SNPRINTF_FORMATS) {
        const fmtArg = (c) => [`r3 = map[fd:${String(c.mapIdx(strMap(fmt)))}][0]+0`];
        push(build(`format ${JSON.stringify(fmt)} data ${String(len)}`, -1, undefined, 'GPL', { 2: fmtArg, 4: () => [`r5 = ${String(len)}`] }));
      }
    }
    proto.args.forEach((kind, i) => {
      for (const bad of badArgs(kind, i)) push(build(`arg${String(i + 1)}-${bad[0]}`, i, bad));
    });
    // Without CAP_PERFMON (CAP_BPF kept): no pointer into a plain argument, no uninitialized stack to read.
    if (only === undefined && measuredHelperTable[key].noPerfmon?.includes(id) === true) {
      const np = 'no-perfmon';
      if (!SKIP_GOOD.has(name)) push(build('good', -1, undefined, 'GPL', {}, np));
      proto.args.forEach((kind, i) => {
        const r = `r${String(i + 1)}`;
        if (kind === 'anything') push(build(`arg${String(i + 1)}-stack-pointer`, i, ['', [`${r} = r10`]], 'GPL', {}, np));
        if (INIT_MEM.has(kind) || kind.startsWith('fixed_mem:')) {
          push(build(`arg${String(i + 1)}-uninit-stack`, i, ['', [`${r} = r10`, `${r} += ${String(region(i))}`], { uninit: i }], 'GPL', {}, np));
        }
      });
    }
  }
}
