// Runs inside a child user namespace (see @bpfkit/linux/delegation): the bpffs the parent
// delegated is mounted at /sys/fs/bpf of this mount namespace, so the client's default token
// path finds it, as libbpf 1.5 does in a container.
import { readFileSync } from 'node:fs';
import type { DelegatedContext } from '@bpfkit/linux/delegation';
import { BpfObject } from '../../dist/index.js';

interface Args {
  readonly object: string;
  readonly tokenPath?: string;
  readonly packetHex: string;
}

export default function main(args: Args, ctx: DelegatedContext): unknown {
  const obj = BpfObject.open(new Uint8Array(readFileSync(args.object)), {
    name: 'xdp_firewall', host: ctx.sys, ...(args.tokenPath === undefined ? {} : { tokenPath: args.tokenPath }),
  });
  obj.globals('.rodata').setU16('blocked_port', 8080);
  try {
    obj.load();
  } catch (e) {
    const err = e as { code?: string; message?: string };
    return { loaded: false, errno: err.code ?? null, message: err.message ?? String(e) };
  }
  try {
    const usedToken = obj.tokenFd !== undefined;
    const retval = obj.program('xdp_firewall').testRun({ dataIn: Buffer.from(args.packetHex, 'hex') }).retval;
    return { loaded: true, usedToken, retval, maps: obj.maps.map((m) => m.name) };
  } finally {
    obj.close();
  }
}
