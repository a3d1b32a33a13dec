import { BpfError, type BtfTypeView, type BtfView } from '@bpfkit/kernel-api';
import { BPF_F_LINK, BpfMapType, BpfProgType } from '@bpfkit/uapi';
import { check } from '../bpf/check.js';
import { progGet, type MapFd } from '../bpf/fd-get.js';
import type { MapRecord } from '../bpf/map-record.js';
import type { BpfObject } from '../bpf/objects.js';
import { findStructOpsByValue, vmlinuxView, type StructOpsDesc } from '../bpf/struct-ops.js';
import type { SyscallContext } from '../task/syscall-context.js';
import { liveMap } from './map-elem.js';

/** `enum bpf_struct_ops_state`, as the value's header holds it. */
const STATE_INIT = 0;
const STATE_INUSE = 1;
const STATE_READY = 3;

/** What an updated struct_ops map holds: its programs, and the registration while it is in use. */
interface StructOpsMapState {
  readonly desc: StructOpsDesc;
  readonly progs: BpfObject[];
  readonly data: Uint8Array;
  /** The registration's reference on the map (a map in use is not freed before its delete). */
  registration: BpfObject | undefined;
}

const states = new WeakMap<MapRecord, StructOpsMapState>();

const u32At = (b: Uint8Array, off: number): number => new DataView(b.buffer, b.byteOffset + off, 4).getUint32(0, true);

/** `check_zero_holes`: the bytes between (and after) the struct's members are zero. */
function zeroHoles(btf: BtfView, t: BtfTypeView, data: Uint8Array): boolean {
  let end = 0;
  for (const m of t.members ?? []) {
    const off = m.bitsOffset / 8;
    if (off > end && data.subarray(end, off).some((b) => b !== 0)) return false;
    end = off + (btf.typeIdSize(m.type)?.size ?? 0);
  }
  return !data.subarray(end, t.size ?? 0).some((b) => b !== 0);
}

function descOf(task: SyscallContext, m: MapFd): { desc: StructOpsDesc; btf: BtfView } {
  const btf = vmlinuxView(task.core);
  const desc = btf === undefined ? undefined : findStructOpsByValue(btf, m.map.btfVmlinuxValueTypeId);
  if (btf === undefined || desc === undefined) throw new BpfError('ENOTSUPP', 'struct-ops:no-desc', `map #${m.obj.id} names no registered struct_ops value type`);
  return { desc, btf };
}

function stateOf(m: MapFd): number {
  return u32At(liveMap(m).sysLookup(new Uint8Array(4), 0), 4);
}

function putAll(objs: BpfObject[]): void {
  for (const o of objs.splice(0)) o.put();
}

/**
 * `bpf_struct_ops_map_update_elem` (kernel/bpf/bpf_struct_ops.c), in its order: no flags
 * (EINVAL), key 0 (E2BIG), zero holes in the value and in its struct, a zero header
 * (EINVAL), not updated before (EBUSY); then each member: a `struct module *` the kernel
 * fills (a non-zero one makes the update a silent no-op, as 6.18 does), the subsystem's
 * `init_member`, zero non-callback members (EINVAL), and in each callback slot a program
 * fd (EBADF, or EINVAL unless a struct_ops program loaded for this struct and member);
 * then `validate`, and `reg` unless the map is BPF_F_LINK (that one waits for its link).
 * The value a lookup reads keeps the user's bytes with program ids in the slots.
 */
export function structOpsMapUpdate(task: SyscallContext, m: MapFd, key: Uint8Array, value: Uint8Array, flags: number): void {
  const core = task.core;
  const id = 'bpf_struct_ops_map_update_elem';
  check(core, `${id}:flags`, flags === 0, 'EINVAL', 'map:flags', { pass: 'flags is 0', fail: 'struct_ops updates take no flags' });
  check(core, `${id}:key`, u32At(key, 0) === 0, 'E2BIG', 'map:key-out-of-range', { pass: 'key is 0', fail: 'a struct_ops map has only key 0' });
  const { desc, btf } = descOf(task, m);
  const data = value.slice(desc.dataOffset, desc.dataOffset + (desc.type.size ?? 0));
  check(core, `${id}:check_zero_holes`, zeroHoles(btf, desc.valueType, value) && zeroHoles(btf, desc.type, data), 'EINVAL', 'struct-ops:holes', {
    pass: 'padding in the value is zero', fail: `padding in the bpf_struct_ops_${desc.def.name} value or its data is not zero`,
  });
  check(core, `${id}:header`, u32At(value, 0) === 0 && u32At(value, 4) === 0, 'EINVAL', 'struct-ops:header', {
    pass: 'refcnt and state are zero', fail: 'the value sets common.refcnt or common.state',
  });
  check(core, `${id}:state`, stateOf(m) === STATE_INIT, 'EBUSY', 'struct-ops:busy', {
    pass: `map #${m.obj.id} is in its initial state`, fail: `map #${m.obj.id} was already updated (a struct_ops value is set once)`,
  });
  const uvalue = value.slice(0, m.map.info.valueSize);
  const dv = new DataView(uvalue.buffer);
  const progs: BpfObject[] = [];
  try {
    for (const member of desc.members) {
      const bytes = data.subarray(member.offset, member.offset + member.size);
      if (member.isModule) {
        // 6.18 leaves the update here without an error and without a value.
        if (bytes.some((b) => b !== 0)) {
          putAll(progs);
          return;
        }
        continue;
      }
      if (desc.def.initMember(core, member, data)) continue;
      if (!member.isFuncPtr) {
        check(core, `${id}:member`, !bytes.some((b) => b !== 0), 'EINVAL', 'struct-ops:member-not-zero', {
          pass: `${member.name} is zero`, fail: `${member.name} is not a callback and must be zero`,
        });
        continue;
      }
      const fd = new DataView(bytes.buffer, bytes.byteOffset, 4).getInt32(0, true);
      if (fd === 0) continue;
      const p = progGet(task, fd, id);
      const ok = p.prog.progType === BpfProgType.BPF_PROG_TYPE_STRUCT_OPS && p.prog.attachBtfId === desc.typeId &&
        p.prog.attachBtfObjId === 1 && p.prog.expectedAttachType === member.index;
      check(core, `${id}:prog`, ok, 'EINVAL', 'struct-ops:prog-mismatch', {
        pass: `program #${p.obj.id} was loaded for ${desc.def.name}.${member.name}`,
        fail: `program #${p.obj.id} was not loaded for ${desc.def.name}.${member.name} (struct_ops, attach_btf_id ${desc.typeId}, expected_attach_type ${member.index})`,
      });
      progs.push(p.obj.get());
      dv.setBigUint64(desc.dataOffset + member.offset, BigInt(p.obj.id), true);
    }
    desc.def.validate(core, data, desc.members);
    const isLink = (m.map.info.mapFlags & BPF_F_LINK) !== 0;
    if (!isLink) desc.def.reg(core, data, desc.members);
    liveMap(m).sysUpdate(key, uvalue, 0, {});
    const prior = states.get(m.map);
    if (prior !== undefined) putAll(prior.progs);
    states.set(m.map, { desc, progs, data, registration: isLink ? undefined : m.obj.get() });
  } catch (e) {
    putAll(progs);
    throw e;
  }
}

/**
 * `bpf_struct_ops_map_delete_elem`: a BPF_F_LINK map is EOPNOTSUPP; a map in use is
 * unregistered (to be freed: a later delete is EINPROGRESS, an update EBUSY); one never
 * updated is ENOENT. The key is not looked at.
 */
export function structOpsMapDelete(task: SyscallContext, m: MapFd, key: Uint8Array): void {
  const live = liveMap(m);
  const prior = stateOf(m);
  live.sysDelete(key);
  const st = states.get(m.map);
  if (prior !== STATE_INUSE || st === undefined) return;
  st.desc.def.unreg(task.core, st.data, st.desc.members);
  const reg = st.registration;
  st.registration = undefined;
  reg?.put();
}

/** Drops the programs a freed struct_ops map held. */
export function structOpsMapFree(map: MapRecord): void {
  const st = states.get(map);
  if (st === undefined) return;
  putAll(st.progs);
  states.delete(map);
}

/** A struct_ops map registered through a BPF link: `release` unregisters it and drops the link's map reference. */
export interface StructOpsLinkAttachment {
  readonly map: BpfObject;
  release(): void;
}

/**
 * `bpf_struct_ops_link_create` for BPF_LINK_CREATE with `attach_type` BPF_STRUCT_OPS (called before
 * anything else of `link_create`; `flags` and `target_fd` are not looked at): `map_fd` must be a
 * BPF_F_LINK struct_ops map whose value was set (ready), else EINVAL (EBADF for a closed fd);
 * then the subsystem's `reg` (EEXIST for a congestion-control name already taken, a second link
 * on the same map included). The link holds the map until released, which unregisters.
 *
 * @example
 * const att = structOpsLinkAttach(task, mapGet(task, attr.map_fd, 'link_create'));
 * // the link's release: att.release();
 */
export function structOpsLinkAttach(task: SyscallContext, m: MapFd): StructOpsLinkAttachment {
  const core = task.core;
  const id = 'bpf_struct_ops_link_create';
  const st = states.get(m.map);
  const ready = m.map.info.mapType === BpfMapType.BPF_MAP_TYPE_STRUCT_OPS && (m.map.info.mapFlags & BPF_F_LINK) !== 0 &&
    st !== undefined && stateOf(m) === STATE_READY;
  check(core, `${id}:map`, ready, 'EINVAL', 'struct-ops:link-map', {
    pass: `map #${m.obj.id} is a BPF_F_LINK struct_ops map with its value set`,
    fail: `map #${m.obj.id} is not a BPF_F_LINK struct_ops map whose value was set`,
  });
  if (st === undefined) throw new BpfError('EINVAL', 'struct-ops:link-map', 'no struct_ops value');
  st.desc.def.reg(core, st.data, st.desc.members);
  const map = m.obj.get();
  let held = true;
  return {
    map,
    release() {
      if (!held) return;
      held = false;
      st.desc.def.unreg(core, st.data, st.desc.members);
      map.put();
    },
  };
}
