import test from 'ava';
import { createVmArena } from '@bpfkit/memory';
import { bpfFuncId, Errno } from '@bpfkit/uapi';
import { createHelperRegistry } from '@bpfkit/vm';
import { callHelper, makeNoopHelperEnv } from '@bpfkit/vm/testing';

const helpers = createHelperRegistry();
const h = (name: string) => {
  const d = helpers.get(bpfFuncId(name) ?? -1);
  if (d === undefined) throw new Error(`no helper ${name}`);
  return d;
};

/** strtol/strtoul of `text` (its first `len` bytes): [r0, *res as a signed bigint or undefined when untouched]. */
function strto(name: 'strtol' | 'strtoul', text: string, len: number, base: number): [bigint, bigint | undefined] {
  const env = makeNoopHelperEnv({ arena: createVmArena({ initialBytes: 1 << 20, wasm: false }) });
  const bytes = new TextEncoder().encode(text);
  const buf = env.arena.alloc(Math.max(bytes.length, 1));
  env.arena.bytes.set(bytes, buf);
  const res = env.arena.alloc(8);
  env.arena.view.setBigUint64(res, 0xeeee_eeee_eeee_eeeen, true);
  const r0 = callHelper(h(name), env, buf, len, base, res);
  const v = env.arena.view.getBigInt64(res, true);
  return [r0, v === BigInt.asIntN(64, 0xeeee_eeee_eeee_eeeen) ? undefined : v];
}

test('strtol parses in the given base and returns the characters consumed', (t) => {
  t.deepEqual(strto('strtol', '123', 3, 10), [3n, 123n]);
  t.deepEqual(strto('strtol', '1234', 2, 10), [2n, 12n]);
});

test('strtol skips leading whitespace and takes one minus sign', (t) => {
  t.deepEqual(strto('strtol', '  -42xyz', 8, 0), [5n, -42n]);
});

test('base 0 picks 16 for 0x, 8 for a leading 0, else 10', (t) => {
  t.deepEqual(strto('strtol', '0x1f', 4, 0), [4n, 31n]);
  t.deepEqual(strto('strtol', '017', 3, 0), [3n, 15n]);
  t.deepEqual(strto('strtol', '0x', 2, 0), [1n, 0n]);
  t.deepEqual(strto('strtol', '0xg', 3, 0), [1n, 0n]);
});

test('base 16 skips a 0x prefix even with nothing after it (then no digits: -EINVAL)', (t) => {
  t.deepEqual(strto('strtol', '0x1f', 4, 16), [4n, 31n]);
  t.deepEqual(strto('strtol', '0x', 2, 16), [BigInt(-Errno.EINVAL), undefined]);
});

test('bases other than 0, 8, 10 and 16, and flags above the base bits, are -EINVAL', (t) => {
  t.deepEqual(strto('strtol', '12', 2, 3), [BigInt(-Errno.EINVAL), undefined]);
  t.deepEqual(strto('strtol', '12', 2, 32), [BigInt(-Errno.EINVAL), undefined]);
});

test('no digits is -EINVAL', (t) => {
  t.deepEqual(strto('strtol', '-', 1, 10), [BigInt(-Errno.EINVAL), undefined]);
  t.deepEqual(strto('strtol', '', 1, 10), [BigInt(-Errno.EINVAL), undefined]);
});

test('strtol gives -ERANGE outside s64, strtoul outside u64', (t) => {
  t.deepEqual(strto('strtol', '9223372036854775807', 19, 10), [19n, 9223372036854775807n]);
  t.deepEqual(strto('strtol', '9223372036854775808', 19, 10), [BigInt(-Errno.ERANGE), undefined]);
  t.deepEqual(strto('strtol', '-9223372036854775808', 20, 10), [20n, -9223372036854775808n]);
  t.deepEqual(strto('strtol', '-9223372036854775809', 20, 10), [BigInt(-Errno.ERANGE), undefined]);
  t.deepEqual(strto('strtoul', '18446744073709551615', 20, 10), [20n, -1n]);
  t.deepEqual(strto('strtoul', '18446744073709551616', 20, 10), [BigInt(-Errno.ERANGE), undefined]);
});

test('strtoul refuses a minus sign with -EINVAL', (t) => {
  t.deepEqual(strto('strtoul', '-1', 2, 10), [BigInt(-Errno.EINVAL), undefined]);
});

test('strncmp compares at most n bytes and returns -1, 0 or 1', (t) => {
  const env = makeNoopHelperEnv({ arena: createVmArena({ initialBytes: 1 << 20, wasm: false }) });
  const put = (s: string): number => {
    const a = env.arena.alloc(s.length + 1);
    env.arena.bytes.set(new TextEncoder().encode(s), a);
    return a;
  };
  const abc = put('abc');
  t.is(callHelper(h('strncmp'), env, abc, 3, put('abd')), -1n);
  t.is(callHelper(h('strncmp'), env, abc, 2, put('abd')), 0n);
  t.is(callHelper(h('strncmp'), env, abc, 4, put('ab')), 1n);
  t.is(callHelper(h('strncmp'), env, abc, 4, put('abc')), 0n);
});
