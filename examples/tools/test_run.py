#!/usr/bin/env python3
"""BPF_PROG_TEST_RUN on a pinned program, for kernel-run.mjs (bpftool's `prog run`
always sends fields a raw_tp test run must leave empty, so it cannot run one).

Reads one JSON request on stdin, {"info": "/sys/fs/bpf/x/prog"} (prints the
program's verified_insns and xlated instruction count) or:
  {"prog": "/sys/fs/bpf/x/prog", "data_in": hex|null, "data_size_out": n,
   "ctx_in": hex|null, "ctx_size_out": n, "repeat": n,
   "ringbufs": [{"name": ..., "path": "/sys/fs/bpf/x_maps/events", "size": 65536}]}
and prints {"rc", "retval", "data_out"?, "ctx_out"?, "ringbuf_samples"?}. The run
happens on CPU 0 (this process pins itself there), as `bpfkit object run` assumes.
Ring buffer samples are consumed: the consumer position lives in the map.
"""
import ctypes
import json
import mmap
import os
import struct
import sys

SYS_BPF = 321  # x86_64
BPF_OBJ_GET = 7
BPF_PROG_TEST_RUN = 10
BPF_OBJ_GET_INFO_BY_FD = 15
PROG_INFO_SIZE = 232
PROG_INFO_XLATED_LEN = 20
PROG_INFO_VERIFIED_INSNS = 216
RINGBUF_BUSY = 1 << 31
RINGBUF_DISCARD = 1 << 30
RINGBUF_HDR = 8
PAGE = mmap.PAGESIZE

libc = ctypes.CDLL(None, use_errno=True)


def bpf(cmd, attr):
    buf = ctypes.create_string_buffer(bytes(attr), len(attr))
    rc = libc.syscall(SYS_BPF, cmd, buf, len(attr))
    return (-ctypes.get_errno() if rc < 0 else rc), buf.raw


def obj_get(path):
    name = ctypes.create_string_buffer(path.encode())
    rc, _ = bpf(BPF_OBJ_GET, struct.pack('<QII', ctypes.addressof(name), 0, 0))
    if rc < 0:
        raise OSError(-rc, f'BPF_OBJ_GET {path}')
    return rc


def drain_ringbuf(path, size):
    fd = obj_get(path)
    try:
        cons = mmap.mmap(fd, PAGE, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE, offset=0)
        prod = mmap.mmap(fd, PAGE + 2 * size, mmap.MAP_SHARED, mmap.PROT_READ, offset=PAGE)
    finally:
        os.close(fd)
    pos = struct.unpack_from('<Q', cons, 0)[0]
    end = struct.unpack_from('<Q', prod, 0)[0]
    samples = []
    while pos < end:
        at = PAGE + (pos & (size - 1))
        hdr = struct.unpack_from('<I', prod, at)[0]
        if hdr & RINGBUF_BUSY:
            break
        length = hdr & ~(RINGBUF_BUSY | RINGBUF_DISCARD)
        if not hdr & RINGBUF_DISCARD:
            samples.append(prod[at + RINGBUF_HDR:at + RINGBUF_HDR + length].hex())
        pos += (length + RINGBUF_HDR + 7) & ~7
    struct.pack_into('<Q', cons, 0, pos)
    return samples


def prog_info(path):
    fd = obj_get(path)
    info = ctypes.create_string_buffer(PROG_INFO_SIZE)
    rc, _ = bpf(BPF_OBJ_GET_INFO_BY_FD, struct.pack('<IIQ', fd, PROG_INFO_SIZE, ctypes.addressof(info)))
    os.close(fd)
    if rc < 0:
        return {'rc': rc}
    return {'xlated_insn_cnt': struct.unpack_from('<I', info, PROG_INFO_XLATED_LEN)[0] // 8,
            'verified_insns': struct.unpack_from('<I', info, PROG_INFO_VERIFIED_INSNS)[0]}


def main():
    req = json.load(sys.stdin)
    if 'info' in req:
        print(json.dumps(prog_info(req['info'])))
        return
    os.sched_setaffinity(0, {0})
    prog = obj_get(req['prog'])
    data_in = bytes.fromhex(req['data_in']) if req.get('data_in') else b''
    ctx_in = bytes.fromhex(req['ctx_in']) if req.get('ctx_in') else b''
    data_size_out = req.get('data_size_out') or 0
    ctx_size_out = req.get('ctx_size_out') or 0
    bufs = [ctypes.create_string_buffer(b, max(len(b), 1)) for b in (data_in, ctx_in)]
    outs = [ctypes.create_string_buffer(max(n, 1)) for n in (data_size_out, ctx_size_out)]
    addr = lambda b, n: ctypes.addressof(b) if n else 0  # noqa: E731
    attr = bytearray(80)
    struct.pack_into('<IIIIQQII', attr, 0, prog, 0, len(data_in), data_size_out,
                     addr(bufs[0], len(data_in)), addr(outs[0], data_size_out), req.get('repeat') or 0, 0)
    struct.pack_into('<IIQQ', attr, 40, len(ctx_in), ctx_size_out,
                     addr(bufs[1], len(ctx_in)), addr(outs[1], ctx_size_out))
    rc, out = bpf(BPF_PROG_TEST_RUN, attr)
    os.close(prog)
    res = {'rc': min(rc, 0)}
    if rc >= 0:
        retval = struct.unpack_from('<I', out, 4)[0]
        res['retval'] = retval
        res['retval_s32'] = retval - (1 << 32) if retval >= 1 << 31 else retval
        got_data, got_ctx = struct.unpack_from('<I', out, 12)[0], struct.unpack_from('<I', out, 44)[0]
        if data_size_out:
            res['data_out'] = outs[0].raw[:got_data].hex()
        if ctx_size_out:
            res['ctx_out'] = outs[1].raw[:got_ctx].hex()
    if req.get('ringbufs'):
        res['ringbuf_samples'] = [s for rb in req['ringbufs'] for s in drain_ringbuf(rb['path'], rb['size'])]
    print(json.dumps(res))


main()
