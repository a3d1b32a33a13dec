import type { FsContext, Inode, OpenFile, OpenFileKind } from '@bpfkit/kernel-api';
import type { BpfObject } from '../bpf/objects.js';
import type { PerfEvent } from '../perf/event.js';
import type { PathRef } from './path.js';
import { RefCounted } from '../refcount.js';

/** fs_context life cycle (`enum fs_context_phase`, reduced). */
export type FsContextPhase = 'create-params' | 'awaiting-mount' | 'reconf-params' | 'failed' | 'mounted';

/** An fs_context as the VFS holds it: the contract object plus the phase. */
export interface KFsContext {
  readonly fc: FsContext;
  phase: FsContextPhase;
  /** The superblock made by CMD_CREATE (new) or being reconfigured. */
  root: PathRef | undefined;
}

/** What a file refers to, by kind. */
export interface FilePayload {
  readonly path?: PathRef;
  readonly ctx?: KFsContext;
  readonly object?: BpfObject;
  /** Anonymous/pseudo inode of a BPF object file (a token's `/bpf-token` inode). */
  readonly pseudoInode?: Inode;
  /** `/proc/self/fd` link text for files that are not on a path. */
  readonly linkText?: string;
  /** A `perf_event_open()` file's event. */
  readonly perf?: PerfEvent;
  /** A BPF_ITER_CREATE file: its reads. */
  readonly iter?: { read(length: number): Uint8Array };
}

/**
 * An open file description (`struct file`). References come from fd-table
 * slots and SCM_RIGHTS in flight; the last put releases what it holds.
 */
export class KFile extends RefCounted implements OpenFile {
  constructor(
    readonly id: number,
    readonly kind: OpenFileKind,
    readonly opath: boolean,
    readonly flags: number,
    readonly payload: FilePayload,
    private readonly onRelease: (f: KFile) => void,
  ) {
    super();
  }

  protected release(): void {
    this.onRelease(this);
  }
}
