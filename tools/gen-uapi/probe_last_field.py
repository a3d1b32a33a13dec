#!/usr/bin/env python3
"""Checks packages/uapi's <CMD>_LAST_FIELD table against the running kernel (needs root and a built uapi).

For each command it sends an all-zero attr with one non-zero byte, first inside the last field, then just
after it. CHECK_ATTR makes the second EINVAL; when the first gives another result, the boundary is confirmed.
"""
import ctypes, errno, json, os, subprocess
from pathlib import Path

root = Path(__file__).resolve().parents[2]
ends = json.loads(subprocess.check_output(
    ['node', '-e', "import('./dist/index.js').then(u=>{const o={};for(let c=0;c<u.MAX_BPF_CMD;c++)o[c]=u.lastFieldEnd(c);"
     "console.log(JSON.stringify(o))})"], cwd=root / 'packages/uapi'))
size = json.loads(subprocess.check_output(
    ['node', '-e', "import('./dist/index.js').then(u=>console.log(u.BPF_ATTR_SIZE))"], cwd=root / 'packages/uapi'))
libc = ctypes.CDLL(None, use_errno=True)


def bpf(cmd, attr):
    buf = ctypes.create_string_buffer(bytes(attr), len(attr))
    r = libc.syscall(321, cmd, buf, len(attr))  # __NR_bpf on x86-64
    e = ctypes.get_errno()
    if r >= 0:
        if cmd != 32:
            os.close(r)
        return 'ok'
    return errno.errorcode[e]


bad = 0
for cmd, end in ends.items():
    results = []
    for off in (end - 1, end):
        if off >= size:
            results.append(None)
            continue
        attr = bytearray(size)
        attr[off] = 0x80
        results.append(bpf(int(cmd), attr))
    inside, after = results
    verdict = 'confirmed' if after in (None, 'EINVAL') and inside != 'EINVAL' else (
        'consistent' if after in (None, 'EINVAL') else 'WRONG')
    bad += verdict == 'WRONG'
    print(f'cmd {cmd:>2} end {end:>3}: inside {inside}, after {after} -> {verdict}')
raise SystemExit(1 if bad else 0)
