/** Hands out increasing ids starting at `first` (the kernel's IDRs start at 1). */
export class IdAllocator {
  #next: number;
  constructor(first = 1) {
    this.#next = first;
  }
  alloc(): number {
    return this.#next++;
  }
}
