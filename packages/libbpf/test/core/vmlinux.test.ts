import { existsSync, readFileSync } from 'node:fs';
import test from 'ava';
import { parseBtf, type Btf } from '@bpfkit/btf';
import { builtinVmlinuxBtf, HOST_VMLINUX_BTF } from '@bpfkit/kernel/defaults';
import { applyCoreRelocations, CoreReloKind as K, type CoreRelocation } from '../../dist/core/index.js';
import { insn } from './helpers.js';

interface Access {
  struct: number;
  accessStr: string;
  /** What the compiler would have put in the instructions (bitfield reads are not checked). */
  offset: number;
  size: number;
}

/** Every named member of every named struct of `btf`, as access strings (anonymous members walked into). */
function accesses(btf: Btf): Access[] {
  const out: Access[] = [];
  const walk = (struct: number, id: number, path: string, bits: number): void => {
    const t = btf.resolve(id)?.type;
    if (t === undefined || (t.kind !== 'STRUCT' && t.kind !== 'UNION')) return;
    t.members.forEach((m, i) => {
      const at = bits + m.bitsOffset;
      if (m.name === '') walk(struct, m.type, `${path}:${i}`, at);
      else out.push({ struct, accessStr: `${path}:${i}`, offset: m.bitfieldSize > 0 ? 0 : at / 8, size: m.bitfieldSize > 0 ? 0 : (btf.size(m.type) ?? 0) });
    });
  };
  for (const t of btf.types) if (t.kind === 'STRUCT' && t.name !== '') walk(t.id, t.id, '0', 0);
  return out;
}

/** Relocates an offset and a size read of every member from `local` to `target`. */
function relocateAll(local: Btf, target: Btf) {
  const list = accesses(local);
  const relos: CoreRelocation[] = list.flatMap((a, i) => [
    { insn: 2 * i, typeId: a.struct, accessStr: a.accessStr, kind: K.FIELD_BYTE_OFFSET },
    { insn: 2 * i + 1, typeId: a.struct, accessStr: a.accessStr, kind: K.FIELD_BYTE_SIZE },
  ]);
  const code = new Uint8Array(relos.length * 8);
  list.forEach((a, i) => {
    code.set(insn(0xb7, 0, 0, 0, a.offset), 16 * i);
    code.set(insn(0xb7, 0, 0, 0, a.size), 16 * i + 8);
  });
  return applyCoreRelocations(code, relos, local, target, 'vmlinux');
}

test('the built-in vmlinux relocates onto itself without a change', (t) => {
  const vm = builtinVmlinuxBtf();
  const results = relocateAll(vm, vm);
  t.true(results.length > 100);
  t.deepEqual(results.filter((r) => r.poisoned || r.origValue !== r.newValue).map((r) => r.localSpec), []);
});

(existsSync(HOST_VMLINUX_BTF) ? test : test.skip)('every member of the built-in vmlinux has the offset and size it has in the host kernel', (t) => {
  const results = relocateAll(builtinVmlinuxBtf(), parseBtf(readFileSync(HOST_VMLINUX_BTF)));
  const differ = results.filter((r) => r.poisoned || r.origValue !== r.newValue).map((r) => `${r.localSpec} -> ${r.targetSpec ?? 'none'} (${r.newValue})`);
  t.deepEqual(differ, []);
});
