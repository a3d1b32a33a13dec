/**
 * A growable byte buffer with the integer encodings of the WebAssembly binary
 * format: unsigned and signed LEB128 (32 and 64 bits) and raw bytes.
 *
 * @example
 * const w = new WasmWriter();
 * w.u32(624485); // e5 8e 26
 * w.finish();
 */
const UTF8 = new TextEncoder();

export class WasmWriter {
  #buf = new Uint8Array(256);
  #len = 0;

  /** Bytes written so far. */
  get length(): number {
    return this.#len;
  }

  #room(n: number): void {
    if (this.#len + n <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < this.#len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.#buf.subarray(0, this.#len));
    this.#buf = next;
  }

  /** One byte (an opcode or a value type). */
  byte(b: number): this {
    this.#room(1);
    this.#buf[this.#len++] = b & 0xff;
    return this;
  }

  /** Several single bytes, e.g. an opcode and its immediates that are always one byte. */
  bytes(...bs: number[]): this {
    for (const b of bs) this.byte(b);
    return this;
  }

  /** Another writer's bytes, or a byte array, appended verbatim. */
  append(data: Uint8Array | WasmWriter): this {
    const src = data instanceof WasmWriter ? data.finish() : data;
    this.#room(src.length);
    this.#buf.set(src, this.#len);
    this.#len += src.length;
    return this;
  }

  /** Unsigned LEB128 of a value in [0, 2^32). */
  u32(value: number): this {
    let v = value >>> 0;
    do {
      let b = v & 0x7f;
      v >>>= 7;
      if (v !== 0) b |= 0x80;
      this.byte(b);
    } while (v !== 0);
    return this;
  }

  /** Signed LEB128 of a 32-bit integer (`i32.const`). */
  s32(value: number): this {
    let v = value | 0;
    for (;;) {
      const b = v & 0x7f;
      v >>= 7;
      const done = (v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0);
      this.byte(done ? b : b | 0x80);
      if (done) return this;
    }
  }

  /** Signed LEB128 of a 64-bit integer (`i64.const`), given as a BigInt (compile time only). */
  s64(value: bigint): this {
    let v = BigInt.asIntN(64, value);
    for (;;) {
      const b = Number(v & 0x7fn);
      v >>= 7n;
      const done = (v === 0n && (b & 0x40) === 0) || (v === -1n && (b & 0x40) !== 0);
      this.byte(done ? b : b | 0x80);
      if (done) return this;
    }
  }

  /** A name: its UTF-8 length then the bytes. */
  name(text: string): this {
    const data = UTF8.encode(text);
    this.u32(data.length);
    return this.append(data);
  }

  /** A vector of already-encoded items: the count, then the items. */
  vec(items: readonly (Uint8Array | WasmWriter)[]): this {
    this.u32(items.length);
    for (const item of items) this.append(item);
    return this;
  }

  /** The bytes written (a copy-free view, valid until the next write). */
  finish(): Uint8Array {
    return this.#buf.subarray(0, this.#len);
  }
}
