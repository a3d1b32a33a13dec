import test from 'ava';
import fc from 'fast-check';
import { BpfError } from '@bpfkit/kernel-api';
import { Errno } from '@bpfkit/uapi';
import { boot, container, delegated } from './helpers.js';

const KNOWN_ERRNOS = new Set(Object.keys(Errno));

test('bpf() on random commands, attrs and fds only ever throws a kernel errno and leaks nothing', (t) => {
  const k = boot();
  const c = container(k);
  const bpffs = delegated(k, c, { cmds: 'any', maps: 'any', progs: 'any', attachs: 'any' });
  const fds = [bpffs, 0, 1, 2, 3, 4, 5, 9999, -1];
  fc.assert(
    fc.property(
      fc.oneof(fc.integer({ min: 0, max: 40 }), fc.integer({ min: -5, max: 5000 })),
      fc.uint8Array({ minLength: 0, maxLength: 220 }),
      fc.array(fc.tuple(fc.integer({ min: 0, max: 200 }), fc.constantFrom(...fds)), { maxLength: 4 }),
      fc.boolean(),
      (cmd, bytes, fdPokes, asChild) => {
        const task = asChild ? c : k.init;
        const attr = bytes.slice();
        for (const [off, fd] of fdPokes) {
          if (off + 4 <= attr.length) new DataView(attr.buffer).setInt32(off, fd, true);
        }
        const before = k.counts();
        try {
          const fd = task.bpf(cmd, attr);
          if (fd > 0 && task.fdTable.get(fd) !== undefined && !fds.includes(fd)) task.close(fd);
          return true;
        } catch (e) {
          if (!(e instanceof BpfError)) throw e;
          if (!KNOWN_ERRNOS.has(e.code)) return false;
          const after = k.counts();
          return after.fds === before.fds && after.objects === before.objects && after.files === before.files;
        }
      },
    ),
    { numRuns: 3000 },
  );
  t.pass();
});
