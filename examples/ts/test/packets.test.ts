import { fileURLToPath } from 'node:url';
import test from 'ava';
import { FRAME_NAMES, frame } from '@bpfkit/examples';

const tool = fileURLToPath(new URL('../../tools/packets.mjs', import.meta.url));

test('src/packets.ts builds the same frames as examples/tools/packets.mjs', async (t) => {
  const mod = (await import(tool)) as { frames: Record<string, number[]> };
  t.deepEqual(FRAME_NAMES, Object.keys(mod.frames));
  for (const name of FRAME_NAMES) t.deepEqual([...frame(name)], mod.frames[name], name);
});
