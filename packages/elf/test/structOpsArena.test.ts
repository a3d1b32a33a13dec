import test from 'ava';
import { BpfError } from '@bpfkit/kernel-api';
import { BtfBuilder, decodeBtf } from '@bpfkit/btf';
import {
  ARENA_MAP_TYPE, BPF_F_LINK, STRUCT_OPS_MAP_TYPE, arenaOf, externDetails, loadObjectSpec, readElf, type MapSpec,
} from '@bpfkit/elf';
import { fixture } from './helpers.js';

function reasonOf(run: () => unknown): string {
  try {
    run();
  } catch (e) {
    if (e instanceof BpfError) return `${e.code} ${e.reason}`;
    throw e;
  }
  return 'ok';
}

/** The struct_ops fixture with one REL entry of `.rel<section>` rewritten. */
function patchedRel(section: string, index: number, edit: (v: DataView, at: number, symbolOf: (name: string) => number) => void): Uint8Array {
  const bytes = fixture('struct_ops').slice();
  const elf = readElf(bytes);
  const rel = elf.sections.find((s) => s.name === `.rel${section}`);
  if (rel === undefined) throw new Error(`no .rel${section}`);
  const symbolOf = (name: string): number => {
    const y = elf.symbols.find((s) => s.name === name);
    if (y === undefined) throw new Error(`no symbol ${name}`);
    return y.index;
  };
  edit(new DataView(bytes.buffer), rel.offset + index * 16, symbolOf);
  return bytes;
}

test('struct_ops programs are STRUCT_OPS, the .s variant sleepable, attach names kept', (t) => {
  const spec = loadObjectSpec(fixture('struct_ops'));
  t.deepEqual(spec.programs.map((p) => [p.name, p.progTypeName, p.sleepable, p.attachTo]), [
    ['kit_init', 'BPF_PROG_TYPE_STRUCT_OPS', false, 'kit_init'],
    ['kit_ssthresh', 'BPF_PROG_TYPE_STRUCT_OPS', true, 'kit_ssthresh'],
    ['kit_cong_avoid', 'BPF_PROG_TYPE_STRUCT_OPS', false, 'kit_cong_avoid'],
  ]);
});

test('.struct_ops and .struct_ops.link variables become STRUCT_OPS maps with their member programs', (t) => {
  const spec = loadObjectSpec(fixture('struct_ops'));
  const [kit, link] = spec.maps;
  t.is(spec.maps.length, 2);
  t.deepEqual([kit?.name, kit?.type, kit?.keySize, kit?.valueSize, kit?.maxEntries, kit?.flags], ['kit', STRUCT_OPS_MAP_TYPE, 4, 56, 1, 0]);
  t.deepEqual([link?.name, link?.flags], ['kit_link', BPF_F_LINK]);
  t.is(kit?.structOps?.typeName, 'tcp_congestion_ops');
  t.is(kit?.structOps?.section, '.struct_ops');
  t.is(link?.structOps?.section, '.struct_ops.link');
  t.is(spec.btf?.type(kit?.structOps?.typeId ?? 0)?.name, 'tcp_congestion_ops');
  t.deepEqual(kit?.structOps?.programs, [
    { member: 'init', memberIndex: 0, offset: 0, program: 'kit_init' },
    { member: 'ssthresh', memberIndex: 2, offset: 16, program: 'kit_ssthresh' },
  ]);
  t.deepEqual(link?.structOps?.programs.map((p) => [p.member, p.program]), [['init', 'kit_init'], ['cong_avoid', 'kit_cong_avoid']]);
  // flags = 1 at offset 32, name "bpfkit" at 36; function pointers stay zero.
  const bytes = kit?.structOps?.bytes ?? new Uint8Array();
  t.is(bytes.length, 56);
  t.is(new DataView(bytes.buffer, bytes.byteOffset).getUint32(32, true), 1);
  t.is(new TextDecoder().decode(bytes.subarray(36, 42)), 'bpfkit');
  t.true(bytes.subarray(0, 32).every((b) => b === 0));
});

test('a struct_ops relocation on a member that is not a function pointer is EINVAL', (t) => {
  const bytes = patchedRel('.struct_ops', 1, (v, at) => { v.setUint32(at, 32, true); });
  t.is(reasonOf(() => loadObjectSpec(bytes)), 'EINVAL elf:bad-struct-ops');
});

test('a struct_ops relocation between members or past the variable is EINVAL', (t) => {
  t.is(reasonOf(() => loadObjectSpec(patchedRel('.struct_ops', 0, (v, at) => { v.setUint32(at, 4, true); }))), 'EINVAL elf:bad-struct-ops');
  t.is(reasonOf(() => loadObjectSpec(patchedRel('.struct_ops', 0, (v, at) => { v.setUint32(at, 4096, true); }))), 'EINVAL elf:bad-struct-ops');
});

test('a struct_ops member pointing to a variable is EINVAL', (t) => {
  const bytes = patchedRel('.struct_ops', 0, (v, at, sym) => { v.setUint32(at + 12, sym('calls'), true); });
  t.is(reasonOf(() => loadObjectSpec(bytes)), 'EINVAL elf:bad-struct-ops');
});

test('a struct_ops relocation of an unexpected type is EINVAL', (t) => {
  const bytes = patchedRel('.struct_ops.link', 0, (v, at) => { v.setUint32(at + 8, 10, true); });
  t.is(reasonOf(() => loadObjectSpec(bytes)), 'EINVAL elf:bad-struct-ops');
});

test('__arena globals: section bytes, variables, data offset and arena relocations', (t) => {
  const spec = loadObjectSpec(fixture('arena'));
  t.deepEqual(spec.maps.map((m) => [m.name, m.type, m.maxEntries]), [['arena', ARENA_MAP_TYPE, 4]]);
  const arena = spec.arena;
  t.is(arena?.map, 'arena');
  t.is(arena?.size, 32);
  t.deepEqual([...(arena?.bytes.subarray(0, 4) ?? [])], [3, 0, 0, 0]);
  t.deepEqual(arena?.variables.map((v) => [v.name, v.offset, v.size]), [['counter', 0, 4], ['hits', 4, 16], ['total', 24, 8]]);
  t.is(arena?.dataOffset, 3 * 4096);
  t.deepEqual(spec.programs[0]?.relocations, [
    { insn: 0, kind: 'arena', offset: 0 },
    { insn: 6, kind: 'arena', offset: 4 },
    { insn: 18, kind: 'arena', offset: 24 },
  ]);
  t.is(loadObjectSpec(fixture('globals')).arena, undefined);
});

function arenaMap(name: string, maxEntries: number): MapSpec {
  return {
    name, type: ARENA_MAP_TYPE, keySize: 0, valueSize: 0, maxEntries, flags: 1024, numaNode: 0, mapExtra: 0, pinning: 0,
    keyTypeId: 0, valueTypeId: 0, inner: undefined, valuesAreProgs: false, initialValues: [],
  };
}

test('arena globals without an ARENA map are ENOENT, two ARENA maps EINVAL, too few pages E2BIG', (t) => {
  const elf = readElf(fixture('arena'));
  const btf = loadObjectSpec(fixture('arena')).btf;
  t.is(reasonOf(() => arenaOf(elf, btf, [])), 'ENOENT elf:no-arena-map');
  t.is(reasonOf(() => arenaOf(elf, btf, [arenaMap('a', 1), arenaMap('b', 1)])), 'EINVAL elf:multiple-arenas');
  t.is(reasonOf(() => arenaOf(elf, btf, [arenaMap('a', 0)])), 'E2BIG elf:arena-too-small');
  t.is(arenaOf(elf, btf, [arenaMap('a', 1)])?.dataOffset, 0);
});

test('.kconfig externs carry size, alignment, value kind and signedness', (t) => {
  const ext = new Map(loadObjectSpec(fixture('externs')).externs.map((e) => [e.name, e]));
  const k = (name: string): unknown[] => {
    const e = ext.get(name);
    return [e?.kind, e?.size, e?.align, e?.kcfgType, e?.signed, e?.weak];
  };
  t.deepEqual(k('LINUX_KERNEL_VERSION'), ['kconfig', 4, 4, 'int', false, false]);
  t.deepEqual(k('CONFIG_BPF_SYSCALL'), ['kconfig', 1, 1, 'bool', false, false]);
  t.deepEqual(k('CONFIG_BPF_JIT'), ['kconfig', 4, 4, 'tristate', false, true]);
  t.deepEqual(k('CONFIG_CHAR_OPT'), ['kconfig', 1, 1, 'char', true, true]);
  t.deepEqual(k('CONFIG_DEFAULT_HOSTNAME'), ['kconfig', 16, 1, 'char-array', false, true]);
  t.deepEqual(k('CONFIG_NEG'), ['kconfig', 8, 8, 'int', true, true]);
  t.deepEqual(k('CONFIG_SHORT'), ['kconfig', 2, 2, 'int', false, true]);
});

test('.ksyms externs are typed or typeless; a kfunc names its prototype', (t) => {
  const spec = loadObjectSpec(fixture('externs'));
  const ext = new Map(spec.externs.map((e) => [e.name, e]));
  const rq = ext.get('runqueues');
  t.is(rq?.kind, 'ksym');
  t.false(rq?.typeless);
  t.is(spec.btf?.type(rq?.ksymTypeId ?? 0)?.name, 'rq');
  t.is(rq?.size, 4);
  t.true(ext.get('bpf_prog_fops')?.typeless);
  const kf = ext.get('bpf_kfunc_call_test');
  t.is(kf?.kind, 'kfunc');
  const proto = spec.btf?.type(kf?.funcProtoId ?? 0);
  t.is(proto?.kind, 'FUNC_PROTO');
  t.is(proto?.kind === 'FUNC_PROTO' ? proto.params.length : 0, 2);
  t.is(spec.btf?.type(kf?.btfId ?? 0)?.name, 'bpf_kfunc_call_test');
});

test('unsupported .kconfig types are EOPNOTSUPP, a .kconfig function too; bad extern BTF is EINVAL', (t) => {
  const b = new BtfBuilder();
  const flt = b.add({ kind: 'FLOAT', name: 'float', size: 4 });
  const i3 = b.add({ kind: 'INT', name: 'odd', size: 3, encoding: 0, bitsOffset: 0, bits: 24 });
  const boolWide = b.add({ kind: 'INT', name: '_Bool', size: 4, encoding: 4, bitsOffset: 0, bits: 32 });
  const en = b.add({ kind: 'ENUM', name: 'other', size: 4, signed: false, values: [{ name: 'X', value: 0 }] });
  const v1 = b.add({ kind: 'VAR', name: 'CONFIG_F', type: flt, linkage: 2 });
  const v2 = b.add({ kind: 'VAR', name: 'CONFIG_I3', type: i3, linkage: 2 });
  const v3 = b.add({ kind: 'VAR', name: 'CONFIG_B', type: boolWide, linkage: 2 });
  const v4 = b.add({ kind: 'VAR', name: 'CONFIG_E', type: en, linkage: 2 });
  const proto = b.add({ kind: 'FUNC_PROTO', name: '', type: 0, params: [] });
  const fn = b.add({ kind: 'FUNC', name: 'f', type: proto, linkage: 2 });
  const badFn = b.add({ kind: 'FUNC', name: 'g', type: flt, linkage: 2 });
  const vVoid = b.add({ kind: 'VAR', name: 'CONFIG_V', type: 0, linkage: 2 });
  const btf = decodeBtf(b.encode());
  for (const v of [v1, v2, v3, v4]) t.is(reasonOf(() => externDetails(btf, 'kconfig', v)), 'EOPNOTSUPP elf:kconfig-type');
  t.is(reasonOf(() => externDetails(btf, 'kconfig', fn)), 'EOPNOTSUPP elf:kconfig-func');
  t.is(reasonOf(() => externDetails(btf, 'ksym', badFn)), 'EINVAL elf:bad-extern');
  t.is(reasonOf(() => externDetails(btf, 'kconfig', vVoid)), 'EINVAL elf:bad-extern');
  t.is(reasonOf(() => externDetails(btf, 'ksym', flt)), 'EINVAL elf:bad-extern');
  t.deepEqual(externDetails(btf, 'ksym', fn), { btfId: fn, funcProtoId: proto });
});
