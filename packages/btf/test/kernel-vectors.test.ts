import test from 'ava';
import { parseBtf } from '@bpfkit/btf';
import { isBpfError } from '@bpfkit/kernel-api';
import { fixture, hex } from './helpers.js';

// Vectors measured with BPF_BTF_LOAD on Linux 6.18 (see fixtures/kernel-btf-load.json):
// same errno, and the same verifier log byte for byte.

interface Crafted {
  name: string;
  hex: string;
  logLevel: number;
  logSize: number;
  errno: number;
  log: string;
  logTrueSize: number;
}
interface Mutated {
  name: string;
  hex: string;
  errno: number;
  logTail: string;
  logTrueSize: number;
}
const vectors = fixture('kernel-btf-load.json') as { crafted: Crafted[]; mutated: Mutated[] };

function load(bytes: Uint8Array, logLevel: number, logSize: number | undefined): { errno: number; log: string; trueSize: number; message: string } {
  try {
    const btf = parseBtf(bytes, { logLevel, ...(logSize === undefined ? {} : { logSize }) });
    return { errno: 0, log: btf.log, trueSize: btf.logTrueSize, message: '' };
  } catch (e) {
    if (!isBpfError(e)) throw e;
    return { errno: e.errno, log: e.log ?? '', trueSize: -1, message: e.message };
  }
}

for (const v of vectors.crafted) {
  test(`kernel: ${v.name}`, (t) => {
    const r = load(hex(v.hex), v.logLevel, v.logSize);
    t.is(r.errno, v.errno);
    if (v.logSize !== 0) t.is(r.log, v.log);
    if (r.errno === 0) t.is(r.trueSize, v.logTrueSize);
    if (v.errno !== 0 && v.errno !== 28 && v.logLevel !== 0) {
      // The message is the failing line; member/secinfo lines come with their type's line.
      const last = v.log.trimEnd().split('\n').at(-1)?.trim() ?? '';
      t.true(r.message.endsWith(last), `${r.message} vs ${last}`);
    }
  });
}

test('kernel: mutated corpus blobs give the same errno and log', (t) => {
  for (const v of vectors.mutated) {
    const r = load(hex(v.hex), 1, 1 << 20);
    t.is(r.errno, v.errno, v.name);
    t.true(r.log.endsWith(v.logTail), v.name);
    if (r.errno === 0) t.is(r.trueSize, v.logTrueSize, v.name);
  }
});

test('errors carry the kernel line as message and the log at level 1', (t) => {
  const v = vectors.crafted.find((x) => x.name === 'struct: member exceeds size');
  if (v === undefined) return t.fail();
  const e = t.throws(() => parseBtf(hex(v.hex), { logLevel: 1 }));
  t.true(isBpfError(e, 'EINVAL'));
  t.is(e?.message, '[2] STRUCT foo size=4 vlen=1 a type_id=1 bits_offset=8 Member exceeds struct_size');
  t.is((e as { log?: string } | undefined)?.log, v.log);
  const e0 = t.throws(() => parseBtf(hex(v.hex)));
  t.is(e0?.message, e?.message, 'the message does not need a log level');
  t.is((e0 as { log?: string } | undefined)?.log, '');
});
