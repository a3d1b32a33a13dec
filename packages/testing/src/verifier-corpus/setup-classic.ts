import { BpfMapType, BpfProgType, BPF_F_NO_PREALLOC } from '@bpfkit/uapi';
import type { BtfView } from '@bpfkit/kernel-api';
import { vmlinuxId } from './btf-names.js';
import type { CorpusCase, FixupKind } from './schema.js';
import { fromHex, type ReplaySys } from './sys.js';
import { SetupError, type LoadPlan } from './plan.js';

const u32 = (n: number): Uint8Array => new Uint8Array(new Uint32Array([n >>> 0]).buffer);

/** test_verifier's dummy programs for prog arrays: `r0 = ret; exit`, or a tail call into its own array first. */
function dummyProgram(kind: string, ret: number, key: number, mapFd: number): Uint8Array {
  const insns: string[] = [];
  const ins = (code: number, regs: number, off: number, imm: number): void => {
    const b = new DataView(new ArrayBuffer(8));
    b.setUint8(0, code);
    b.setUint8(1, regs);
    b.setInt16(2, off, true);
    b.setInt32(4, imm, true);
    insns.push(Buffer.from(b.buffer).toString('hex'));
  };
  if (kind === 'tail_call_self') {
    ins(0xb7, 0x03, 0, key); // r3 = key
    ins(0x18, 0x12, 0, mapFd); // r2 = map (BPF_PSEUDO_MAP_FD)
    ins(0x00, 0x00, 0, 0);
    ins(0x85, 0x00, 0, 12); // call bpf_tail_call
  } else if (kind !== 'ret') {
    throw new SetupError(`unknown dummy program kind '${kind}'`);
  }
  ins(0xb7, 0x00, 0, ret); // r0 = ret
  ins(0x95, 0x00, 0, 0); // exit
  return fromHex(insns.join(''));
}

function initialValue(kind: FixupKind, kinds: Readonly<Record<string, FixupKind>>): readonly { key: number; value: Uint8Array }[] {
  const init = kind.init;
  if (init === undefined) return [];
  // "same as map_array_48b" and the small array's note: test_verifier writes the 48-byte test_val; the map keeps value_size bytes.
  const rows = typeof init === 'string' ? (kinds['map_array_48b']?.init ?? []) : init;
  if (typeof rows === 'string') return [];
  return rows.map((r) => ({ key: r.key_u32, value: fromHex(r.value_hex).slice(0, kind.value_size) }));
}

/**
 * test_verifier's `do_test_fixup`: one map per fixup kind (hash maps get
 * BPF_F_NO_PREALLOC), BTF-backed kinds with their harness BTF, initial
 * contents, prog arrays filled with dummy programs of the case's type, and
 * each fd written into its `ld_imm64`.
 */
export function setupClassic(sys: ReplaySys, c: CorpusCase, kinds: Readonly<Record<string, FixupKind>>, insns: Uint8Array, vmlinux: BtfView | undefined): LoadPlan {
  const view = new DataView(insns.buffer, insns.byteOffset, insns.byteLength);
  const fdOf = new Map<string, number>();
  const mapFd = (name: string): number => {
    const known = fdOf.get(name);
    if (known !== undefined) return known;
    const kind = kinds[name];
    if (kind === undefined) throw new SetupError(`fixup kind '${name}' is not in fixup_kinds.json`);
    const btfFd = kind.btf_hex === undefined ? undefined : sys.loadBtf(fromHex(kind.btf_hex));
    let innerFd = 0;
    if (kind.inner_map !== undefined) {
      const im = kind.inner_map;
      innerFd = sys.createMap({ map_type: im.map_type_num, key_size: im.key_size, value_size: im.value_size, max_entries: im.max_entries });
    }
    const flags = kind.map_type_num === BpfMapType.BPF_MAP_TYPE_HASH ? kind.map_flags | BPF_F_NO_PREALLOC : kind.map_flags;
    const fd = sys.createMap({
      map_type: kind.map_type_num, key_size: kind.key_size, value_size: kind.value_size, max_entries: kind.max_entries, map_flags: flags,
      inner_map_fd: innerFd, map_name: kind.map_name ?? '',
      ...(btfFd === undefined ? {} : { btf_fd: btfFd, btf_key_type_id: kind.btf_key_type_id ?? 0, btf_value_type_id: kind.btf_value_type_id ?? 0 }),
    });
    fdOf.set(name, fd);
    for (const { key, value } of initialValue(kind, kinds)) sys.updateElem(fd, u32(key), value);
    for (const p of kind.progs ?? []) {
      const prog = dummyProgram(p.kind, p.ret, p.key, fd);
      const res = sys.progLoad((a) => ({ prog_type: c.prog_type.number, insn_cnt: prog.length / 8, insns: a.insns, license: a.license }), prog, 'GPL', 0, []);
      if (!('fd' in res)) throw new SetupError(`dummy program for ${name}[${p.key}] was refused: ${res.errno}`);
      sys.updateElem(fd, u32(p.key), u32(res.fd));
    }
    return fd;
  };
  for (const f of c.fixups ?? []) view.setInt32(f.insn_index * 8 + 4, mapFd(f.kind), true);
  for (const k of c.kfunc_fixups ?? []) {
    const id = vmlinuxId(vmlinux, k.kfunc, 'FUNC');
    if (id !== undefined) view.setInt32(k.insn_index * 8 + 4, id, true);
  }
  const plan: LoadPlan = { insns, progBtfFd: 0, funcInfo: undefined, lineInfo: undefined, attachBtfId: 0 };
  if (c.btf !== undefined && c.btf !== null) {
    plan.progBtfFd = sys.loadBtf(fromHex(c.btf.hex));
    const fi = c.func_info ?? [];
    if (fi.length > 0) {
      const bytes = new Uint8Array(fi.length * 8);
      const dv = new DataView(bytes.buffer);
      fi.forEach((r, i) => {
        dv.setUint32(i * 8, r.insn_off, true);
        dv.setUint32(i * 8 + 4, r.type_id, true);
      });
      plan.funcInfo = { bytes, recSize: 8, count: fi.length };
    }
  }
  // test_verifier resolves the target only for tracing and LSM programs; other types load without attach_btf_id.
  const takesTarget = c.prog_type.number === BpfProgType.BPF_PROG_TYPE_TRACING || c.prog_type.number === BpfProgType.BPF_PROG_TYPE_LSM;
  if (c.attach_btf_func !== undefined && c.attach_btf_func !== null && takesTarget) {
    plan.attachBtfIdName = c.attach_btf_func;
  }
  return plan;
}
