// createDefaultKernel: one subsystem swapped in one line, the others wired around it as usual;
// every documented option takes effect.
import test from 'ava';
import { BpfError, isBpfError, type Kernel, type MapTypeRegistry, type TokenService } from '@bpfkit/kernel-api';
import { seededRandom } from '@bpfkit/kernel';
import { createDefaultKernel } from '@bpfkit/kernel/defaults';
import { createMapTypes } from '@bpfkit/maps';
import { createVmArena } from '@bpfkit/memory';
import { createTokenService } from '@bpfkit/token';
import { makeNoopVerifier } from '@bpfkit/verifier/testing';
import { BpfCmd, BpfMapType, encodeAttr, encodeProgLoadAttr } from '@bpfkit/uapi';
import { container, delegated, mapAttr, tokenAttr } from './helpers.js';

const EXIT_0 = Uint8Array.from(Buffer.from('b7000000000000009500000000000000', 'hex'));
/** `r0 = *(u64 *)(r1 + 0); exit`: a socket filter's context read the verifier refuses (EACCES). */
const BAD_CTX_READ = Uint8Array.from(Buffer.from('79100000000000009500000000000000', 'hex'));

function load(kernel: Kernel, insns: Uint8Array): number | string {
  const sys = kernel.init;
  const attr = encodeProgLoadAttr({
    prog_type: 1, insns: sys.memory.alloc(insns), insn_cnt: insns.length / 8, license: sys.memory.alloc(Buffer.from('GPL\0')),
  });
  try {
    return sys.bpf(BpfCmd.BPF_PROG_LOAD, attr);
  } catch (e) {
    if (isBpfError(e)) return e.code;
    throw e;
  }
}

const errnoOf = (f: () => unknown): string | undefined => {
  try {
    f();
    return undefined;
  } catch (e) {
    return isBpfError(e) ? e.code : 'not a BpfError';
  }
};

test('the verifier is replaced in one line: a no-op verifier lets through a program ours refuses', (t) => {
  t.is(load(createDefaultKernel(), BAD_CTX_READ), 'EACCES');
  t.is(typeof load(createDefaultKernel({ overrides: { verifier: makeNoopVerifier() } }), BAD_CTX_READ), 'number');
});

test('a verifier factory gets the program types the kernel checks the load against', (t) => {
  let seen: number | undefined;
  const kernel = createDefaultKernel({
    overrides: {
      verifier: ({ progTypes }) => makeNoopVerifier({
        verify: (req) => {
          seen = progTypes.get(req.progType)?.type;
          throw new BpfError('EPERM', 'test:refused', 'refused by the replacement');
        },
      }),
    },
  });
  t.is(load(kernel, EXIT_0), 'EPERM');
  t.is(seen, 1);
});

test('the map types are replaced: without a hash type, BPF_MAP_CREATE of a hash is EINVAL and arrays still work', (t) => {
  const real = createMapTypes({ possibleCpus: 2, arena: createVmArena(), random: seededRandom(0) });
  const noHash: MapTypeRegistry = {
    get: (type) => (type === BpfMapType.BPF_MAP_TYPE_HASH ? undefined : real.get(type)),
    offload: real.offload,
    all: () => real.all().filter((m) => m.type !== BpfMapType.BPF_MAP_TYPE_HASH),
  };
  const kernel = createDefaultKernel({ overrides: { maps: noHash } });
  t.is(errnoOf(() => kernel.init.bpf(BpfCmd.BPF_MAP_CREATE, mapAttr(BpfMapType.BPF_MAP_TYPE_HASH))), 'EINVAL');
  t.true(kernel.init.bpf(BpfCmd.BPF_MAP_CREATE, mapAttr(BpfMapType.BPF_MAP_TYPE_ARRAY)) >= 0);
  t.true(createDefaultKernel().init.bpf(BpfCmd.BPF_MAP_CREATE, mapAttr(BpfMapType.BPF_MAP_TYPE_HASH)) >= 0);
});

test('the token service is replaced by a factory that wraps the real one around the same core subsystems', (t) => {
  let created = 0;
  const kernel = createDefaultKernel({
    overrides: {
      token: ({ capabilities, security, userNamespaces }): TokenService => {
        const real = createTokenService({ capabilities, lsm: security, userNamespaces });
        return { ...real, create: (...args) => { created++; return real.create(...args); } };
      },
    },
  });
  const child = container(kernel);
  const root = delegated(kernel, child, { cmds: 'any' });
  t.true(child.bpf(BpfCmd.BPF_TOKEN_CREATE, tokenAttr(root)) >= 0);
  t.is(created, 1);
});

test('an unknown override is a TypeError', (t) => {
  t.throws(() => createDefaultKernel({ overrides: { verfier: makeNoopVerifier() } as never }), { instanceOf: TypeError, message: /unknown override verfier/ });
});

test('cpus takes effect: the possible CPUs file and the per-CPU value size', (t) => {
  const kernel = createDefaultKernel({ cpus: 4 });
  const sys = kernel.init;
  t.is(sys.readFile('/sys/devices/system/cpu/possible'), '0-3\n');
  t.is(createDefaultKernel({ cpus: 1 }).init.readFile('/sys/devices/system/cpu/possible'), '0\n');
  const fd = sys.bpf(BpfCmd.BPF_MAP_CREATE, mapAttr(BpfMapType.BPF_MAP_TYPE_PERCPU_ARRAY));
  const key = sys.memory.alloc(new Uint8Array(4));
  const value = sys.memory.alloc(new Uint8Array(8 * 4));
  sys.bpf(BpfCmd.BPF_MAP_LOOKUP_ELEM, encodeAttr(BpfCmd.BPF_MAP_LOOKUP_ELEM, { map_fd: fd, key, value, flags: 0n }));
  t.deepEqual([...sys.memory.read(value, 8 * 4)], new Array<number>(32).fill(0));
});
