import { BpfError } from '@bpfkit/kernel-api';
import type { StructOpsDef } from './struct-ops.js';

const notSupported = (what: string): never => {
  throw new BpfError('EOPNOTSUPP', 'struct-ops:dummy-ops', `bpf_dummy_ops ${what} is not supported (it exists for BPF_PROG_TEST_RUN)`);
};

/**
 * `bpf_bpf_dummy_ops` (net/bpf/bpf_dummy_struct_ops.c) as 6.18 registers it: programs for
 * each of its callbacks load (for BPF_PROG_TEST_RUN), only `test_sleepable` may be sleepable
 * (`check_member`); a map of it cannot be filled (`init_member`) or registered (`reg`): EOPNOTSUPP.
 *
 * @example
 * BPF_DUMMY_OPS.checkMember?.('test_1', true); // 'EINVAL'
 */
export const BPF_DUMMY_OPS: StructOpsDef = {
  name: 'bpf_dummy_ops',
  unsupported: [],
  checkMember: (member, sleepable) => (sleepable && member !== 'test_sleepable' ? 'EINVAL' : undefined),
  initMember: () => notSupported('init_member'),
  validate: () => undefined,
  reg: () => notSupported('reg'),
  unreg: () => undefined,
};
