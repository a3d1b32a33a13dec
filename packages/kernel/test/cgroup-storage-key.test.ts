import test from 'ava';
import { BtfBuilder, BtfIntEncoding } from '@bpfkit/btf';
import { isBpfError, type Task } from '@bpfkit/kernel-api';
import { builtinVmlinuxBtf, createDefaultKernel } from '@bpfkit/kernel/defaults';
import { BpfCmd, BpfMapType, encodeAttr } from '@bpfkit/uapi';

const member = (name: string, type: number, bitsOffset: number) => ({ name, type, bitsOffset, bitfieldSize: 0 });

/** `struct bpf_cgroup_storage_key { __u64 cgroup_inode_id; __u32 attach_type; }` with the members typed through typedefs, as vmlinux.h spells them. */
function keyBtf(typedefs: boolean): { blob: Uint8Array; key: number; value: number } {
  const b = new BtfBuilder();
  const u64 = b.add({ kind: 'INT', name: 'unsigned long long', size: 8, encoding: 0, bitsOffset: 0, bits: 64 });
  const u32 = b.add({ kind: 'INT', name: 'unsigned int', size: 4, encoding: 0, bitsOffset: 0, bits: 32 });
  const t64 = typedefs ? b.add({ kind: 'TYPEDEF', name: '__u64', type: u64, kflag: false }) : u64;
  const t32 = typedefs ? b.add({ kind: 'TYPEDEF', name: '__u32', type: u32, kflag: false }) : u32;
  const key = b.add({ kind: 'STRUCT', name: 'bpf_cgroup_storage_key', size: 16, kflag: false, members: [member('cgroup_inode_id', t64, 0), member('attach_type', t32, 64)] });
  const value = b.add({ kind: 'INT', name: 'int', size: 4, encoding: BtfIntEncoding.SIGNED, bitsOffset: 0, bits: 32 });
  return { blob: b.encode(), key, value };
}

function create(task: Task, typedefs: boolean): string {
  const { blob, key, value } = keyBtf(typedefs);
  const btf = task.bpf(BpfCmd.BPF_BTF_LOAD, encodeAttr(BpfCmd.BPF_BTF_LOAD, { btf: task.memory.alloc(blob), btf_size: blob.length }));
  try {
    task.bpf(BpfCmd.BPF_MAP_CREATE, encodeAttr(BpfCmd.BPF_MAP_CREATE, {
      map_type: BpfMapType.BPF_MAP_TYPE_CGROUP_STORAGE, key_size: 16, value_size: 4, max_entries: 0, btf_fd: btf, btf_key_type_id: key, btf_value_type_id: value,
    }));
    return 'ok';
  } catch (e) {
    if (isBpfError(e)) return e.code;
    throw e;
  }
}

test('a cgroup storage key whose members are typedefs of u64 and u32 is accepted (btf_member_is_reg_int looks through typedefs)', (t) => {
  const task = createDefaultKernel({ vmlinuxBtf: builtinVmlinuxBtf }).init;
  t.is(create(task, true), 'ok');
  t.is(create(task, false), 'ok');
});
