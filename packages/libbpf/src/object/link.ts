import { BpfError } from '@bpfkit/kernel-api';
import { bpfLinkDetach, bpfLinkGetInfoByFd, bpfLinkUpdate, type LinkInfo } from '../commands/link.js';
import { bpfObjPin } from '../commands/obj.js';
import type { LibbpfHost } from '../host.js';
import { bpfIterCreate, readIterFd } from './iter.js';

/**
 * An attached program (libbpf `struct bpf_link`): a BPF link fd, alive while open (or
 * pinned). Closing it detaches the program.
 *
 * @example
 * const link = obj.program('handle_exec_raw').attach();
 * link.info().rawTracepoint?.tpName; // 'sched_process_exec'
 * link.close();
 */
export class BpfLink {
  #fd: number;
  readonly #host: LibbpfHost;
  readonly #onClose: ((l: BpfLink) => void) | undefined;
  readonly #afterClose: (() => void) | undefined;

  /** `onClose` runs before the fd is closed, `afterClose` after (a legacy kprobe event is removed once nothing uses it). */
  constructor(host: LibbpfHost, fd: number, onClose?: (l: BpfLink) => void, afterClose?: () => void) {
    this.#host = host;
    this.#fd = fd;
    this.#onClose = onClose;
    this.#afterClose = afterClose;
  }

  /** The link fd; -1 once closed. @example bpfObjPin(host, link.fd, '/sys/fs/bpf/exec_link'); */
  get fd(): number {
    return this.#fd;
  }

  #open(what: string): number {
    if (this.#fd < 0) throw new BpfError('EINVAL', 'libbpf:link-closed', `${what}: the link is closed`);
    return this.#fd;
  }

  /** BPF_OBJ_GET_INFO_BY_FD on the link: type, ids, and the raw tracepoint or tracing target. @example link.info().progId */
  info(): LinkInfo {
    return bpfLinkGetInfoByFd(this.#host, this.#open('info'));
  }

  /**
   * BPF_LINK_DETACH (libbpf `bpf_link__detach`): detaches while the fd stays open. Raw
   * tracepoint and tracing links have no detach (EOPNOTSUPP): close them instead.
   *
   * @example
   * link.detach();
   */
  detach(): void {
    bpfLinkDetach(this.#host, this.#open('detach'));
  }

  /**
   * BPF_LINK_UPDATE (libbpf `bpf_link__update_program`): puts another loaded program
   * behind the link (EINVAL for link types that cannot swap, and for a program not loaded).
   *
   * @example
   * link.update(obj.program('handle_exec_v2'));
   */
  update(prog: { readonly name: string; readonly fd: number }): void {
    if (prog.fd < 0) throw new BpfError('EINVAL', 'libbpf:prog-not-loaded', `prog '${prog.name}': can't use BPF program without FD (was it loaded?)`);
    bpfLinkUpdate(this.#host, this.#open('update'), prog.fd);
  }

  /** BPF_OBJ_PIN of the link (libbpf `bpf_link__pin`): it stays attached after close. @example link.pin('/sys/fs/bpf/exec'); */
  pin(path: string): void {
    bpfObjPin(this.#host, this.#open('pin'), path);
  }

  /** Closes the fd (libbpf `bpf_link__destroy`); a second close does nothing. @example link.close(); */
  close(): void {
    if (this.#fd < 0) return;
    const fd = this.#fd;
    this.#fd = -1;
    this.#onClose?.(this);
    this.#host.close(fd);
    this.#afterClose?.();
  }

  /**
   * Runs an iterator link's program over its target (BPF_ITER_CREATE, `read` to the end,
   * close): what the program wrote with `bpf_seq_write`/`bpf_seq_printf`. The host must
   * be able to `read`; a link that is not an iterator is EINVAL from the kernel.
   *
   * @example
   * new TextDecoder().decode(obj.program('dump_maps').attach().readIter());
   */
  readIter(): Uint8Array {
    const iterFd = bpfIterCreate(this.#host, this.#open('readIter'));
    try {
      return readIterFd(this.#host, iterFd);
    } finally {
      this.#host.close(iterFd);
    }
  }
}
