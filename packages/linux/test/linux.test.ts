import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { BpfError, isBpfError } from '@bpfkit/kernel-api';
import { createLinuxSyscall, linuxBpfAvailability } from '@bpfkit/linux';
import {
  BPF_ATTR_SIZE,
  BpfCmd,
  BpfMapType,
  BpfProgType,
  PAGE_SIZE,
  decodeProgLoadAttr,
  encodeBtfLoadAttr,
  encodeMapCreateAttr,
  encodeProgLoadAttr,
} from '@bpfkit/uapi';
import { BTF_INT, GPL, RETURN_ZERO, exit, program } from './support/bpf-bytes.js';
import { whenLinuxBpf } from './support/skip.js';

const ARRAY = { map_type: BpfMapType.BPF_MAP_TYPE_ARRAY, key_size: 4, value_size: 8, max_entries: 4 };

test('without a working compiler and no cached bridge, createLinuxSyscall throws ENOSYS linux:unavailable', (t) => {
  const cacheDir = mkdtempSync(join(tmpdir(), 'bpfkit-linux-test-'));
  try {
    const options = { cacheDir, compiler: '/nonexistent/cc' };
    const e = t.throws(() => createLinuxSyscall(options), { instanceOf: BpfError });
    t.is(e?.code, 'ENOSYS');
    t.is(e?.reason, 'linux:unavailable');
    const a = linuxBpfAvailability(options);
    t.false(a.available);
  } finally {
    rmSync(cacheDir, { recursive: true, force: true });
  }
});

test('createLinuxSyscall rejects unknown options', (t) => {
  t.throws(() => createLinuxSyscall({ cacheDirectory: '/tmp' } as never), { instanceOf: TypeError });
});

whenLinuxBpf('linux', () => {
  const sys = createLinuxSyscall();

  test('BPF_BTF_LOAD of a minimal BTF (one int) returns an fd', (t) => {
    const btf = sys.memory.alloc(BTF_INT);
    const fd = sys.bpf(BpfCmd.BPF_BTF_LOAD, encodeBtfLoadAttr({ btf, btf_size: BTF_INT.length }));
    t.true(fd > 2);
    sys.close(fd);
    sys.memory.free(btf);
  });

  test('BPF_MAP_CREATE of an array returns an fd, which close() releases', (t) => {
    const fd = sys.bpf(BpfCmd.BPF_MAP_CREATE, encodeMapCreateAttr(ARRAY));
    t.true(fd > 2);
    t.notThrows(() => {
      sys.close(fd);
    });
  });

  // Not a double close: other test files share this process's fd numbers (ava worker threads).
  test('close() of an fd that is not open is EBADF (linux:close)', (t) => {
    const e = t.throws(() => {
      sys.close(0x7fff_fff0);
    }, { instanceOf: BpfError });
    t.is(e?.code, 'EBADF');
    t.is(e?.reason, 'linux:close');
  });

  test('BPF_PROG_LOAD of `r0 = 0; exit` as a socket filter writes the verifier log and log_true_size', (t) => {
    const insns = sys.memory.alloc(RETURN_ZERO);
    const license = sys.memory.alloc(GPL);
    const logBuf = sys.memory.alloc(4096);
    const attr = encodeProgLoadAttr({
      prog_type: BpfProgType.BPF_PROG_TYPE_SOCKET_FILTER, insn_cnt: 2, insns, license,
      log_level: 1, log_size: 4096, log_buf: logBuf,
    });
    const fd = sys.bpf(BpfCmd.BPF_PROG_LOAD, attr);
    t.true(fd > 2);
    sys.close(fd);
    const log = new TextDecoder().decode(sys.memory.read(logBuf, 4096)).replace(/\0[\s\S]*$/, '');
    t.regex(log, /processed 2 insns/);
    t.is(decodeProgLoadAttr(attr).log_true_size, log.length + 1);
    for (const a of [insns, license, logBuf]) sys.memory.free(a);
  });

  test('a PROG_LOAD the verifier refuses throws EACCES with the kernel log in BpfError.log', (t) => {
    const insns = sys.memory.alloc(program(exit()));
    const license = sys.memory.alloc(GPL);
    const logBuf = sys.memory.alloc(1024);
    const attr = encodeProgLoadAttr({
      prog_type: BpfProgType.BPF_PROG_TYPE_SOCKET_FILTER, insn_cnt: 1, insns, license,
      log_level: 1, log_size: 1024, log_buf: logBuf,
    });
    const e = t.throws(() => sys.bpf(BpfCmd.BPF_PROG_LOAD, attr), { instanceOf: BpfError });
    t.is(e?.code, 'EACCES');
    t.is(e?.reason, 'linux:prog_load');
    t.regex(e?.log ?? '', /R0 !read_ok/);
    t.regex(e?.message ?? '', /R0 !read_ok|processed/);
    for (const a of [insns, license, logBuf]) sys.memory.free(a);
  });

  test("a non-zero byte past MAP_CREATE's last field (CHECK_ATTR) is EINVAL", (t) => {
    const attr = encodeMapCreateAttr(ARRAY, BPF_ATTR_SIZE);
    attr[92] = 1;
    const e = t.throws(() => sys.bpf(BpfCmd.BPF_MAP_CREATE, attr), { instanceOf: BpfError });
    t.is(e?.code, 'EINVAL');
    t.is(e?.reason, 'linux:map_create');
  });

  test('an attr longer than sizeof(union bpf_attr) is accepted when the extra bytes are zero, E2BIG when one is not', (t) => {
    const attr = encodeMapCreateAttr(ARRAY, BPF_ATTR_SIZE + 8);
    sys.close(sys.bpf(BpfCmd.BPF_MAP_CREATE, attr));
    attr[BPF_ATTR_SIZE + 3] = 1;
    t.is(t.throws(() => sys.bpf(BpfCmd.BPF_MAP_CREATE, attr), { instanceOf: BpfError })?.code, 'E2BIG');
    t.is(t.throws(() => sys.bpf(BpfCmd.BPF_MAP_CREATE, encodeMapCreateAttr(ARRAY, PAGE_SIZE + 1)), { instanceOf: BpfError })?.code, 'E2BIG');
  });

  test('an unknown command is EINVAL with reason linux:cmd_<n>', (t) => {
    const e = t.throws(() => sys.bpf(999, new Uint8Array(8)), { instanceOf: BpfError });
    t.is(e?.code, 'EINVAL');
    t.is(e?.reason, 'linux:cmd_999');
  });

  test('memory: alloc copies the init bytes, read/write outside an allocation is EFAULT, free of a non-allocation is EFAULT', (t) => {
    const a = sys.memory.alloc(Uint8Array.of(1, 2, 3, 4));
    t.deepEqual(sys.memory.read(a, 4), Uint8Array.of(1, 2, 3, 4));
    sys.memory.write(a + 2n, Uint8Array.of(9, 9));
    t.deepEqual(sys.memory.read(a, 4), Uint8Array.of(1, 2, 9, 9));
    t.true(isBpfError(t.throws(() => sys.memory.read(a, 5)), 'EFAULT'));
    t.true(isBpfError(t.throws(() => {
      sys.memory.write(a + 3n, Uint8Array.of(1, 2));
    }), 'EFAULT'));
    t.true(isBpfError(t.throws(() => sys.memory.read(8n, 1)), 'EFAULT'));
    sys.memory.free(a);
    t.true(isBpfError(t.throws(() => {
      sys.memory.free(a);
    }), 'EFAULT'));
    t.true(isBpfError(t.throws(() => sys.memory.read(a, 1)), 'EFAULT'));
  });

  test('a log buffer that overruns its allocation into mapped memory is refused with EFAULT before the kernel writes', (t) => {
    const insns = sys.memory.alloc(RETURN_ZERO);
    const license = sys.memory.alloc(GPL);
    const logBuf = sys.memory.alloc(16);
    const attr = encodeProgLoadAttr({
      prog_type: BpfProgType.BPF_PROG_TYPE_SOCKET_FILTER, insn_cnt: 2, insns, license,
      log_level: 1, log_size: 4096, log_buf: logBuf,
    });
    const e = t.throws(() => sys.bpf(BpfCmd.BPF_PROG_LOAD, attr), { instanceOf: BpfError });
    t.is(e?.code, 'EFAULT');
    t.is(e?.reason, 'linux:unowned-pointer');
    for (const a of [insns, license, logBuf]) sys.memory.free(a);
  });

  test('an unmapped log buffer reaches the kernel, which answers EFAULT itself', (t) => {
    const insns = sys.memory.alloc(RETURN_ZERO);
    const license = sys.memory.alloc(GPL);
    const attr = encodeProgLoadAttr({
      prog_type: BpfProgType.BPF_PROG_TYPE_SOCKET_FILTER, insn_cnt: 2, insns, license,
      log_level: 1, log_size: 4096, log_buf: 0x1000n,
    });
    const e = t.throws(() => sys.bpf(BpfCmd.BPF_PROG_LOAD, attr), { instanceOf: BpfError });
    t.is(e?.code, 'EFAULT');
    t.is(e?.reason, 'linux:prog_load');
    for (const a of [insns, license]) sys.memory.free(a);
  });
});
