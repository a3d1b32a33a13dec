import test from 'ava';
import fc from 'fast-check';
import { BpfError } from '@bpfkit/kernel-api';
import type { Btf } from '@bpfkit/btf';
import { linkObjects, loadObjectSpec, readElf, specToJson, type ObjectSpec } from '@bpfkit/elf';
import { fixture } from './helpers.js';

const TYPE_ID_KEYS = new Set(['typeId', 'keyTypeId', 'valueTypeId', 'btfId', 'funcProtoId', 'ksymTypeId']);

/** A type by what it is rather than its id (ids differ: libbpf deduplicates, linkObjects does not). */
function describe(btf: Btf | undefined, id: number, depth = 0): string {
  const t = btf?.type(id);
  if (t === undefined) return `?${String(id)}`;
  const through = depth < 4 && 'type' in t && ['PTR', 'CONST', 'VOLATILE', 'TYPEDEF', 'ARRAY', 'VAR', 'FUNC'].includes(t.kind);
  return `${t.kind}:${t.name}${through ? `(${describe(btf, t.type, depth + 1)})` : ''}`;
}

/** specToJson with every BTF type id replaced by the type it names, and the type count dropped. */
function normalized(spec: ObjectSpec): unknown {
  const json = JSON.parse(JSON.stringify(specToJson(spec))) as Record<string, unknown>;
  delete json.btfTypes;
  const walk = (x: unknown): void => {
    if (Array.isArray(x)) {
      x.forEach(walk);
    } else if (x !== null && typeof x === 'object') {
      const o = x as Record<string, unknown>;
      for (const [k, v] of Object.entries(o)) {
        if (TYPE_ID_KEYS.has(k) && typeof v === 'number') o[k] = describe(spec.btf, v);
        else walk(v);
      }
    }
  };
  walk(json);
  return json;
}

function reasonOf(run: () => unknown): string {
  try {
    run();
  } catch (e) {
    if (e instanceof BpfError) return `${e.code} ${e.reason} ${e.message}`;
    throw e;
  }
  return 'ok';
}

const main = (): Uint8Array => fixture('link_main');
const lib = (): Uint8Array => fixture('link_lib');

test('two objects linked give the spec libbpf\'s linker (bpftool gen object) gives, type ids aside', (t) => {
  const bytes = linkObjects([main(), lib()]);
  t.deepEqual(linkObjects([main(), lib()]), bytes);
  const mine = loadObjectSpec(bytes);
  const reference = loadObjectSpec(fixture('linked'));
  t.deepEqual(normalized(mine), normalized(reference));
});

test('linked the other way round (weak definition first, then the strong one), the spec is bpftool\'s too', (t) => {
  const mine = loadObjectSpec(linkObjects([lib(), main()]));
  t.deepEqual(normalized(mine), normalized(loadObjectSpec(fixture('linked_rev'))));
  const libProg = mine.programs.find((p) => p.name === 'lib_prog');
  const weak = mine.subprograms.find((f) => f.name === 'lib_weak');
  // lib's weak lib_weak (first in .text) lost to main's strong one, appended after lib's code.
  t.true((weak?.sectionInsn ?? 0) > 0);
  t.true(libProg?.relocations.some((r) => r.kind === 'call' && r.function === 'lib_weak'));
});

test('externs declared in several objects merge; ints of one size match whatever their signedness (as libbpf)', (t) => {
  const spec = loadObjectSpec(linkObjects([fixture('externs'), fixture('trace_ringbuf'), fixture('map_values')]));
  const ext = new Map(spec.externs.map((e) => [e.name, e]));
  t.is(spec.externs.length, 12);
  // externs.o came first: its `unsigned int` declaration is the one kept.
  t.deepEqual([ext.get('LINUX_KERNEL_VERSION')?.kcfgType, ext.get('LINUX_KERNEL_VERSION')?.signed], ['int', false]);
  // map_values.o declares CONFIG_BPF_SYSCALL weak, externs.o strong: strong wins.
  t.false(ext.get('CONFIG_BPF_SYSCALL')?.weak);
  const kconfig = spec.btf?.types.find((x) => x.kind === 'DATASEC' && x.name === '.kconfig');
  t.is(kconfig?.kind === 'DATASEC' ? kconfig.vars.length : 0, 7);
});

test('two declarations of one map that disagree are EINVAL', (t) => {
  t.regex(reasonOf(() => linkObjects([main(), fixture('link_badmap')])), /^EINVAL elf:link global 'shared_counts': map maxEntries mismatch \(4 vs 8\)/);
});

test('an extern function, variable and map resolve to the other object\'s definitions', (t) => {
  const spec = loadObjectSpec(linkObjects([main(), lib()]));
  t.deepEqual(spec.externs, []);
  const prog = spec.programs.find((p) => p.name === 'main_prog');
  t.deepEqual(prog?.subprograms, ['helper', 'lib_add']);
  t.deepEqual(spec.programs.find((p) => p.name === 'lib_prog')?.subprograms, ['lib_add', 'lib_weak']);
  t.true(prog?.relocations.some((r) => r.kind === 'call' && r.function === 'lib_add'));
  t.deepEqual(spec.maps.map((m) => [m.name, m.type, m.keySize, m.valueSize, m.maxEntries]), [['shared_counts', 2, 4, 8, 4]]);
  const data = spec.dataSections.find((d) => d.name === '.bss');
  t.deepEqual(data?.variables.map((v) => [v.name, v.offset]), [['main_hits', 0], ['lib_calls', 4]]);
  // main's strong lib_weak wins over lib's weak one (whose code stays, unnamed).
  const weak = spec.subprograms.find((f) => f.name === 'lib_weak');
  t.is(weak?.sectionInsn, 0);
  t.is(spec.license, 'GPL');
});

test('code of the second object moves behind the first, section-relative immediates with it', (t) => {
  const spec = loadObjectSpec(linkObjects([main(), lib()]));
  const alone = loadObjectSpec(lib());
  const libAdd = spec.subprograms.find((f) => f.name === 'lib_add');
  const libAddAlone = alone.subprograms.find((f) => f.name === 'lib_add');
  t.true((libAdd?.sectionInsn ?? 0) > 0);
  t.deepEqual(libAdd?.insns, libAddAlone?.insns);
  t.deepEqual(libAdd?.lineInfo.map((l) => [l.insnOff, l.lineNum]), libAddAlone?.lineInfo.map((l) => [l.insnOff, l.lineNum]));
});

test('linking one object gives back its spec; the output links again', (t) => {
  for (const name of ['link_main', 'globals', 'struct_ops', 'arena', 'externs', 'map_values', 'trace_ringbuf']) {
    const once = linkObjects([fixture(name)]);
    t.deepEqual(normalized(loadObjectSpec(once)), normalized(loadObjectSpec(fixture(name))), name);
    t.deepEqual(normalized(loadObjectSpec(linkObjects([once]))), normalized(loadObjectSpec(once)), name);
  }
});

test('unrelated objects are merged section by section', (t) => {
  const spec = loadObjectSpec(linkObjects([fixture('xdp_filter'), fixture('globals'), fixture('trace_ringbuf')]));
  t.deepEqual(spec.programs.map((p) => p.name).sort(), ['count_in', 'handle_exec', 'kp', 'sleepy', 'xdp_filter']);
  t.deepEqual(spec.externs.map((e) => [e.name, e.kind]), [['bpf_task_under_cgroup', 'kfunc'], ['init_task', 'ksym']]);
  const rodata = spec.dataSections.find((d) => d.name === '.rodata');
  t.deepEqual(rodata?.variables.map((v) => [v.name, v.offset]), [['drop_proto', 0], ['limit', 4]]);
});

test('two strong definitions of one symbol are EINVAL', (t) => {
  t.regex(reasonOf(() => linkObjects([fixture('globals'), fixture('globals')])), /^EINVAL elf:link conflicting non-weak symbol .*count_in/);
});

test('an extern whose definition has another kind is EINVAL', (t) => {
  t.regex(reasonOf(() => linkObjects([main(), fixture('link_conflict')])), /^EINVAL elf:link global 'lib_add': incompatible BTF kinds FUNC and VAR/);
});

test('license sections must agree', (t) => {
  const other = lib().slice();
  const elf = readElf(other);
  const license = elf.sections.find((s) => s.name === 'license');
  if (license === undefined) throw new Error('no license');
  other.set([0x42, 0x53, 0x44], license.offset);
  t.regex(reasonOf(() => linkObjects([main(), other])), /^EINVAL elf:link non-identical contents of section 'license'/);
});

/** The object with its .BTF section renamed (to the tail of `.rel.BTF`: 'BTF'). */
function withoutBtf(bytes: Uint8Array): Uint8Array {
  const out = bytes.slice();
  const elf = readElf(out);
  const btf = elf.sections.find((s) => s.name === '.BTF');
  const relBtf = elf.sections.find((s) => s.name === '.rel.BTF');
  if (btf === undefined || relBtf === undefined) throw new Error('no .BTF');
  const v = new DataView(out.buffer);
  const shoff = Number(v.getBigUint64(40, true));
  v.setUint32(shoff + btf.index * 64, v.getUint32(shoff + relBtf.index * 64, true) + 5, true);
  return out;
}

test('globals of an object without BTF are EINVAL', (t) => {
  t.regex(reasonOf(() => linkObjects([withoutBtf(lib())])), /^EINVAL elf:link .*failed to find BTF info for global symbol/);
  t.regex(reasonOf(() => linkObjects([lib(), withoutBtf(main())])), /^EINVAL elf:link .*failed to find BTF info for global symbol 'lib_weak'/);
});

test('no inputs, or inputs that are not BPF objects, are EINVAL', (t) => {
  t.regex(reasonOf(() => linkObjects([])), /^EINVAL elf:link nothing to link/);
  t.regex(reasonOf(() => linkObjects([new Uint8Array(10)])), /^EINVAL elf:/);
});

test('corrupted inputs give a linked object or a BpfError, never another error', (t) => {
  const inputs = [main(), lib()];
  fc.assert(fc.property(
    fc.nat({ max: 1 }), fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 })), { minLength: 1, maxLength: 4 }), fc.option(fc.nat()),
    (which, edits, cut) => {
      const bytes = (inputs[which] ?? main()).slice();
      for (const [at, value] of edits) bytes[at % bytes.length] = value;
      const input = cut === null ? bytes : bytes.subarray(0, cut % bytes.length);
      const both = which === 0 ? [input, lib()] : [main(), input];
      try {
        loadObjectSpec(linkObjects(both));
      } catch (e) {
        if (!(e instanceof BpfError)) throw e;
      }
    },
  ), { numRuns: 400, seed: 1 });
  t.pass();
});

interface LoaderModule {
  BpfObject: { open(bytes: Uint8Array, options: { name: string; host: unknown }): { load(): void; programs: readonly { name: string }[]; close(): void } };
}
interface KernelDefaults { createDefaultKernel(options: { cpus: number }): { init: unknown } }

test('the linked object loads through @bpfkit/libbpf on the simulated kernel (when built)', async (t) => {
  // Imported by path: elf must not depend on libbpf (libbpf depends on elf).
  let loader: LoaderModule, kernel: KernelDefaults;
  try {
    loader = await import(new URL('../../libbpf/dist/index.js', import.meta.url).href) as LoaderModule;
    kernel = await import(new URL('../../kernel/dist/defaults/index.js', import.meta.url).href) as KernelDefaults;
  } catch {
    t.log('@bpfkit/libbpf or @bpfkit/kernel is not built; skipped');
    t.pass();
    return;
  }
  const host = kernel.createDefaultKernel({ cpus: 2 }).init;
  const obj = loader.BpfObject.open(linkObjects([main(), lib()]), { name: 'linked', host });
  obj.load();
  t.deepEqual(obj.programs.map((p) => p.name).sort(), ['lib_prog', 'main_prog']);
  obj.close();
});
