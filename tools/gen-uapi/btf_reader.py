"""A small reader for a raw BTF blob (/sys/kernel/btf/vmlinux): types by id and their names."""
import struct
from pathlib import Path

KIND_INT, KIND_PTR, KIND_ARRAY, KIND_STRUCT, KIND_UNION, KIND_ENUM = 1, 2, 3, 4, 5, 6
KIND_TYPEDEF, KIND_VOLATILE, KIND_CONST, KIND_RESTRICT, KIND_TYPE_TAG, KIND_ENUM64 = 8, 9, 10, 11, 18, 19
MODIFIERS = {KIND_TYPEDEF, KIND_VOLATILE, KIND_CONST, KIND_RESTRICT, KIND_TYPE_TAG}


class Btf:
    def __init__(self, path='/sys/kernel/btf/vmlinux'):
        data = Path(path).read_bytes()
        magic, _v, _f, hdr_len, type_off, type_len, str_off, str_len = struct.unpack_from('<HBBIIIII', data, 0)
        assert magic == 0xEB9F, 'not a BTF blob'
        types = data[hdr_len + type_off: hdr_len + type_off + type_len]
        self.strs = data[hdr_len + str_off: hdr_len + str_off + str_len]
        self.types = [None]  # id 0 is void
        pos = 0
        while pos < len(types):
            name_off, info, size_or_type = struct.unpack_from('<III', types, pos)
            pos += 12
            kind, vlen, kflag = (info >> 24) & 0x1f, info & 0xffff, bool(info >> 31)
            t = {'name': self.name(name_off), 'kind': kind, 'size': size_or_type, 'type': size_or_type, 'kflag': kflag}
            if kind == KIND_INT:
                enc = struct.unpack_from('<I', types, pos)[0]
                t['signed'] = bool((enc >> 24) & 1)
                t['bits'] = enc & 0xff
                pos += 4
            elif kind == KIND_ARRAY:
                t['elem'], t['index'], t['nelems'] = struct.unpack_from('<III', types, pos)
                pos += 12
            elif kind in (KIND_STRUCT, KIND_UNION):
                members = []
                for i in range(vlen):
                    n, ty, off = struct.unpack_from('<III', types, pos + 12 * i)
                    bitfield = (off >> 24) if kflag else 0
                    members.append({'name': self.name(n), 'type': ty, 'bit_offset': off & 0xffffff if kflag else off,
                                    'bitfield': bitfield})
                t['members'] = members
                pos += 12 * vlen
            elif kind == KIND_ENUM:
                t['values'] = [(self.name(n), v) for n, v in
                               (struct.unpack_from('<Ii' if kflag else '<II', types, pos + 8 * i) for i in range(vlen))]
                pos += 8 * vlen
            elif kind == KIND_ENUM64:
                vals = []
                for i in range(vlen):
                    n, lo, hi = struct.unpack_from('<III', types, pos + 12 * i)
                    v = lo | (hi << 32)
                    if kflag and v >= 1 << 63:
                        v -= 1 << 64
                    vals.append((self.name(n), v))
                t['values'] = vals
                pos += 12 * vlen
            else:
                pos += {13: 8 * vlen, 14: 4, 15: 12 * vlen, 17: 4}.get(kind, 0)
            self.types.append(t)

    def name(self, off):
        return self.strs[off: self.strs.index(b'\0', off)].decode()

    def resolve(self, tid):
        """Follows typedefs and qualifiers to the underlying type id."""
        while self.types[tid]['kind'] in MODIFIERS:
            tid = self.types[tid]['type']
        return tid

    def find(self, kind, name):
        for tid, t in enumerate(self.types):
            if t is not None and t['kind'] == kind and t['name'] == name:
                return tid
        raise KeyError(f'{name} not in BTF')

    def enums(self):
        for t in self.types:
            if t is not None and t['kind'] in (KIND_ENUM, KIND_ENUM64):
                yield t
