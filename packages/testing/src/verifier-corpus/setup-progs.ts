import type { BtfView } from '@bpfkit/kernel-api';
import { vmlinuxId } from './btf-names.js';
import { SetupError, type InfoRecords, type LoadPlan } from './plan.js';
import type { CorpusCase, CorpusMap } from './schema.js';
import { fromHex, type ReplaySys } from './sys.js';

/** The fds a progs case's setup made: maps by corpus id, BTF blobs by key. */
export interface ProgsFds {
  readonly maps: Map<string, number>;
  readonly btf: Map<string, number>;
}

function btfFd(sys: ReplaySys, fds: ProgsFds, blobs: Readonly<Record<string, string>>, key: string): number {
  const known = fds.btf.get(key);
  if (known !== undefined) return known;
  const hex = blobs[key];
  if (hex === undefined) throw new SetupError(`BTF blob '${key}' is not in the file's btf_blobs`);
  const fd = sys.loadBtf(fromHex(hex));
  fds.btf.set(key, fd);
  return fd;
}

function createMap(sys: ReplaySys, fds: ProgsFds, blobs: Readonly<Record<string, string>>, m: CorpusMap, vmlinux: BtfView | undefined): number {
  const innerFd = m.inner === undefined ? 0 : createMap(sys, fds, blobs, m.inner, vmlinux);
  let vmlinuxValue = 0;
  if (m.btf_vmlinux_value_type !== undefined) {
    const id = vmlinuxId(vmlinux, m.btf_vmlinux_value_type.name, m.btf_vmlinux_value_type.btf_kind ?? 'STRUCT');
    if (id === undefined) throw new SetupError(`vmlinux BTF has no ${m.btf_vmlinux_value_type.name}`);
    vmlinuxValue = id;
  }
  const withBtf = m.btf !== undefined && ((m.btf_key_type_id ?? 0) !== 0 || (m.btf_value_type_id ?? 0) !== 0);
  return sys.createMap({
    map_type: m.map_type_num, key_size: m.key_size, value_size: m.value_size, max_entries: m.max_entries, map_flags: m.map_flags,
    inner_map_fd: innerFd, map_name: m.name.slice(0, 15),
    ...(m.numa_node === undefined ? {} : { numa_node: m.numa_node }),
    ...(m.map_extra === undefined ? {} : { map_extra: BigInt(m.map_extra) }),
    ...(withBtf && m.btf !== undefined
      ? { btf_fd: btfFd(sys, fds, blobs, m.btf), btf_key_type_id: m.btf_key_type_id ?? 0, btf_value_type_id: m.btf_value_type_id ?? 0 }
      : {}),
    ...(vmlinuxValue === 0 ? {} : { btf_vmlinux_value_type_id: vmlinuxValue }),
  });
}

/** `BPF_MAP_TYPE_ARENA`: libbpf maps it (max_entries pages) before any program is loaded. */
const ARENA = 33;
const PAGE_SIZE = 4096;

/** libbpf's map setup for a progs case: create, fill `init`, freeze `.rodata`, mmap arenas. */
export function setupProgsMaps(sys: ReplaySys, c: CorpusCase, blobs: Readonly<Record<string, string>>, vmlinux: BtfView | undefined): ProgsFds {
  const fds: ProgsFds = { maps: new Map(), btf: new Map() };
  for (const m of c.maps ?? []) {
    const fd = createMap(sys, fds, blobs, m, vmlinux);
    fds.maps.set(m.id, fd);
    for (const row of m.init ?? []) {
      const value = row.value_zero_len !== undefined && row.value_zero_len !== false
        ? new Uint8Array(typeof row.value_zero_len === 'number' ? row.value_zero_len : m.value_size)
        : fromHex(row.value ?? '');
      sys.updateElem(fd, fromHex(row.key), value);
    }
    if (m.freeze === true) sys.freeze(fd);
    if (m.map_type_num === ARENA) sys.mmapArena(fd, m.max_entries * PAGE_SIZE);
  }
  return fds;
}

function records(hex: string | null | undefined, recSize: number | null | undefined): InfoRecords | undefined {
  if (hex === undefined || hex === null || hex === '' || recSize === undefined || recSize === null || recSize === 0) return undefined;
  const bytes = fromHex(hex);
  return { bytes, recSize, count: bytes.length / recSize };
}

/** The parts of a progs program (the case itself or an aux program) its load needs. */
export type ProgsProgram = Pick<CorpusCase, 'insns' | 'map_relocs' | 'btf_id_relocs' | 'prog_btf' | 'func_info_hex' | 'func_info_rec_size' | 'line_info_hex' | 'line_info_rec_size' | 'attach_btf'>;

/** Patches a progs program's map fds and BTF ids into its instructions and gathers its BTF records. */
export function planProgsLoad(sys: ReplaySys, fds: ProgsFds, p: ProgsProgram, insns: Uint8Array, blobs: Readonly<Record<string, string>>, vmlinux: BtfView | undefined): LoadPlan {
  const view = new DataView(insns.buffer, insns.byteOffset, insns.byteLength);
  for (const r of p.map_relocs ?? []) {
    const fd = fds.maps.get(r.map);
    if (fd === undefined) throw new SetupError(`map_relocs names '${r.map}', which the case does not create`);
    view.setInt32(r.insn_index * 8 + 4, fd, true);
  }
  for (const r of p.btf_id_relocs ?? []) {
    if ((r.fd_array_index ?? 0) !== 0) throw new SetupError(`${r.name} lives in a module's BTF (fd_array index ${r.fd_array_index ?? 0})`);
    const id = vmlinuxId(vmlinux, r.name, r.btf_kind);
    if (id === undefined) throw new SetupError(`vmlinux BTF has no ${r.kind} '${r.name}'`);
    view.setInt32(r.insn_index * 8 + 4, id, true);
  }
  let attachBtfId = 0;
  if (p.attach_btf !== undefined && p.attach_btf !== null) {
    const id = vmlinuxId(vmlinux, p.attach_btf.name, p.attach_btf.btf_kind);
    if (id === undefined) throw new SetupError(`vmlinux BTF has no attach target '${p.attach_btf.name}'`);
    attachBtfId = id;
  }
  return {
    insns,
    progBtfFd: p.prog_btf === undefined || p.prog_btf === null ? 0 : btfFd(sys, fds, blobs, p.prog_btf),
    funcInfo: records(p.func_info_hex, p.func_info_rec_size),
    lineInfo: records(p.line_info_hex, p.line_info_rec_size),
    attachBtfId,
  };
}
