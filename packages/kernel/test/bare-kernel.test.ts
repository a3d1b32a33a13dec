import test from 'ava';
import { parseBtf } from '@bpfkit/btf';
import { createBpfFs } from '@bpfkit/bpffs';
import { createCapabilityChecker } from '@bpfkit/caps';
import { createKernel, type BtfLoader } from '@bpfkit/kernel';
import { createSecurityStack } from '@bpfkit/lsm';
import { createMapTypes } from '@bpfkit/maps';
import { createTokenService } from '@bpfkit/token';
import { createUserNamespaces } from '@bpfkit/userns';
import { createProgTypes, createVerifier } from '@bpfkit/verifier';
import { BpfCmd, BpfProgType, encodeAttrGroup } from '@bpfkit/uapi';
import { arrayMap, errnoOf, insn, loadProg, lookup, u32 } from './bpf-calls.js';

/** A kernel wired with every subsystem but the run-time parts (no arena, engine, helpers or test runs). */
function bareKernel(): ReturnType<typeof createKernel> {
  const security = createSecurityStack([]);
  const capabilities = createCapabilityChecker({ lsm: security });
  const userNamespaces = createUserNamespaces({ capabilities });
  const progs = createProgTypes();
  const btf: BtfLoader = {
    load(data, log) {
      const parsed = parseBtf(data, { logLevel: log.level, ...(log.level === 0 ? {} : { logSize: log.size }) });
      return { log: parsed.log, logTrueSize: parsed.logTrueSize, btf: parsed };
    },
  };
  return createKernel({
    userNamespaces,
    capabilities,
    security,
    token: createTokenService({ capabilities, lsm: security, userNamespaces }),
    bpffs: createBpfFs({ userNamespaces, capabilities }),
    maps: createMapTypes({ possibleCpus: 2 }),
    progs,
    verifier: createVerifier({ progTypes: progs }),
    btf,
    cpus: 2,
  });
}

test('without an arena, maps are created but their element commands are ENOTSUPP', (t) => {
  const k = bareKernel();
  const fd = arrayMap(k.init);
  t.is(errnoOf(() => lookup(k.init, fd, u32(0))), 'ENOTSUPP');
});

test('without an engine and a test-run service, programs load but PROG_TEST_RUN is ENOTSUPP', (t) => {
  const k = bareKernel();
  const prog = loadProg(k.init, BpfProgType.BPF_PROG_TYPE_XDP, [...insn(0xb7, 0, 0, 0, 2), ...insn(0x95, 0, 0, 0, 0)]);
  const attr = encodeAttrGroup('test', { prog_fd: prog, data_in: k.init.memory.alloc(64), data_size_in: 64, repeat: 1 });
  t.is(errnoOf(() => k.init.bpf(BpfCmd.BPF_PROG_TEST_RUN, attr)), 'ENOTSUPP');
  t.is(k.counts().arenaBytes, undefined);
});
