import { essentialName, type Btf, type BtfType } from '@bpfkit/btf';
import type { StructOpsSpec } from '@bpfkit/elf';
import { BpfError } from '@bpfkit/kernel-api';
import { BPF_F_LINK, BpfAttachType, BpfMapType, BpfProgType, Errno, type ErrnoName } from '@bpfkit/uapi';
import { bpfMapCreate, bpfMapDeleteElem, bpfMapUpdateElem } from '../commands/map.js';
import { bpfLinkCreate } from '../commands/obj.js';
import type { LibbpfHost } from '../host.js';
import type { BpfMap } from './map.js';
import type { BpfObject } from './object.js';
import type { BpfProgram } from './program.js';
import { objectFeatures } from './probes.js';

const VALUE_PREFIX = 'bpf_struct_ops_';

/** What `load` worked out for one struct_ops map against the kernel's BTF. */
interface KernStructOps {
  /** The kernel's `struct <typeName>` id (programs' `attach_btf_id`). */
  readonly kernTypeId: number;
  /** `bpf_struct_ops_<typeName>`'s id (`btf_vmlinux_value_type_id`). */
  readonly kernValueTypeId: number;
  /** The value written at update: the object's data in the kernel's layout, program fds once loaded. */
  readonly value: Uint8Array;
  /** Function-pointer slots: the program and where its fd goes in `value`. */
  readonly slots: { readonly program: string; readonly offset: number }[];
}

const kernOf = new WeakMap<BpfMap, KernStructOps>();
const attachOf = new WeakMap<BpfProgram, number>();

/** A registered struct_ops map (libbpf's `bpf_link` from `bpf_map__attach_struct_ops`). */
export interface StructOpsLink {
  /** The BPF link's fd for `.struct_ops.link` maps; the map's own fd otherwise. */
  readonly fd: number;
  /** True when `fd` is a real BPF link (BPF_F_LINK map). */
  readonly isLink: boolean;
  /** Unregisters: closes the link, or deletes element 0 of a map without one. */
  detach(): void;
}

function structOpsOf(map: BpfMap): StructOpsSpec | undefined {
  return map.origin.kind === 'user' ? map.origin.spec.structOps : undefined;
}

/** True for a `.struct_ops` / `.struct_ops.link` map. @example isStructOpsMap(obj.map('kit')); // true */
export function isStructOpsMap(map: BpfMap): boolean {
  return map.type === BpfMapType.BPF_MAP_TYPE_STRUCT_OPS && structOpsOf(map) !== undefined;
}

/** The `attach_btf_id` load gave a struct_ops program (the kernel struct's id), if any. */
export function structOpsAttachBtfId(prog: BpfProgram): number | undefined {
  return attachOf.get(prog);
}

/**
 * The value `attachStructOps` writes to element 0 (the kernel's `bpf_struct_ops_<type>`,
 * the object's members laid out by name in its `data`, program fds in the function
 * pointers); undefined before load or for other maps.
 *
 * @example
 * structOpsValue(obj.map('kit'))?.length; // 256 on Linux 6.18 (tcp_congestion_ops)
 */
export function structOpsValue(map: BpfMap): Uint8Array | undefined {
  return kernOf.get(map)?.value.slice();
}

function skipModsAndTypedefs(btf: Btf, id: number): { id: number; t: BtfType | undefined } {
  let cur = id;
  for (let depth = 0; depth < 32; depth++) {
    const t = btf.type(cur);
    if (t === undefined || (t.kind !== 'TYPEDEF' && t.kind !== 'VOLATILE' && t.kind !== 'CONST' && t.kind !== 'RESTRICT' && t.kind !== 'TYPE_TAG')) {
      return { id: cur, t };
    }
    cur = t.type;
  }
  return { id: cur, t: undefined };
}

function notSupported(map: string, why: string): BpfError {
  return new BpfError('EOPNOTSUPP', 'libbpf:struct-ops-init', `struct_ops init_kern ${map}: ${why}`);
}

/**
 * libbpf's `bpf_map__init_kern_struct_ops` for every struct_ops map, then
 * `bpf_object_adjust_struct_ops_autoload`: finds `bpf_struct_ops_<type>` (ESRCH when the
 * kernel lacks it) and `<type>` in the target BTF, sizes the map's value as the kernel's,
 * copies each member of the object's struct into the kernel's `data` by name (a member the
 * kernel lacks must be zero, kinds and sizes must match: EOPNOTSUPP otherwise), and gives
 * each slot's program its `attach_btf_id` and `expected_attach_type` (the kernel member's index).
 *
 * @example
 * initKernStructOps(obj, () => vmlinux); // before relocation, as bpf_object_prepare does
 */
export function initKernStructOps(obj: BpfObject, target: () => Btf): void {
  // program -> used by a map that will be created
  const uses = new Map<string, boolean>();
  for (const map of obj.maps) {
    const st = structOpsOf(map);
    if (st === undefined || map.type !== BpfMapType.BPF_MAP_TYPE_STRUCT_OPS) continue;
    if (!map.autocreate) {
      for (const s of st.programs) if (!uses.has(s.program)) uses.set(s.program, false);
      continue;
    }
    for (const p of initOne(obj, map, st, target())) uses.set(p, true);
  }
  for (const p of obj.programs) {
    const load = uses.get(p.name);
    if (p.progType === BpfProgType.BPF_PROG_TYPE_STRUCT_OPS && load !== undefined) p.autoload = load;
  }
}

/** Returns the programs the map's slots still point to. */
function initOne(obj: BpfObject, map: BpfMap, st: StructOpsSpec, kern: Btf): string[] {
  const local = obj.spec.btf;
  const localType = local?.type(st.typeId);
  if (local === undefined || localType?.kind !== 'STRUCT') throw new BpfError('EINVAL', 'libbpf:struct-ops-init', `struct_ops init_kern ${map.name}: no local struct type ${String(st.typeId)}`);
  const tname = essentialName(st.typeName);
  const vname = VALUE_PREFIX + tname;
  const vtypeId = kern.byName(vname, 'STRUCT');
  const vtype = vtypeId === undefined ? undefined : kern.type(vtypeId);
  if (vtypeId === undefined || vtype?.kind !== 'STRUCT') {
    throw new BpfError('ESRCH', 'libbpf:struct-ops-kern-type', `struct_ops init_kern: struct ${vname} is not found in kernel BTF`);
  }
  const ktypeId = kern.byName(tname, 'STRUCT');
  const ktype = ktypeId === undefined ? undefined : kern.type(ktypeId);
  if (ktypeId === undefined || ktype?.kind !== 'STRUCT') {
    throw new BpfError('ENOENT', 'libbpf:struct-ops-kern-type', `struct_ops init_kern: struct ${tname} is not found in kernel BTF`);
  }
  const dataMember = vtype.members.find((m) => m.type === ktypeId);
  if (dataMember === undefined) {
    throw new BpfError('EINVAL', 'libbpf:struct-ops-kern-type', `struct_ops init_kern: struct ${tname} data is not found in struct ${vname}`);
  }
  const value = new Uint8Array(vtype.size);
  const dataOff = dataMember.bitsOffset / 8;
  const progsByIndex = new Map(st.programs.map((s) => [s.memberIndex, s.program]));
  const slots: { program: string; offset: number }[] = [];
  localType.members.forEach((member, i) => {
    const moff = member.bitsOffset / 8;
    const msize = local.size(member.type);
    if (msize === undefined) throw new BpfError('EINVAL', 'libbpf:struct-ops-init', `struct_ops init_kern ${map.name}: failed to resolve the size of member ${member.name}`);
    const mdata = st.bytes.subarray(moff, moff + msize);
    const kidx = ktype.members.findIndex((m) => m.name === member.name);
    const kmember = ktype.members[kidx];
    const slotProg = progsByIndex.get(i);
    if (kmember === undefined) {
      if (mdata.some((b) => b !== 0)) throw notSupported(map.name, `Cannot find member ${member.name} in kernel BTF`);
      // A declared callback the kernel cannot take: libbpf stops loading it (another map may still use it).
      if (slotProg !== undefined) {
        const p = obj.programs.find((x) => x.name === slotProg);
        if (p !== undefined) p.autoload = false;
        progsByIndex.delete(i);
      }
      return;
    }
    if (member.bitfieldSize !== 0 || kmember.bitfieldSize !== 0) throw notSupported(map.name, `bitfield ${member.name} is not supported`);
    const kmoff = kmember.bitsOffset / 8;
    const mtype = skipModsAndTypedefs(local, member.type).t;
    const kmtype = skipModsAndTypedefs(kern, kmember.type).t;
    if (mtype === undefined || kmtype === undefined || mtype.kind !== kmtype.kind) {
      throw notSupported(map.name, `Unmatched member type ${member.name} ${mtype?.kind ?? '?'} != ${kmtype?.kind ?? '?'}(kernel)`);
    }
    if (mtype.kind === 'PTR' && kmtype.kind === 'PTR') {
      if (slotProg === undefined) return;
      const prog = obj.programs.find((x) => x.name === slotProg);
      if (prog?.progType !== BpfProgType.BPF_PROG_TYPE_STRUCT_OPS) throw notSupported(map.name, `member ${member.name} is not a struct_ops program`);
      if (skipModsAndTypedefs(kern, kmtype.type).t?.kind !== 'FUNC_PROTO') throw notSupported(map.name, `kernel member ${member.name} is not a func ptr`);
      const prior = attachOf.get(prog);
      if (prior === undefined) {
        attachOf.set(prog, ktypeId);
        prog.expectedAttachType = kidx;
      } else if (prior !== ktypeId || prog.expectedAttachType !== kidx) {
        throw new BpfError('EINVAL', 'libbpf:struct-ops-reuse', `struct_ops init_kern ${map.name} func ptr ${member.name}: invalid reuse of prog ${prog.name} in sec ${prog.section}: `
          + (prior !== ktypeId ? `attach_btf_id ${String(prior)} != kern_type_id ${String(ktypeId)}` : `expected_attach_type ${String(prog.expectedAttachType)} != kern_member_idx ${String(kidx)}`));
      }
      slots.push({ program: prog.name, offset: dataOff + kmoff });
      return;
    }
    const ksize = kern.size(kmember.type);
    if (ksize === undefined || ksize !== msize) throw notSupported(map.name, `Error in size of member ${member.name}: ${String(msize)} != ${String(ksize ?? -1)}(kernel)`);
    value.set(mdata, dataOff + kmoff);
  });
  map.valueSize = vtype.size;
  kernOf.set(map, { kernTypeId: ktypeId, kernValueTypeId: vtypeId, value, slots });
  return [...progsByIndex.values()];
}

/**
 * Creates a struct_ops map as libbpf's `bpf_object__create_map`: the kernel value type in
 * `btf_vmlinux_value_type_id`, the object's BTF fd, no key/value type ids, no retry without BTF.
 *
 * @example
 * map.fd = createStructOpsMap(obj, map, map.name);
 */
export function createStructOpsMap(obj: BpfObject, map: BpfMap, name: string | undefined): number {
  const kern = kernOf.get(map);
  if (kern === undefined) throw new BpfError('EINVAL', 'libbpf:struct-ops-init', `map '${map.name}': struct_ops value not prepared`);
  return bpfMapCreate(obj.host, {
    mapType: map.type, keySize: map.keySize, valueSize: map.valueSize, maxEntries: map.maxEntries, mapFlags: map.mapFlags,
    ...(name === undefined ? {} : { mapName: name }),
    mapExtra: map.mapExtra, numaNode: map.numaNode, btfVmlinuxValueTypeId: kern.kernValueTypeId,
    ...(obj.btfFd === undefined ? {} : { btfFd: obj.btfFd }),
    ...(obj.tokenFd === undefined ? {} : { tokenFd: obj.tokenFd }),
  });
}

/** libbpf's `kernel_needs_btf`: an object with struct_ops cannot go on when its BTF fails to load. @example requireStructOpsBtf(obj, 'EINVAL: …'); */
export function requireStructOpsBtf(obj: BpfObject, btfError: string | undefined): void {
  if (btfError === undefined || !obj.maps.some(isStructOpsMap)) return;
  if (!objectFeatures(obj).supports('BTF')) throw new BpfError('EOPNOTSUPP', 'libbpf:struct-ops-btf', 'struct_ops needs BTF, which the kernel does not support (FEAT_BTF)');
  const name = btfError.slice(0, Math.max(0, btfError.indexOf(':')));
  const code: ErrnoName = Object.hasOwn(Errno, name) ? (name as ErrnoName) : 'EINVAL';
  throw new BpfError(code, 'libbpf:struct-ops-btf', `Error loading .BTF into kernel: ${btfError}. BTF is mandatory, can't proceed.`);
}

/** libbpf's `bpf_object_prepare_struct_ops`: each slot's program fd into the value (as an `unsigned long`). @example prepareStructOpsValues(obj); */
export function prepareStructOpsValues(obj: BpfObject): void {
  for (const map of obj.maps) {
    const kern = kernOf.get(map);
    if (kern === undefined) continue;
    const v = new DataView(kern.value.buffer, kern.value.byteOffset);
    for (const s of kern.slots) {
      const fd = obj.programs.find((p) => p.name === s.program)?.fd ?? -1;
      v.setBigInt64(s.offset, BigInt(fd), true);
    }
  }
}

/**
 * libbpf's `bpf_map__attach_struct_ops`: writes the prepared value to element 0 (which
 * registers a plain `.struct_ops` map; EBUSY is ignored for link maps, as libbpf does), then
 * for `BPF_F_LINK` maps creates the BPF_LINK_CREATE struct_ops link that registers it.
 *
 * @example
 * const link = attachStructOps(host, obj.map('kit_link'));
 * link.detach();
 */
export function attachStructOps(host: LibbpfHost, map: BpfMap): StructOpsLink {
  const kern = kernOf.get(map);
  if (!isStructOpsMap(map)) throw new BpfError('EINVAL', 'libbpf:not-struct-ops', `map '${map.name}': can't attach non-struct_ops map`);
  if (map.fd < 0 || kern === undefined) throw new BpfError('EINVAL', 'libbpf:map-not-created', `map '${map.name}': can't attach BPF map without FD (was it created?)`);
  const mapFd = map.fd;
  const isLink = (map.mapFlags & BPF_F_LINK) !== 0;
  try {
    bpfMapUpdateElem(host, mapFd, new Uint8Array(4), kern.value, 0);
  } catch (e) {
    if (!isLink || !(e instanceof BpfError) || e.code !== 'EBUSY') throw e;
  }
  if (!isLink) return { fd: mapFd, isLink, detach: () => { bpfMapDeleteElem(host, mapFd, new Uint8Array(4)); } };
  const fd = bpfLinkCreate(host, mapFd, 0, BpfAttachType.BPF_STRUCT_OPS);
  return { fd, isLink, detach: () => { host.close(fd); } };
}
