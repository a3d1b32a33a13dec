import { errnoName } from '@bpfkit/uapi';
import type { NativeBridge } from '../native.js';

const KIND_SYSCALL = 0;
const KIND_BASE = 1;
const KIND_SENDFD = 2;
const KIND_RECVFD = 3;
const KIND_FORK = 4;
const REQ_HEADER = 56;
const RESP_HEADER = 16;
const BUF_SIZE = 256 * 1024;
const AF_UNIX_SEQPACKET_CLOEXEC = 5 | 0o2000000;

/** A failed system call in an actor: the errno and which call. */
export class ActorCallError extends Error {
  constructor(
    readonly errno: number,
    readonly call: string,
  ) {
    super(`${call}: ${errnoName(errno) ?? `errno ${String(errno)}`}`);
    this.name = 'ActorCallError';
  }
}

/** Bytes laid out for one call: each piece at an 8-byte aligned offset of the actor's buffer. */
export class CallBlob {
  private readonly parts: { off: number; bytes: Uint8Array }[] = [];
  private size = 0;

  constructor(private readonly base: bigint) {}

  /** Places `bytes` (or `n` zero bytes) and returns their offset. */
  put(bytes: Uint8Array | number): number {
    const b = typeof bytes === 'number' ? new Uint8Array(bytes) : bytes;
    const off = this.size;
    this.parts.push({ off, bytes: b });
    this.size = off + ((b.length + 7) & ~7);
    if (this.size > BUF_SIZE) throw new RangeError('actor call blob too large');
    return off;
  }

  /** The address, in the actor, of the piece at `off`. */
  addr(off: number): bigint {
    return this.base + BigInt(off);
  }

  /** A NUL-terminated string; returns its address. */
  str(s: string): bigint {
    return this.addr(this.put(new TextEncoder().encode(`${s}\0`)));
  }

  bytes(): Uint8Array {
    const out = new Uint8Array(this.size);
    for (const p of this.parts) out.set(p.bytes, p.off);
    return out;
  }
}

/** The outcome of one system call in an actor, with the buffer as the call left it. */
export interface ActorCallResult {
  readonly ret: bigint;
  readonly errno: number;
  readonly blob: Uint8Array;
}

/**
 * One scenario actor: a forked copy of this process (see `actorFork` in the native bridge) that
 * makes the system calls it is sent, with its own credentials, namespaces and fd table.
 */
export class Actor {
  readonly handles = new Map<string, number>();
  saved?: { effective: bigint; permitted: bigint; inheritable: bigint };
  private baseAddr = 0n;
  private readonly resp = new Uint8Array(RESP_HEADER + BUF_SIZE);

  private constructor(
    private readonly native: NativeBridge,
    private readonly sock: number,
    readonly pid: number,
    private readonly timeoutMs: number,
  ) {}

  /** Forks an actor from this process (`parent` undefined) or from another actor. */
  static spawn(native: NativeBridge, parent: Actor | undefined, timeoutMs: number): Actor {
    const pair = new Uint8Array(8);
    const r = native.socketpair(AF_UNIX_SEQPACKET_CLOEXEC, pair);
    if (r < 0) throw new ActorCallError(-r, 'socketpair');
    const view = new DataView(pair.buffer);
    const mine = view.getInt32(0, true);
    const theirs = view.getInt32(4, true);
    let pid: number;
    try {
      pid = parent === undefined ? native.actorFork(theirs) : Number(parent.request(KIND_FORK, 0, [], undefined, theirs).ret);
    } catch (e) {
      native.close(mine);
      throw e;
    } finally {
      native.close(theirs);
    }
    if (pid < 0) {
      native.close(mine);
      throw new ActorCallError(-pid, 'fork');
    }
    const actor = new Actor(native, mine, pid, timeoutMs);
    actor.baseAddr = actor.request(KIND_BASE, 0, []).ret;
    return actor;
  }

  private request(kind: number, nr: number, args: readonly (number | bigint)[], blob?: Uint8Array, fd = -1): ActorCallResult & { fd: number } {
    const body = blob ?? new Uint8Array(0);
    const req = new Uint8Array(REQ_HEADER + body.length);
    const v = new DataView(req.buffer);
    v.setUint32(0, kind, true);
    v.setUint32(4, nr, true);
    args.forEach((a, i) => {
      v.setBigUint64(8 + i * 8, BigInt.asUintN(64, BigInt(a)), true);
    });
    req.set(body, REQ_HEADER);
    const out = new Uint8Array(4);
    const n = this.native.actorCall(this.sock, req, fd, this.resp, this.timeoutMs, out);
    if (n < 0) throw new ActorCallError(-n, 'actor');
    if (n < RESP_HEADER) throw new ActorCallError(71 /* EPROTO */, 'actor (the actor ended)');
    const rv = new DataView(this.resp.buffer);
    const len = rv.getUint32(12, true);
    return {
      ret: rv.getBigInt64(0, true),
      errno: rv.getInt32(8, true),
      blob: this.resp.slice(RESP_HEADER, RESP_HEADER + len),
      fd: new DataView(out.buffer).getInt32(0, true),
    };
  }

  /** A new blob whose addresses are this actor's. */
  blob(): CallBlob {
    return new CallBlob(this.baseAddr);
  }

  /** Makes system call `nr`; a failure is a negative `ret` with its `errno`. */
  tryCall(nr: number, args: readonly (number | bigint)[], blob?: CallBlob): ActorCallResult {
    return this.request(KIND_SYSCALL, nr, args, blob?.bytes());
  }

  /** Makes system call `nr`; throws {@link ActorCallError} on failure. */
  call(nr: number, name: string, args: readonly (number | bigint)[], blob?: CallBlob): ActorCallResult {
    const r = this.tryCall(nr, args, blob);
    if (r.ret < 0n) throw new ActorCallError(r.errno, name);
    return r;
  }

  /** A duplicate of this actor's `fd`, now in the orchestrator (close it). */
  takeFd(fd: number): number {
    const r = this.request(KIND_SENDFD, 0, [fd]);
    if (r.fd < 0) throw new ActorCallError(9 /* EBADF */, 'pass_fd');
    return r.fd;
  }

  /** Installs a duplicate of the orchestrator's `fd` in this actor; returns its number there. */
  giveFd(fd: number): number {
    const r = this.request(KIND_RECVFD, 0, [], undefined, fd);
    if (r.ret < 0n) throw new ActorCallError(r.errno, 'pass_fd');
    return Number(r.ret);
  }

  /** Ends the actor: its socket closes, it reaps its own children and exits. */
  close(): void {
    this.native.close(this.sock);
  }
}
