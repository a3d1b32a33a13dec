import test from 'ava';
import type { HelperEnv } from '@bpfkit/kernel-api';
import { createVmArena } from '@bpfkit/memory';
import { bpfFuncId, Errno } from '@bpfkit/uapi';
import { createHelperRegistry } from '@bpfkit/vm';
import { callHelper, makeNoopHelperEnv, makeNoopServices } from '@bpfkit/vm/testing';

const helpers = createHelperRegistry();
const h = (name: string) => {
  const d = helpers.get(bpfFuncId(name) ?? -1);
  if (d === undefined) throw new Error(`no helper ${name}`);
  return d;
};

function setup(): { env: HelperEnv; lines: string[]; str: (s: string) => number } {
  const lines: string[] = [];
  const arena = createVmArena({ initialBytes: 1 << 20, wasm: false });
  const env = makeNoopHelperEnv({ arena, services: makeNoopServices({ trace: (l) => lines.push(l) }) });
  const str = (s: string): number => {
    const b = new TextEncoder().encode(s);
    const addr = arena.alloc(b.length + 1);
    arena.bytes.set(b, addr);
    return addr;
  };
  return { env, lines, str };
}

/** trace_printk(fmt, args…): r0 and the trace line. */
function printk(fmt: string, ...args: (number | bigint)[]): [bigint, string | undefined] {
  const { env, lines, str } = setup();
  const r0 = callHelper(h('trace_printk'), env, str(fmt), fmt.length + 1, ...args);
  return [r0, lines[0]];
}

test('trace_printk formats %d %u %x with 32-bit arguments and appends the line to the trace', (t) => {
  t.deepEqual(printk('pid %d uid %u mask %x\n', -1, -1, 0x1_0000_00ffn), [30n, 'pid -1 uid 4294967295 mask ff\n']);
});

test('trace_printk %ld %llu %lx take the whole 64-bit argument', (t) => {
  t.deepEqual(printk('%ld %llu %lx', -2n, -1n, 0x1234_5678_9abc_def0n), [40n, '-2 18446744073709551615 123456789abcdef0']);
});

test('trace_printk supports %i, %X, %c, %%, flags and a width', (t) => {
  t.deepEqual(printk('%i|%04X|%c%%', -7, 0xab, 0x41)[1], '-7|00AB|A%');
  t.deepEqual(printk('[%-4d][%+d][% d]', 5, 5, 5)[1], '[5   ][+5][ 5]');
});

test('trace_printk %s reads a string from the arena; unreadable memory prints nothing', (t) => {
  const { env, lines, str } = setup();
  const name = str('eth0');
  const fmt = 'dev=%s bad=%s.';
  t.is(callHelper(h('trace_printk'), env, str(fmt), fmt.length + 1, name, 8), 14n);
  t.deepEqual(lines, ['dev=eth0 bad=.']);
});

test('trace_printk %pI4 and %pi6 print addresses read from the arena', (t) => {
  const { env, lines, str } = setup();
  const ip = env.arena.alloc(16);
  env.arena.bytes.set([10, 0, 0, 1], ip);
  const fmt = '%pI4 %pi4 %pI6';
  callHelper(h('trace_printk'), env, str(fmt), fmt.length + 1, ip, ip, ip);
  t.deepEqual(lines, ['10.0.0.1 010.000.000.001 0a00:0001:0000:0000:0000:0000:0000:0000']);
});

test('trace_printk refuses more than three conversions, unknown ones and non-printable bytes with -EINVAL', (t) => {
  t.deepEqual(printk('%d %d %d %d', 1, 2, 3), [BigInt(-Errno.EINVAL), undefined]);
  t.deepEqual(printk('%hd', 1), [BigInt(-Errno.EINVAL), undefined]);
  t.deepEqual(printk('%.2d', 1), [BigInt(-Errno.EINVAL), undefined]);
  t.deepEqual(printk('bell\x07'), [BigInt(-Errno.EINVAL), undefined]);
});

test('trace_printk needs the NUL within fmt_size', (t) => {
  const { env, str } = setup();
  t.is(callHelper(h('trace_printk'), env, str('abc'), 3), BigInt(-Errno.EINVAL));
  t.is(callHelper(h('trace_printk'), env, str('abc'), 0), BigInt(-Errno.EINVAL));
});

/** snprintf(out, size, fmt, args as u64s): r0 and the output bytes up to the first NUL. */
function snprintf(fmt: string, size: number, ...args: bigint[]): [bigint, string] {
  const { env, str } = setup();
  const out = env.arena.alloc(Math.max(size, 1) + 8);
  env.arena.bytes.fill(0xee, out, out + size + 8);
  const data = env.arena.alloc(Math.max(8, args.length * 8));
  args.forEach((a, i) => {
    env.arena.view.setBigUint64(data + 8 * i, BigInt.asUintN(64, a), true);
  });
  const r0 = callHelper(h('snprintf'), env, out, size, str(fmt), args.length === 0 ? 0 : data, args.length * 8);
  const bytes = env.arena.bytes.subarray(out, out + size);
  const nul = bytes.indexOf(0);
  return [r0, Buffer.from(nul < 0 ? bytes : bytes.subarray(0, nul)).toString('latin1')];
}

test('snprintf returns the length needed including the NUL and always terminates', (t) => {
  t.deepEqual(snprintf('a=%d b=%u', 64, -5n, -5n), [18n, 'a=-5 b=4294967291']);
  t.deepEqual(snprintf('long text that is longer than the buffer', 8), [41n, 'long te']);
});

test('snprintf takes up to twelve u64 arguments; data_len must be a multiple of 8 and at most 96', (t) => {
  t.deepEqual(snprintf('%d%d%d%d%d%d%d%d%d%d%d%d', 64, ...Array.from({ length: 12 }, (_, i) => BigInt(i % 10))), [13n, '012345678901']);
  const { env, str } = setup();
  const out = env.arena.alloc(16);
  const data = env.arena.alloc(128);
  t.is(callHelper(h('snprintf'), env, out, 16, str('%d'), data, 4), BigInt(-Errno.EINVAL));
  t.is(callHelper(h('snprintf'), env, out, 16, str('%d'), data, 104), BigInt(-Errno.EINVAL));
});

test('snprintf %p prints the raw value as 16 hex digits, %pI4 of unreadable memory zeros', (t) => {
  t.deepEqual(snprintf('%px', 64, 0x1234n), [17n, '0000000000001234']);
  t.deepEqual(snprintf('%pI4', 64, 0n), [8n, '0.0.0.0']);
});
