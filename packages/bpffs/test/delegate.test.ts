import test from 'ava';
import fc from 'fast-check';
import { BpfError, type DelegateKind } from '@bpfkit/kernel-api';
import {
  DELEGATE_ENUMS,
  DELEGATE_KINDS,
  delegateOptionString,
  formatDelegateOption,
  kstrtoull,
  kstrtouint,
  parseDelegateOption,
} from '@bpfkit/bpffs';

const ALL = (1n << 64n) - 1n;

function errno(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (e) {
    return e instanceof BpfError ? e.code : `not a BpfError: ${String(e)}`;
  }
}

test('a prefixless enumerator name ORs its bit, case-insensitively', (t) => {
  t.is(parseDelegateOption('cmds', 'map_create'), 1n);
  t.is(parseDelegateOption('maps', 'HASH:Array'), 0x6n);
  t.is(parseDelegateOption('progs', 'socket_filter'), 2n);
  t.is(parseDelegateOption('attachs', 'cgroup_inet_ingress'), 1n);
});

test('aliases resolve to the shared value', (t) => {
  t.is(parseDelegateOption('cmds', 'prog_run'), 1n << 10n);
  t.is(parseDelegateOption('maps', 'cgroup_storage'), 1n << 19n);
  t.is(parseDelegateOption('maps', 'percpu_cgroup_storage'), 1n << 21n);
});

test('a number replaces the mask built so far in the same value', (t) => {
  t.is(parseDelegateOption('maps', 'hash:0x4'), 0x4n);
  t.is(parseDelegateOption('maps', '0x4:hash'), 0x6n);
  t.is(parseDelegateOption('maps', 'hash:array:0'), 0n);
});

test('numbers are u64 in base 0: hex, octal, decimal, a leading + and one trailing newline', (t) => {
  t.is(parseDelegateOption('cmds', '0x21'), 0x21n);
  t.is(parseDelegateOption('cmds', '041'), 0o41n);
  t.is(parseDelegateOption('cmds', '33'), 33n);
  t.is(parseDelegateOption('cmds', '+5'), 5n);
  t.is(parseDelegateOption('cmds', '5\n'), 5n);
  t.is(parseDelegateOption('cmds', '0xffffffffffffffff'), ALL);
});

test('any sets all 64 bits and is case-sensitive', (t) => {
  t.is(parseDelegateOption('cmds', 'any'), ALL);
  t.is(errno(() => parseDelegateOption('cmds', 'ANY')), 'EINVAL');
});

test('unknown names, prefixed names, empty elements and trailing colons are EINVAL', (t) => {
  for (const v of ['nosuch', 'BPF_MAP_CREATE', '', 'hash:', ':hash', 'hash::array', '0x', '08', '-1', '0x1g', ' 1']) {
    t.is(errno(() => parseDelegateOption(v === 'hash:' || v === ':hash' || v === 'hash::array' ? 'maps' : 'cmds', v)), 'EINVAL', v);
  }
});

test('a number past 64 bits is ERANGE', (t) => {
  t.is(errno(() => parseDelegateOption('cmds', '0x10000000000000000')), 'ERANGE');
  t.is(errno(() => parseDelegateOption('cmds', '18446744073709551616')), 'ERANGE');
  t.is(errno(() => parseDelegateOption('cmds', '99999999999999999999999x')), 'ERANGE');
});

test('the previous mask is ORed in and unknown high bits are kept', (t) => {
  t.is(parseDelegateOption('cmds', 'prog_load', 1n), 0x21n);
  t.is(parseDelegateOption('cmds', '0x8000000000000000'), 1n << 63n);
});

test('format prints names in BTF order, first alias only, and any for all known bits', (t) => {
  t.is(formatDelegateOption('cmds', 0x21n), 'map_create:prog_load');
  t.is(formatDelegateOption('cmds', 1n << 10n), 'prog_test_run');
  t.is(formatDelegateOption('maps', 1n << 19n), 'cgroup_storage_deprecated');
  t.is(formatDelegateOption('maps', 0x6n), 'hash:array');
  t.is(formatDelegateOption('maps', (1n << 34n) - 1n), 'any');
  t.is(formatDelegateOption('maps', ALL), 'any');
});

test('format hides bits past __MAX and prints nothing for a mask of only such bits', (t) => {
  t.is(formatDelegateOption('cmds', 1n << 63n), undefined);
  t.is(formatDelegateOption('cmds', 0n), undefined);
  t.is(formatDelegateOption('cmds', (1n << 63n) | 1n), 'map_create');
});

test('delegateOptionString joins the non-empty kinds as mount data', (t) => {
  t.is(delegateOptionString({ cmds: 0x21n, maps: 0x2n }), 'delegate_cmds=map_create:prog_load,delegate_maps=hash');
  t.is(delegateOptionString({}), '');
});

test('the enum tables follow __MAX_* of Linux 6.18', (t) => {
  t.is(DELEGATE_ENUMS.cmds.knownMask, (1n << 38n) - 1n);
  t.is(DELEGATE_ENUMS.maps.knownMask, (1n << 34n) - 1n);
  t.is(DELEGATE_ENUMS.progs.knownMask, (1n << 33n) - 1n);
  t.is(DELEGATE_ENUMS.attachs.knownMask, (1n << 58n) - 1n);
});

test('kstrtoull/kstrtouint follow lib/kstrtox.c', (t) => {
  t.deepEqual(kstrtoull('0x1f', 0), { ok: true, value: 31n });
  t.deepEqual(kstrtoull('0X1f', 16), { ok: true, value: 31n });
  t.deepEqual(kstrtoull('', 0), { ok: false, errno: 'EINVAL' });
  t.deepEqual(kstrtouint('4294967296', 0), { ok: false, errno: 'ERANGE' });
  t.deepEqual(kstrtouint('0750', 8), { ok: true, value: 0o750n });
  t.deepEqual(kstrtouint('0x10', 8), { ok: false, errno: 'EINVAL' });
});

const kindArb = fc.constantFrom<DelegateKind>(...DELEGATE_KINDS);
const maskArb = fc.bigInt({ min: 0n, max: ALL });

test('property: random option strings throw nothing but BpfError', (t) => {
  const piece = fc.oneof(
    fc.string({ maxLength: 12 }),
    fc.constantFrom('any', 'ANY', 'hash', 'map_create', '0x', '0x10', '', '+', '0', '\n'),
  );
  fc.assert(
    fc.property(kindArb, fc.array(piece, { maxLength: 5 }), (kind, parts) => {
      try {
        const m = parseDelegateOption(kind, parts.join(':'));
        return m >= 0n && m <= ALL;
      } catch (e) {
        return e instanceof BpfError && (e.code === 'EINVAL' || e.code === 'ERANGE');
      }
    }),
  );
  t.pass();
});

test('property: parse(format(mask)) is the mask restricted to the known bits', (t) => {
  fc.assert(
    fc.property(kindArb, maskArb, (kind, mask) => {
      const known = mask & DELEGATE_ENUMS[kind].knownMask;
      const text = formatDelegateOption(kind, mask);
      if (text === undefined) return known === 0n;
      const parsed = parseDelegateOption(kind, text);
      return text === 'any' ? parsed === ALL && known === DELEGATE_ENUMS[kind].knownMask : parsed === known;
    }),
  );
  t.pass();
});

test('property: names OR, a later number replaces', (t) => {
  fc.assert(
    fc.property(kindArb, fc.array(fc.nat({ max: 200 }), { minLength: 1, maxLength: 6 }), maskArb, (kind, picks, num) => {
      const names = DELEGATE_ENUMS[kind].names;
      const chosen = picks.map((i) => names[i % names.length] ?? names[0] ?? ['', 0]);
      const ored = chosen.reduce((m, [, v]) => m | (1n << BigInt(v)), 0n);
      const text = chosen.map(([n]) => n).join(':');
      return (
        parseDelegateOption(kind, text) === ored &&
        parseDelegateOption(kind, `${text}:0x${num.toString(16)}`) === num &&
        parseDelegateOption(kind, `0x${num.toString(16)}:${text}`) === (num | ored)
      );
    }),
  );
  t.pass();
});
