import { isBpfError, MAP_SHARED, PROT_READ, PROT_WRITE, type BpfSyscall, type Task } from '@bpfkit/kernel-api';
import {
  BpfCmd,
  encodeAttr,
  encodeBtfLoadAttr,
  encodeMapCreateAttr,
  encodeMapElemAttr,
  encodeProgLoadAttr,
  decodeProgLoadAttr,
  encodeTestRunAttr,
  decodeTestRunAttr,
  type MapCreateAttr,
  type ProgLoadAttr,
} from '@bpfkit/uapi';

/** A caller that is a whole task (the simulated kernel's), which can mmap. */
function canMmap(sys: BpfSyscall): sys is BpfSyscall & Pick<Task, 'mmap'> {
  return typeof (sys as Partial<Pick<Task, 'mmap'>>).mmap === 'function';
}

/** `bpf()` calls of a replay, with user buffers allocated and freed around each call. */
export class ReplaySys {
  /** fds this replay opened; {@link closeAll} closes them. */
  readonly #fds: number[] = [];

  constructor(readonly sys: BpfSyscall) {}

  /** Runs `fn` with `bytes` copied into the caller's memory; the buffer is freed afterwards. */
  withBuffer<T>(bytes: Uint8Array, fn: (addr: bigint) => T): T {
    const addr = this.sys.memory.alloc(bytes);
    try {
      return fn(addr);
    } finally {
      this.sys.memory.free(addr);
    }
  }

  track(fd: number): number {
    this.#fds.push(fd);
    return fd;
  }

  loadBtf(blob: Uint8Array): number {
    return this.withBuffer(blob, (btf) => this.track(this.sys.bpf(BpfCmd.BPF_BTF_LOAD, encodeBtfLoadAttr({ btf, btf_size: blob.length }))));
  }

  createMap(attr: MapCreateAttr): number {
    return this.track(this.sys.bpf(BpfCmd.BPF_MAP_CREATE, encodeMapCreateAttr(attr)));
  }

  updateElem(fd: number, key: Uint8Array, value: Uint8Array, flags = 0n): void {
    this.withBuffer(key, (k) => this.withBuffer(value, (v) => this.sys.bpf(BpfCmd.BPF_MAP_UPDATE_ELEM, encodeMapElemAttr({ map_fd: fd, key: k, value: v, flags }))));
  }

  /**
   * libbpf's mmap of an ARENA map after creating it (`MAP_SHARED`, read-write, `bytes` long),
   * where the caller can map (a simulated task); false where it cannot.
   */
  mmapArena(fd: number, bytes: number): boolean {
    if (!canMmap(this.sys)) return false;
    this.sys.mmap(fd, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
    return true;
  }

  freeze(fd: number): void {
    this.sys.bpf(BpfCmd.BPF_MAP_FREEZE, encodeAttr(BpfCmd.BPF_MAP_FREEZE, { map_fd: fd }));
  }

  /**
   * `BPF_PROG_LOAD` with a log buffer; the log is read back whatever the
   * outcome. `buffers` are copied in and their addresses given to `attr`.
   */
  progLoad(
    attr: (addrs: { insns: bigint; license: bigint; logBuf: bigint; extra: readonly bigint[] }) => ProgLoadAttr,
    insns: Uint8Array,
    license: string,
    logSize: number,
    extra: readonly Uint8Array[],
  ): { fd: number; log: string } | { errno: string; log: string } {
    const mem = this.sys.memory;
    const insnsAddr = mem.alloc(insns);
    const licenseAddr = mem.alloc(new TextEncoder().encode(`${license}\0`));
    const logBuf = logSize > 0 ? mem.alloc(logSize) : 0n;
    const extraAddrs = extra.map((b) => (b.length === 0 ? 0n : mem.alloc(b)));
    const encoded = encodeProgLoadAttr(attr({ insns: insnsAddr, license: licenseAddr, logBuf, extra: extraAddrs }));
    // Read only what the kernel says it wrote (log_true_size), not the whole 16 MiB buffer.
    const readLog = (): string => {
      if (logBuf === 0n) return '';
      const written = decodeProgLoadAttr(encoded).log_true_size;
      const bytes = mem.read(logBuf, Math.min(logSize, written > 0 ? written : logSize));
      const nul = bytes.indexOf(0);
      return new TextDecoder().decode(nul < 0 ? bytes : bytes.subarray(0, nul));
    };
    try {
      const fd = this.sys.bpf(BpfCmd.BPF_PROG_LOAD, encoded);
      return { fd: this.track(fd), log: readLog() };
    } catch (e) {
      if (!isBpfError(e)) throw e;
      return { errno: e.code, log: e.log ?? readLog() };
    } finally {
      mem.free(insnsAddr);
      mem.free(licenseAddr);
      if (logBuf !== 0n) mem.free(logBuf);
      for (const a of extraAddrs) if (a !== 0n) mem.free(a);
    }
  }

  /** `BPF_PROG_TEST_RUN` once; `data` undefined runs with empty options (SYSCALL programs). */
  testRun(progFd: number, data: Uint8Array | undefined, dataOutSize: number): { retval: number; errno: number; dataOut: Uint8Array | undefined } {
    const mem = this.sys.memory;
    const dataIn = data === undefined || data.length === 0 ? 0n : mem.alloc(data);
    const dataOut = data === undefined ? 0n : mem.alloc(dataOutSize);
    try {
      // No data means the empty test-run options the harness gave SYSCALL programs: repeat 0 too, which they require.
      const attr = encodeTestRunAttr({
        prog_fd: progFd,
        ...(data === undefined ? {} : { repeat: 1, data_in: dataIn, data_size_in: data.length, data_out: dataOut, data_size_out: dataOutSize }),
      });
      try {
        this.sys.bpf(BpfCmd.BPF_PROG_TEST_RUN, attr);
      } catch (e) {
        if (!isBpfError(e)) throw e;
        return { retval: decodeTestRunAttr(attr).retval, errno: e.errno, dataOut: undefined };
      }
      const out = decodeTestRunAttr(attr);
      const size = Math.min(out.data_size_out, dataOutSize);
      return { retval: out.retval, errno: 0, dataOut: dataOut === 0n ? undefined : mem.read(dataOut, size) };
    } finally {
      if (dataIn !== 0n) mem.free(dataIn);
      if (dataOut !== 0n) mem.free(dataOut);
    }
  }

  /** Closes every fd the replay opened, newest first. */
  closeAll(): void {
    for (const fd of this.#fds.splice(0).reverse()) {
      try {
        this.sys.close(fd);
      } catch (e) {
        if (!isBpfError(e)) throw e;
      }
    }
  }
}

/** Hex (two digits a byte) to bytes. */
export function fromHex(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** Bytes to hex, two lowercase digits a byte. */
export function toHex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}
