import { readFileSync } from 'node:fs';
import test from 'ava';
import { sharedPath, skipMessage, corpusRequired } from '@bpfkit/corpus';
import {
  BpfAttachType,
  BpfAttachTypeEnumerators,
  BpfCmd,
  BpfCmdEnumerators,
  BpfLinkType,
  BpfMapType,
  BpfMapTypeEnumerators,
  BpfProgType,
  BpfProgTypeEnumerators,
  MAX_BPF_ATTACH_TYPE,
  MAX_BPF_CMD,
  MAX_BPF_LINK_TYPE,
  MAX_BPF_MAP_TYPE,
  MAX_BPF_PROG_TYPE,
  attachTypeByName,
  attachTypeName,
  bpfMapTypeTable,
  cmdByName,
  cmdName,
  enumShortName,
  linkTypeByName,
  linkTypeName,
  mapTypeByName,
  mapTypeName,
  progTypeByName,
  progTypeName,
} from '@bpfkit/uapi';

test('BpfCmd constants carry the 6.18 values', (t) => {
  t.is(BpfCmd.BPF_MAP_CREATE, 0);
  t.is(BpfCmd.BPF_PROG_TEST_RUN, 10);
  t.is(BpfCmd.BPF_PROG_RUN, 10);
  t.is(BpfCmd.BPF_TOKEN_CREATE, 36);
  t.is(BpfCmd.BPF_PROG_STREAM_READ_BY_FD, 37);
  t.false('__MAX_BPF_CMD' in BpfCmd);
});

test('type constants carry the 6.18 values', (t) => {
  t.is(BpfMapType.BPF_MAP_TYPE_HASH, 1);
  t.is(BpfMapType.BPF_MAP_TYPE_ARENA, 33);
  t.is(BpfProgType.BPF_PROG_TYPE_NETFILTER, 32);
  t.is(BpfAttachType.BPF_TRACE_UPROBE_SESSION, 57);
  t.is(BpfLinkType.BPF_LINK_TYPE_SOCKMAP, 14);
});

test('__MAX_* values are exported as MAX_*', (t) => {
  t.is(MAX_BPF_CMD, 38);
  t.is(MAX_BPF_MAP_TYPE, 34);
  t.is(MAX_BPF_PROG_TYPE, 33);
  t.is(MAX_BPF_ATTACH_TYPE, 58);
  t.is(MAX_BPF_LINK_TYPE, 15);
});

test('a value is named by the first enumerator in BTF order', (t) => {
  t.is(cmdName(10), 'BPF_PROG_TEST_RUN');
  t.is(mapTypeName(19), 'BPF_MAP_TYPE_CGROUP_STORAGE_DEPRECATED');
  t.is(progTypeName(6), 'BPF_PROG_TYPE_XDP');
  t.is(attachTypeName(0), 'BPF_CGROUP_INET_INGRESS');
  t.is(linkTypeName(6), 'BPF_LINK_TYPE_XDP');
  t.is(enumShortName(bpfMapTypeTable, 19), 'cgroup_storage_deprecated');
});

test('unknown values and the __MAX_ sentinel have no name', (t) => {
  t.is(cmdName(38), undefined);
  t.is(mapTypeName(-1), undefined);
  t.is(attachTypeName(1.5), undefined);
});

test('names parse case-insensitively, with or without prefix, aliases included', (t) => {
  t.is(mapTypeByName('hash'), 1);
  t.is(mapTypeByName('BPF_MAP_TYPE_HASH'), 1);
  t.is(mapTypeByName('Hash'), 1);
  t.is(mapTypeByName('cgroup_storage'), 19);
  t.is(cmdByName('prog_run'), 10);
  t.is(cmdByName('BPF_TOKEN_CREATE'), 36);
  t.is(progTypeByName('socket_filter'), 1);
  t.is(attachTypeByName('xdp'), 37);
  t.is(linkTypeByName('netkit'), 13);
});

test('sentinels, empty and unknown names do not parse', (t) => {
  t.is(cmdByName('__MAX_BPF_CMD'), undefined);
  t.is(cmdByName('max_bpf_cmd'), undefined);
  t.is(mapTypeByName(''), undefined);
  t.is(mapTypeByName('nope'), undefined);
});

test('the enum tables match corpus/token/enums.json (names, values, order)', (t) => {
  const path = sharedPath('corpus', 'token', 'enums.json');
  if (path === undefined) {
    t.log(skipMessage('uapi-enums'));
    t.true(!corpusRequired(), 'uapi-enums: the shared corpus is missing and CI=true requires it');
    return;
  }
  const corpus = JSON.parse(readFileSync(path, 'utf8')) as Record<string, { name: string; value: number }[]>;
  const ours: Record<string, readonly (readonly [string, number])[]> = {
    bpf_cmd: BpfCmdEnumerators,
    bpf_map_type: BpfMapTypeEnumerators,
    bpf_prog_type: BpfProgTypeEnumerators,
    bpf_attach_type: BpfAttachTypeEnumerators,
  };
  t.deepEqual(Object.keys(corpus).sort(), Object.keys(ours).sort());
  for (const [name, table] of Object.entries(ours)) {
    t.deepEqual(
      table.map(([n, v]) => ({ name: n, value: v })),
      corpus[name],
      name,
    );
  }
});
