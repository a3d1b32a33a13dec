import test from 'ava';
import fc from 'fast-check';
import {
  BPF_ANY,
  BPF_COMPLEXITY_LIMIT_INSNS,
  BPF_EXIST,
  BPF_F_ANY_ALIGNMENT,
  BPF_F_LOCK,
  BPF_F_NO_PREALLOC,
  BPF_F_NO_USER_CONV,
  BPF_F_PREORDER,
  BPF_F_RDONLY_PROG,
  BPF_F_SEGV_ON_FAULT,
  BPF_F_SLEEPABLE,
  BPF_F_STRICT_ALIGNMENT,
  BPF_F_TEST_REG_INVARIANTS,
  BPF_F_TEST_RND_HI32,
  BPF_F_TEST_RUN_ON_CPU,
  BPF_F_TEST_SKB_CHECKSUM_COMPLETE,
  BPF_F_TEST_STATE_FREQ,
  BPF_F_TEST_XDP_LIVE_FRAMES,
  BPF_F_TOKEN_FD,
  BPF_F_VTYPE_BTF_OBJ_FD,
  BPF_F_XDP_DEV_BOUND_ONLY,
  BPF_F_XDP_HAS_FRAGS,
  BPF_LOG_FIXED,
  BPF_LOG_LEVEL1,
  BPF_LOG_LEVEL2,
  BPF_LOG_MASK,
  BPF_LOG_SIZE_MAX,
  BPF_LOG_STATS,
  BPF_MAXINSNS,
  BPF_NOEXIST,
  BPF_OBJ_NAME_LEN,
  BPF_PSEUDO_BTF_ID,
  BPF_PSEUDO_CALL,
  BPF_PSEUDO_FUNC,
  BPF_PSEUDO_KFUNC_CALL,
  BPF_PSEUDO_MAP_FD,
  BPF_PSEUDO_MAP_IDX,
  BPF_PSEUDO_MAP_IDX_VALUE,
  BPF_PSEUDO_MAP_VALUE,
  BPF_TAG_SIZE,
  BpfMapFlag,
  BpfProgLoadFlag,
  CAP_FULL_SET,
  CAP_LAST_CAP,
  Capability,
  capByName,
  capInMask,
  capMask,
  capName,
  capsInMask,
  flagNames,
  formatCapMask,
  parseCapMask,
} from '@bpfkit/uapi';

test('capabilities run from CAP_CHOWN 0 to CAP_CHECKPOINT_RESTORE 40', (t) => {
  t.is(Capability.CAP_CHOWN, 0);
  t.is(Capability.CAP_NET_ADMIN, 12);
  t.is(Capability.CAP_SYS_ADMIN, 21);
  t.is(Capability.CAP_PERFMON, 38);
  t.is(Capability.CAP_BPF, 39);
  t.is(Capability.CAP_CHECKPOINT_RESTORE, 40);
  t.is(CAP_LAST_CAP, 40);
  t.is(Object.keys(Capability).length, 41);
  for (let cap = 0; cap <= CAP_LAST_CAP; cap++) {
    const parsed: number | undefined = capByName(capName(cap) ?? '');
    t.is(parsed, cap);
  }
});

test('capability names parse case-insensitively with CAP_ optional', (t) => {
  t.is(capByName('bpf'), 39);
  t.is(capByName('CAP_SYS_ADMIN'), 21);
  t.is(capByName('cap_perfmon'), 38);
  t.is(capByName('toString'), undefined);
  t.is(capName(41), undefined);
  t.is(capName(-1), undefined);
});

test('capability masks are 64-bit bigints as capget and /proc print them', (t) => {
  t.is(capMask(Capability.CAP_BPF, Capability.CAP_PERFMON), 0xc000000000n);
  t.is(capMask(), 0n);
  t.deepEqual(capsInMask(0x200000n), [21]);
  t.is(CAP_FULL_SET, 0x1ffffffffffn);
  t.is(formatCapMask(CAP_FULL_SET), '000001ffffffffff');
  t.is(parseCapMask('000001ffffffffff'), CAP_FULL_SET);
  t.is(parseCapMask('0x8000000000'), 1n << 39n);
  t.is(parseCapMask('xyz'), undefined);
  t.is(parseCapMask('1'.repeat(17)), undefined);
  t.true(capInMask(CAP_FULL_SET, Capability.CAP_BPF));
  t.false(capInMask(CAP_FULL_SET, 41));
  t.throws(() => capMask(64), { instanceOf: RangeError });
});

test('capMask and capsInMask are inverse over 64-bit masks', (t) => {
  fc.assert(
    fc.property(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), (mask) => capMask(...capsInMask(mask)) === mask),
  );
  t.pass();
});

test('map flags come from BTF with the 6.18 values', (t) => {
  t.is(BPF_F_NO_PREALLOC, 1);
  t.is(BPF_F_RDONLY_PROG, 1 << 7);
  t.is(BPF_F_VTYPE_BTF_OBJ_FD, 1 << 15);
  t.is(BPF_F_TOKEN_FD, 1 << 16);
  t.is(BPF_F_SEGV_ON_FAULT, 1 << 17);
  t.is(BPF_F_NO_USER_CONV, 1 << 18);
  t.is(Object.keys(BpfMapFlag).length, 19);
  t.deepEqual([BPF_ANY, BPF_NOEXIST, BPF_EXIST, BPF_F_LOCK], [0, 1, 2, 4]);
});

test('prog_flags, attach and test-run flags have the 6.18 header values', (t) => {
  t.deepEqual(
    [
      BPF_F_STRICT_ALIGNMENT,
      BPF_F_ANY_ALIGNMENT,
      BPF_F_TEST_RND_HI32,
      BPF_F_TEST_STATE_FREQ,
      BPF_F_SLEEPABLE,
      BPF_F_XDP_HAS_FRAGS,
      BPF_F_XDP_DEV_BOUND_ONLY,
      BPF_F_TEST_REG_INVARIANTS,
    ],
    [1, 2, 4, 8, 16, 32, 64, 128],
  );
  t.is(BpfProgLoadFlag.BPF_F_TOKEN_FD, 0x10000);
  t.is(BPF_F_PREORDER, 1 << 6);
  t.deepEqual([BPF_F_TEST_RUN_ON_CPU, BPF_F_TEST_XDP_LIVE_FRAMES, BPF_F_TEST_SKB_CHECKSUM_COMPLETE], [1, 2, 4]);
});

test('flagNames lists known bits and the unknown rest', (t) => {
  t.deepEqual(flagNames(BpfMapFlag, 0x10001), ['BPF_F_NO_PREALLOC', 'BPF_F_TOKEN_FD']);
  t.deepEqual(flagNames(BpfMapFlag, 0x80000000), ['0x80000000']);
  t.deepEqual(flagNames(BpfMapFlag, 0), []);
});

test('pseudo src_reg values, names and limits', (t) => {
  t.deepEqual(
    [BPF_PSEUDO_MAP_FD, BPF_PSEUDO_MAP_VALUE, BPF_PSEUDO_BTF_ID, BPF_PSEUDO_FUNC, BPF_PSEUDO_MAP_IDX, BPF_PSEUDO_MAP_IDX_VALUE],
    [1, 2, 3, 4, 5, 6],
  );
  t.deepEqual([BPF_PSEUDO_CALL, BPF_PSEUDO_KFUNC_CALL], [1, 2]);
  t.is(BPF_OBJ_NAME_LEN, 16);
  t.is(BPF_TAG_SIZE, 8);
  t.is(BPF_MAXINSNS, 4096);
  t.is(BPF_COMPLEXITY_LIMIT_INSNS, 1_000_000);
  t.deepEqual([BPF_LOG_LEVEL1, BPF_LOG_LEVEL2, BPF_LOG_STATS, BPF_LOG_FIXED, BPF_LOG_MASK], [1, 2, 4, 8, 15]);
  t.is(BPF_LOG_SIZE_MAX, 0x3fffffff);
});
