/** One bit per 8-byte granule of the arena: set while a live allocation covers it. */
export class Shadow {
  #bits = new Uint8Array(0);

  /** Makes room for an arena of `bytes` bytes. */
  resize(bytes: number): void {
    const need = Math.ceil(bytes / 64);
    if (need <= this.#bits.length) return;
    const next = new Uint8Array(need);
    next.set(this.#bits);
    this.#bits = next;
  }

  mark(addr: number, size: number, on: boolean): void {
    const bits = this.#bits;
    for (let g = addr >>> 3, end = (addr + size - 1) >>> 3; g <= end; g++) {
      const byte = bits[g >>> 3] ?? 0;
      bits[g >>> 3] = on ? byte | (1 << (g & 7)) : byte & ~(1 << (g & 7));
    }
  }

  covered(addr: number, size: number): boolean {
    const bits = this.#bits;
    const end = (addr + size - 1) >>> 3;
    if (end >>> 3 >= bits.length) return false;
    for (let g = addr >>> 3; g <= end; g++) {
      if (((bits[g >>> 3] ?? 0) & (1 << (g & 7))) === 0) return false;
    }
    return true;
  }
}
