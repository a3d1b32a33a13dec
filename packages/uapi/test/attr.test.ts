import test from 'ava';
import fc from 'fast-check';
import {
  ATTR_GROUP_BY_CMD,
  ATTR_LAYOUTS,
  BPF_ATTR_SIZE,
  BPF_F_TOKEN_FD,
  BpfCmd,
  BpfMapType,
  MAX_BPF_CMD,
  PAGE_SIZE,
  attrField,
  attrFieldSize,
  attrGroup,
  attrGroupLayout,
  attrLastField,
  attrLayout,
  attrTailNonZero,
  attrView,
  checkAttrSize,
  decodeAttr,
  decodeAttrGroup,
  decodeMapCreateAttr,
  decodeTokenCreateAttr,
  encodeAttr,
  encodeAttrGroup,
  encodeBtfLoadAttr,
  encodeGetIdAttr,
  encodeMapCreateAttr,
  encodeMapElemAttr,
  encodeProgLoadAttr,
  encodeTokenCreateAttr,
  lastFieldEnd,
  objName,
  type AttrField,
  type AttrGroup,
} from '@bpfkit/uapi';

const groups = Object.keys(ATTR_LAYOUTS) as AttrGroup[];

function offsetOf(group: AttrGroup, name: string): number | undefined {
  return attrField(group, name)?.offset;
}

test('sizeof(union bpf_attr) is 168 on 6.18', (t) => {
  t.is(BPF_ATTR_SIZE, 168);
  for (const g of groups) t.true(attrGroupLayout(g).size <= BPF_ATTR_SIZE, g);
});

test('token fd fields sit where the real kernel reads them (token.md)', (t) => {
  t.is(offsetOf('map_create', 'map_token_fd'), 76);
  t.is(offsetOf('prog_load', 'prog_token_fd'), 144);
  t.is(offsetOf('btf_load', 'btf_token_fd'), 36);
  t.is(offsetOf('get_id', 'fd_by_id_token_fd'), 12);
  t.is(offsetOf('token_create', 'bpffs_fd'), 4);
  t.is(attrField('map_create', 'map_token_fd')?.type, 's32');
});

test('anonymous unions share offsets and named nested structs get a dotted prefix', (t) => {
  t.is(offsetOf('map_elem', 'value'), 16);
  t.is(offsetOf('map_elem', 'next_key'), 16);
  t.is(offsetOf('prog_load', 'attach_prog_fd'), 112);
  t.is(offsetOf('prog_load', 'attach_btf_obj_fd'), 112);
  t.is(offsetOf('prog_load', 'fd_array'), 120);
  t.is(offsetOf('prog_load', 'fd_array_cnt'), 148);
  t.is(offsetOf('map_create', 'map_extra'), 64);
  t.is(offsetOf('get_id', 'prog_id'), 0);
  t.is(offsetOf('get_id', 'link_id'), 0);
  t.is(offsetOf('link_create', 'kprobe_multi.flags'), 16);
  t.is(offsetOf('link_create', 'uprobe_multi.pid'), 56);
  t.is(offsetOf('link_create', 'tcx.relative_fd'), 16);
  t.deepEqual(attrField('map_create', 'map_name'), { name: 'map_name', offset: 28, type: 'char', length: 16 });
});

test('every command of 6.18 has an attr group and a last field inside it', (t) => {
  for (let cmd = 0; cmd < MAX_BPF_CMD; cmd++) {
    const group = attrGroup(cmd);
    const last = attrLastField(cmd);
    const end = lastFieldEnd(cmd);
    t.not(group, undefined, String(cmd));
    t.not(last, undefined, String(cmd));
    if (group === undefined || end === undefined) continue;
    t.true(end > 0 && end <= attrGroupLayout(group).size, String(cmd));
  }
  t.is(attrGroup(MAX_BPF_CMD), undefined);
  t.is(lastFieldEnd(-1), undefined);
  t.is(attrLayout(99), undefined);
  t.is(Object.keys(ATTR_GROUP_BY_CMD).length, MAX_BPF_CMD);
});

test('CHECK_ATTR boundaries follow the 6.18 <CMD>_LAST_FIELD', (t) => {
  const ends: [number, number][] = [
    [BpfCmd.BPF_MAP_CREATE, 92],
    [BpfCmd.BPF_MAP_LOOKUP_ELEM, 32],
    [BpfCmd.BPF_MAP_DELETE_ELEM, 16],
    [BpfCmd.BPF_MAP_GET_NEXT_KEY, 24],
    [BpfCmd.BPF_MAP_FREEZE, 4],
    [BpfCmd.BPF_PROG_LOAD, 168],
    [BpfCmd.BPF_OBJ_PIN, 20],
    [BpfCmd.BPF_PROG_TEST_RUN, 76],
    [BpfCmd.BPF_PROG_GET_FD_BY_ID, 4],
    [BpfCmd.BPF_MAP_GET_FD_BY_ID, 12],
    [BpfCmd.BPF_BTF_GET_FD_BY_ID, 16],
    [BpfCmd.BPF_LINK_GET_FD_BY_ID, 4],
    [BpfCmd.BPF_OBJ_GET_INFO_BY_FD, 16],
    [BpfCmd.BPF_BTF_LOAD, 40],
    [BpfCmd.BPF_LINK_CREATE, 60],
    [BpfCmd.BPF_TOKEN_CREATE, 8],
    [BpfCmd.BPF_PROG_STREAM_READ_BY_FD, 20],
  ];
  for (const [cmd, end] of ends) t.is(lastFieldEnd(cmd), end, String(cmd));
  t.is(attrLastField(BpfCmd.BPF_MAP_CREATE), 'excl_prog_hash_size');
  t.is(attrLastField(BpfCmd.BPF_PROG_LOAD), 'keyring_id');
  t.is(attrLastField(BpfCmd.BPF_BTF_LOAD), 'btf_token_fd');
  t.is(attrLastField(BpfCmd.BPF_TOKEN_CREATE), 'bpffs_fd');
});

test('token_create encodes to its 8-byte struct and back', (t) => {
  const bytes = encodeTokenCreateAttr({ flags: 0, bpffs_fd: 5 });
  t.deepEqual([...bytes], [0, 0, 0, 0, 5, 0, 0, 0]);
  t.deepEqual(decodeTokenCreateAttr(bytes), { flags: 0, bpffs_fd: 5 });
  t.deepEqual(encodeAttr(BpfCmd.BPF_TOKEN_CREATE, { bpffs_fd: 5 }), bytes);
  t.is(encodeAttr(BpfCmd.BPF_TOKEN_CREATE, {}, BPF_ATTR_SIZE).length, BPF_ATTR_SIZE);
});

test('map_create carries 64-bit, signed and char fields', (t) => {
  const bytes = encodeMapCreateAttr({
    map_type: BpfMapType.BPF_MAP_TYPE_HASH,
    key_size: 4,
    value_size: 8,
    max_entries: 64,
    map_flags: BPF_F_TOKEN_FD,
    map_name: 'counters',
    map_extra: 0xffff_ffff_ffff_ffffn,
    map_token_fd: -1,
  });
  t.is(bytes.length, 96);
  const attr = decodeMapCreateAttr(bytes);
  t.is(attr.map_type, 1);
  t.is(attr.map_flags, 0x10000);
  t.is(objName(attr.map_name), 'counters');
  t.is(attr.map_name.length, 16);
  t.is(attr.map_extra, 0xffff_ffff_ffff_ffffn);
  t.is(attr.map_token_fd, -1);
  t.is(new DataView(bytes.buffer).getInt32(76, true), -1);
});

test('typed encoders write the kernel offsets', (t) => {
  const prog = encodeProgLoadAttr({ prog_flags: BPF_F_TOKEN_FD, prog_token_fd: 7 });
  t.is(prog.length, 168);
  t.is(prog[144], 7);
  t.is(encodeBtfLoadAttr({ btf_token_fd: 9 })[36], 9);
  t.is(encodeGetIdAttr({ btf_id: 3, fd_by_id_token_fd: 4 })[12], 4);
  const elem = encodeMapElemAttr({ map_fd: 3, key: 0x1000n, next_key: 0x2000n, flags: 2n });
  t.is(decodeAttr(BpfCmd.BPF_MAP_GET_NEXT_KEY, elem).value, 0x2000n);
  t.is(decodeAttr(BpfCmd.BPF_MAP_GET_NEXT_KEY, elem).flags, 2n);
});

test('short attrs decode with zeros, as the kernel zero-fills its copy', (t) => {
  const attr = decodeAttr(BpfCmd.BPF_MAP_CREATE, new Uint8Array([2, 0, 0, 0, 4]));
  t.is(attr.map_type, 2);
  t.is(attr.key_size, 4);
  t.is(attr.map_token_fd, 0);
  t.is(decodeAttr(BpfCmd.BPF_PROG_LOAD, new Uint8Array()).insns, 0n);
});

test('bad fields are refused with TypeError or RangeError', (t) => {
  const loose = (g: AttrGroup, f: object, size?: number): Uint8Array => encodeAttrGroup(g, f as never, size);
  t.throws(() => loose('token_create', { nope: 1 }), { instanceOf: TypeError });
  t.throws(() => loose('token_create', { flags: 1n }), { instanceOf: TypeError });
  t.throws(() => loose('token_create', { flags: 1.5 }), { instanceOf: TypeError });
  t.throws(() => loose('token_create', { flags: -1 }), { instanceOf: RangeError });
  t.throws(() => loose('token_create', { flags: 2 ** 32 }), { instanceOf: RangeError });
  t.throws(() => loose('map_create', { map_token_fd: 2 ** 31 }), { instanceOf: RangeError });
  t.throws(() => loose('map_create', { map_extra: -1n }), { instanceOf: RangeError });
  t.throws(() => loose('map_create', { map_name: 'x'.repeat(17) }), { instanceOf: RangeError });
  t.throws(() => loose('map_create', { map_name: 5 }), { instanceOf: TypeError });
  t.throws(() => loose('map_elem', { value: 1n, next_key: 2n }), { instanceOf: RangeError });
  t.notThrows(() => loose('map_elem', { value: 1n, next_key: 1n }));
  t.throws(() => loose('token_create', { bpffs_fd: 1 }, 4), { instanceOf: RangeError });
  t.notThrows(() => loose('token_create', { bpffs_fd: 0 }, 4));
  t.throws(() => loose('token_create', {}, -1), { instanceOf: RangeError });
  t.throws(() => encodeAttr(99 as typeof BpfCmd.BPF_MAP_CREATE, {}), { instanceOf: RangeError });
});

test('checkAttrSize: zero bytes past sizeof(union bpf_attr) are accepted, others are E2BIG', (t) => {
  const ok = checkAttrSize(new Uint8Array(200));
  t.true(ok.ok);
  if (ok.ok) t.is(ok.attr.length, BPF_ATTR_SIZE);
  const short = checkAttrSize(new Uint8Array([1, 2, 3]));
  t.true(short.ok);
  if (short.ok) t.deepEqual([...short.attr.subarray(0, 4)], [1, 2, 3, 0]);
  const tail = new Uint8Array(170);
  tail[169] = 1;
  t.deepEqual(checkAttrSize(tail), { ok: false, errno: 'E2BIG', reason: 'attr:tail-not-zero', offset: 169 });
  const edge = new Uint8Array(168);
  edge[167] = 1;
  t.true(checkAttrSize(edge).ok);
  t.deepEqual(checkAttrSize(new Uint8Array(PAGE_SIZE + 1)), { ok: false, errno: 'E2BIG', reason: 'attr:too-big', offset: PAGE_SIZE });
  t.true(checkAttrSize(new Uint8Array(PAGE_SIZE)).ok);
});

test('checkAttrSize: every copy is private, zero-filled and left alone by later copies', (t) => {
  const copies = [];
  for (let i = 0; i < 200; i++) {
    const r = checkAttrSize(new Uint8Array([i & 0xff, 7]));
    if (!r.ok) return t.fail();
    copies.push(r.attr);
  }
  copies.forEach((c, i) => {
    t.is(c.length, BPF_ATTR_SIZE);
    t.deepEqual([c[0], c[1], c[2]], [i & 0xff, 7, 0]);
    t.true(c.subarray(2).every((b) => b === 0));
  });
  copies[0]?.fill(0xff);
  t.deepEqual([copies[1]?.[0], copies[1]?.[BPF_ATTR_SIZE - 1]], [1, 0]);
});

test('property: attrView reads every field as the decoder does, short attrs included', (t) => {
  fc.assert(
    fc.property(fc.constantFrom(...groups), fc.uint8Array({ maxLength: 200 }), (group, bytes) => {
      const view = attrView(group, bytes) as Record<string, unknown>;
      const decoded = decodeAttrGroup(group, bytes) as Record<string, unknown>;
      t.deepEqual(Object.keys(decoded).map((k) => view[k]), Object.values(decoded));
    }),
  );
});

test('attrTailNonZero finds the first byte CHECK_ATTR rejects', (t) => {
  const bytes = new Uint8Array(BPF_ATTR_SIZE);
  t.is(attrTailNonZero(BpfCmd.BPF_TOKEN_CREATE, bytes), undefined);
  bytes[4] = 3;
  t.is(attrTailNonZero(BpfCmd.BPF_TOKEN_CREATE, bytes), undefined);
  bytes[8] = 1;
  t.is(attrTailNonZero(BpfCmd.BPF_TOKEN_CREATE, bytes), 8);
  t.is(attrTailNonZero(BpfCmd.BPF_MAP_CREATE, bytes), undefined);
  const map = new Uint8Array(BPF_ATTR_SIZE);
  map[92] = 1;
  t.is(attrTailNonZero(BpfCmd.BPF_MAP_CREATE, map), 92);
  t.is(attrTailNonZero(BpfCmd.BPF_PROG_LOAD, map), undefined);
  const beyond = new Uint8Array(200);
  beyond[180] = 1;
  t.is(attrTailNonZero(BpfCmd.BPF_TOKEN_CREATE, beyond), undefined);
  t.is(attrTailNonZero(1234, bytes), undefined);
});

function covered(group: AttrGroup): boolean[] {
  const layout = attrGroupLayout(group);
  const mask = new Array<boolean>(layout.size).fill(false);
  for (const f of layout.fields) for (let i = 0; i < attrFieldSize(f); i++) mask[f.offset + i] = true;
  return mask;
}

test('property: encode(decode(bytes)) gives back every byte a field covers', (t) => {
  for (const group of groups) {
    const layout = attrGroupLayout(group);
    const mask = covered(group);
    fc.assert(
      fc.property(fc.uint8Array({ minLength: layout.size, maxLength: layout.size }), (bytes) => {
        const expected = bytes.map((b, i) => (mask[i] === true ? b : 0));
        const again = encodeAttrGroup(group, decodeAttrGroup(group, bytes) as never);
        return again.every((b, i) => b === expected[i]);
      }),
      { numRuns: 50 },
    );
  }
  t.pass();
});

function valueArb(f: AttrField): fc.Arbitrary<unknown> {
  switch (f.type) {
    case 'u64':
      return fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
    case 's64':
      return fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n });
    case 's32':
      return fc.integer({ min: -0x80000000, max: 0x7fffffff });
    case 'char':
      return fc.uint8Array({ minLength: f.length, maxLength: f.length });
    default:
      return fc.integer({ min: 0, max: 0xffffffff });
  }
}

test('property: decode(encode(fields)) gives back the fields', (t) => {
  for (const group of groups) {
    // One field per union: later aliases would alias the same bytes.
    const taken = new Set<number>();
    const fields = attrGroupLayout(group).fields.filter((f) => {
      if (taken.has(f.offset)) return false;
      for (let i = 0; i < attrFieldSize(f); i++) taken.add(f.offset + i);
      return true;
    });
    const record = Object.fromEntries(fields.map((f) => [f.name, valueArb(f)]));
    fc.assert(
      fc.property(fc.record(record, { requiredKeys: [] }), (input) => {
        const decoded = decodeAttrGroup(group, encodeAttrGroup(group, input as never)) as Record<string, unknown>;
        return Object.entries(input).every(([k, v]) => {
          const got = decoded[k];
          return v instanceof Uint8Array && got instanceof Uint8Array ? v.every((b, i) => got[i] === b) : got === v;
        });
      }),
      { numRuns: 50 },
    );
  }
  t.pass();
});

test('property: random bytes and commands never throw from the decoders and checks', (t) => {
  fc.assert(
    fc.property(fc.integer({ min: -5, max: 60 }), fc.uint8Array({ maxLength: 300 }), (cmd, bytes) => {
      const layout = attrLayout(cmd);
      if (layout !== undefined) decodeAttr(cmd as typeof BpfCmd.BPF_MAP_CREATE, bytes);
      const tail = attrTailNonZero(cmd, bytes);
      const end = lastFieldEnd(cmd);
      if (tail !== undefined && (end === undefined || tail < end || bytes[tail] === 0)) return false;
      const size = checkAttrSize(bytes);
      return size.ok ? size.attr.length === BPF_ATTR_SIZE : size.offset >= BPF_ATTR_SIZE;
    }),
  );
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 4000, maxLength: 5000 }), (bytes) => {
      const r = checkAttrSize(bytes);
      return r.ok || r.errno === 'E2BIG';
    }),
    { numRuns: 30 },
  );
  t.pass();
});

test('the README example runs as written', (t) => {
  const bytes = encodeAttr(BpfCmd.BPF_MAP_CREATE, {
    map_type: BpfMapType.BPF_MAP_TYPE_HASH,
    key_size: 4,
    value_size: 8,
    max_entries: 64,
    map_name: 'counters',
    map_flags: BPF_F_TOKEN_FD,
    map_token_fd: 5,
  });
  const size = checkAttrSize(bytes);
  if (!size.ok) throw new Error(`${size.errno} at ${String(size.offset)}`);
  t.is(attrTailNonZero(BpfCmd.BPF_MAP_CREATE, size.attr), undefined);
  const attr = decodeAttr(BpfCmd.BPF_MAP_CREATE, size.attr);
  t.is(attr.map_type, 1);
  t.is(attr.map_token_fd, 5);
  t.is(attr.map_extra, 0n);
  t.is(objName(attr.map_name), 'counters');
});
