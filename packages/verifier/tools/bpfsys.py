import ctypes, os, struct, errno
libc = ctypes.CDLL(None, use_errno=True)
NR_BPF = 321
def bpf(cmd, attr: bytes):
    buf = ctypes.create_string_buffer(attr, len(attr))
    r = libc.syscall(NR_BPF, cmd, buf, len(attr))
    if r < 0:
        return -ctypes.get_errno()
    return r
def map_create(t, k=4, v=8, n=1, flags=0, inner=0, numa=0, extra=0, vmlinux_vt=0, btf_fd=0, kid=0, vid=0):
    a = struct.pack('<IIIIIII16sIIIII Q', t, k, v, n, flags, inner, numa, b'probe', 0, btf_fd, kid, vid, vmlinux_vt, extra)
    a = a + b'\0' * (128 - len(a))
    r = bpf(0, a)
    if r >= 0:
        os.close(r); return 'ok'
    return errno.errorcode.get(-r, str(-r))
def map_fd(t, k=4, v=8, n=1, flags=0, inner=0):
    a = struct.pack('<IIIIIII16sIIIII Q', t, k, v, n, flags, inner, 0, b'probe', 0, 0, 0, 0, 0, 0)
    a = a + b'\0' * (128 - len(a))
    return bpf(0, a)

def insn(op, dst=0, src=0, off=0, imm=0):
    return struct.pack('<BBhi', op, (src << 4) | dst, off, imm)

def prog_load(ptype, insns: bytes, eat=0, log_level=1, log_size=65536, flags=0, attach_btf_id=0, license=b'GPL\0'):
    ib = ctypes.create_string_buffer(insns, len(insns))
    lic = ctypes.create_string_buffer(license, len(license))
    log = ctypes.create_string_buffer(log_size if log_size else 1)
    a = bytearray(160)
    struct.pack_into('<IIQQIIQII', a, 0, ptype, len(insns)//8, ctypes.addressof(ib), ctypes.addressof(lic), log_level, log_size, ctypes.addressof(log) if log_size else 0, 0, flags)
    struct.pack_into('<I', a, 68, eat)
    struct.pack_into('<I', a, 108, attach_btf_id)
    r = bpf(5, bytes(a))
    text = log.value.decode(errors='replace')
    if r >= 0:
        os.close(r); return ('ok', text)
    return (errno.errorcode.get(-r, str(-r)), text)

class CapHdr(ctypes.Structure):
    _fields_ = [('version', ctypes.c_uint32), ('pid', ctypes.c_int)]
class CapData(ctypes.Structure):
    _fields_ = [('effective', ctypes.c_uint32), ('permitted', ctypes.c_uint32), ('inheritable', ctypes.c_uint32)]
def drop_caps(*caps):
    h = CapHdr(0x20080522, 0); d = (CapData * 2)()
    assert libc.capget(ctypes.byref(h), d) == 0
    for c in caps:
        d[c // 32].effective &= ~(1 << (c % 32))
    assert libc.capset(ctypes.byref(h), d) == 0
CAP_NET_ADMIN, CAP_SYS_ADMIN, CAP_PERFMON, CAP_BPF = 12, 21, 38, 39
