import type { BpfMap, MapSlotObject, MapSyscallContext, MapValueField, VmArena } from '@bpfkit/kernel-api';
import { BpfError, isBpfError } from '@bpfkit/kernel-api';
import { createMapTypes } from '@bpfkit/maps';
import { createVmArena } from '@bpfkit/memory';

/** One arena and registry per test file, as a kernel would have. */
export function machine(possibleCpus = 2): { arena: VmArena; create: (o: MapOptions) => BpfMap } {
  const arena = createVmArena({ initialBytes: 1 << 20 });
  const maps = createMapTypes({ arena, possibleCpus });
  const create = (o: MapOptions): BpfMap => {
    const d = maps.get(o.type);
    if (d === undefined) throw new Error(`no map type ${o.type}`);
    return d.create({
      info: { mapType: o.type, keySize: o.key ?? 4, valueSize: o.value ?? 4, maxEntries: o.max ?? 4, mapFlags: o.flags ?? 0, isMapInMap: false },
      mapExtra: o.extra ?? 0n,
      valueFields: o.fields ?? [],
    });
  };
  return { arena, create };
}

export interface MapOptions {
  readonly type: number;
  readonly key?: number;
  readonly value?: number;
  readonly max?: number;
  readonly flags?: number;
  readonly extra?: bigint;
  readonly fields?: readonly MapValueField[];
}

export function u32(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v, true);
  return b;
}

export function u64(v: number): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(v), true);
  return b;
}

export function rd32(b: Uint8Array, off = 0): number {
  return new DataView(b.buffer, b.byteOffset).getUint32(off, true);
}

/** The errno name a call throws, or 'ok'. */
export function errnoOf(f: () => unknown): string {
  try {
    f();
    return 'ok';
  } catch (e) {
    if (isBpfError(e)) return e.code;
    throw e;
  }
}

/** Every key `get_next_key` walks, from the first. */
export function keys(m: BpfMap): Uint8Array[] {
  const out: Uint8Array[] = [];
  let k: Uint8Array | undefined;
  for (;;) {
    try {
      k = m.sysGetNextKey(k);
    } catch (e) {
      if (isBpfError(e, 'ENOENT')) return out;
      throw e;
    }
    out.push(k);
  }
}

/** Copies bytes into a fresh arena allocation (what a program's stack would hold). */
export function place(arena: VmArena, bytes: Uint8Array): number {
  const addr = arena.alloc(Math.max(bytes.length, 8));
  arena.bytes.set(bytes, addr);
  return addr;
}

/** Kernel objects behind fds for fd maps: fd n is object id 100 + n; fd 9999 is not open. */
export function fdTable(): { ctx: MapSyscallContext; live: () => number } {
  let refs = 0;
  const ctx: MapSyscallContext = {
    fds: {
      resolve(fd: number): MapSlotObject {
        if (fd === 9999) throw new BpfError('EBADF', 'test:no-fd', `fd ${fd} is not open`);
        refs++;
        let dropped = false;
        return { id: 100 + fd, target: { address: 0x5000 + fd }, put: () => { if (!dropped) { dropped = true; refs--; } } };
      },
    },
  };
  return { ctx, live: () => refs };
}
