// Token decisions per second through bpf(): BPF_MAP_CREATE with a token that delegates hash maps
// (allowed: the map is created, then closed) and with one that does not delegate array maps
// (refused: EPERM). The same function runs in the simulated kernel's container task and, as the
// module of runWithDelegatedBpffs, in a child user namespace on the real kernel.
const BPF_MAP_CREATE = 0, BPF_TOKEN_CREATE = 36, BPF_F_TOKEN_FD = 1 << 16, HASH = 1, ARRAY = 2;

function mapAttr(uapi, mapType, tokenFd) {
  return uapi.encodeAttr(BPF_MAP_CREATE, { map_type: mapType, key_size: 4, value_size: 8, max_entries: 1, map_flags: BPF_F_TOKEN_FD, map_token_fd: tokenFd });
}

/** Decisions per second for `fn`, best of three rounds of at least `ms` milliseconds. */
function rate(fn, ms) {
  let best = 0;
  for (let round = 0; round < 3; round++) {
    let n = 0;
    const start = performance.now();
    let elapsed = 0;
    while (elapsed < ms) {
      for (let i = 0; i < 100; i++) fn();
      n += 100;
      elapsed = performance.now() - start;
    }
    best = Math.max(best, (n * 1000) / elapsed);
  }
  return best;
}

/** `{ allowed, refused }` decisions per second for a task `sys` holding a bpffs fd that delegates map_create of hash maps. */
export function measure(sys, bpffsFd, uapi, ms = 200) {
  const token = sys.bpf(BPF_TOKEN_CREATE, uapi.encodeAttr(BPF_TOKEN_CREATE, { flags: 0, bpffs_fd: bpffsFd }));
  const allowed = mapAttr(uapi, HASH, token), refused = mapAttr(uapi, ARRAY, token);
  const ok = rate(() => sys.close(sys.bpf(BPF_MAP_CREATE, allowed)), ms);
  const no = rate(() => {
    try {
      sys.bpf(BPF_MAP_CREATE, refused);
    } catch {
      return;
    }
    throw new Error('an array map was created with a token that does not delegate arrays');
  }, ms);
  sys.close(token);
  return { allowed: Math.round(ok), refused: Math.round(no) };
}

/** The real-kernel side, as a runWithDelegatedBpffs module. */
export default async function child(args, ctx) {
  const uapi = await import(args.uapi);
  return measure(ctx.sys, ctx.bpffsFd, uapi, args.ms);
}
