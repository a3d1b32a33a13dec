import { BpfError, type MemoryMapping, type Task } from '@bpfkit/kernel-api';
import { BpfCmd, decodeAttr, type ErrnoName } from '@bpfkit/uapi';
import type { LibbpfHost } from '@bpfkit/libbpf';

/** One bpf() call a {@link recordingHost} saw. */
export interface Call {
  readonly cmd: number;
  readonly attr: Uint8Array;
  /** For BPF_BTF_LOAD: the raw BTF, read when the call was made. */
  readonly btf?: Uint8Array;
}

/** A refusal rule: the errno to fail the call with, or undefined to pass it on. */
export type Refuse = (cmd: number, attr: Uint8Array, host: LibbpfHost) => ErrnoName | undefined;

/**
 * A host over a simulated task that records every bpf() call and can refuse some (a kernel
 * lacking a feature), and optionally replaces mmap.
 */
export function recordingHost(task: Task, refuse?: Refuse, mmap?: LibbpfHost['mmap']): { host: LibbpfHost; calls: Call[] } {
  const calls: Call[] = [];
  const host: LibbpfHost = {
    memory: task.memory,
    bpf(cmd, attr) {
      calls.push({ cmd, attr: attr.slice(), ...(cmd === BpfCmd.BPF_BTF_LOAD ? { btf: btfOf(host, attr) } : {}) });
      const errno = refuse?.(cmd, attr, host);
      if (errno !== undefined) throw new BpfError(errno, 'test:refused', `refused by the test host (cmd ${String(cmd)})`);
      return task.bpf(cmd, attr);
    },
    close: (fd) => { task.close(fd); },
    open: (path, flags) => task.open(path, flags),
    mmap: mmap ?? ((fd: number, length: number, prot: number, flags: number, offset?: number): MemoryMapping => task.mmap(fd, length, prot, flags, offset)),
  };
  return { host, calls };
}

/** The name a BPF_PROG_LOAD attr carries. */
export function progNameOf(attr: Uint8Array): string {
  const name = decodeAttr(BpfCmd.BPF_PROG_LOAD, attr).prog_name;
  const end = name.indexOf(0);
  return new TextDecoder().decode(end < 0 ? name : name.subarray(0, end));
}

/** The raw BTF a BPF_BTF_LOAD attr points to. */
export function btfOf(host: LibbpfHost, attr: Uint8Array): Uint8Array {
  const a = decodeAttr(BpfCmd.BPF_BTF_LOAD, attr);
  return host.memory.read(a.btf, a.btf_size);
}

/** The BTF kinds (numbers) of raw BTF. */
export function btfKinds(raw: Uint8Array): number[] {
  const v = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const hdr = v.getUint32(4, true);
  const off = hdr + v.getUint32(8, true);
  const len = v.getUint32(12, true);
  const kinds: number[] = [];
  for (let p = off; p + 12 <= off + len;) {
    const info = v.getUint32(p + 4, true);
    const kind = (info >>> 24) & 0x1f;
    const vlen = info & 0xffff;
    kinds.push(kind);
    p += 12 + extra(kind, vlen);
  }
  return kinds;
}

function extra(kind: number, vlen: number): number {
  if (kind === 1 || kind === 14 || kind === 17) return 4;
  if (kind === 3) return 12;
  if (kind === 4 || kind === 5 || kind === 15 || kind === 19) return vlen * 12;
  if (kind === 6 || kind === 13) return vlen * 8;
  return 0;
}
