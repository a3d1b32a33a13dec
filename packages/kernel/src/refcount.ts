/**
 * A reference count whose last `put()` runs `release` once (`struct file`'s
 * `f_count`, a BPF object's `refcnt`). Holders call `get()` and later `put()`.
 */
export abstract class RefCounted {
  #refs = 0;

  get refs(): number {
    return this.#refs;
  }

  get(): this {
    this.#refs++;
    return this;
  }

  put(): void {
    this.#refs--;
    if (this.#refs === 0) this.release();
  }

  /** Runs when the last reference is put. */
  protected abstract release(): void;
}
