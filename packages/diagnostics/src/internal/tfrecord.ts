/** CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), table-driven. */
const table = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
})();

/** CRC-32C of `bytes`. */
export function crc32c(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = (table[(c ^ (bytes[i] as number)) & 0xff] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** The masked CRC TFRecord files store: ((crc >>> 15) | (crc << 17)) + 0xa282ead8. */
export function maskedCrc32c(bytes: Uint8Array): number {
  const c = crc32c(bytes);
  return ((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

/** Frames one record: uint64 length, masked CRC of the length, data, masked CRC of the data. */
export function tfRecord(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length + 4);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length, true);
  view.setUint32(4, 0, true);
  view.setUint32(8, maskedCrc32c(out.subarray(0, 8)), true);
  out.set(data, 12);
  view.setUint32(12 + data.length, maskedCrc32c(data), true);
  return out;
}

/** A minimal protocol-buffer writer: varints, 32/64-bit floats, length-delimited fields. */
export class ProtoWriter {
  private readonly bytes: number[] = [];

  private varint(v: number): void {
    let x = Math.floor(v);
    while (x > 0x7f) {
      this.bytes.push((x % 128) | 0x80);
      x = Math.floor(x / 128);
    }
    this.bytes.push(x);
  }

  private key(field: number, wire: number): void {
    this.varint(field * 8 + wire);
  }

  /** A varint field (wire type 0), for int64 ≥ 0. */
  uint(field: number, v: number): this {
    this.key(field, 0);
    this.varint(v);
    return this;
  }

  /** A double field (wire type 1). */
  double(field: number, v: number): this {
    this.key(field, 1);
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, v, true);
    this.bytes.push(...b);
    return this;
  }

  /** A float field (wire type 5). */
  float(field: number, v: number): this {
    this.key(field, 5);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    this.bytes.push(...b);
    return this;
  }

  /** A length-delimited field (wire type 2): bytes, a string or an embedded message. */
  bytesField(field: number, v: Uint8Array | string): this {
    const b = typeof v === 'string' ? new TextEncoder().encode(v) : v;
    this.key(field, 2);
    this.varint(b.length);
    for (const x of b) this.bytes.push(x);
    return this;
  }

  /** A packed repeated double field. */
  packedDoubles(field: number, vs: readonly number[]): this {
    const b = new Uint8Array(8 * vs.length);
    const view = new DataView(b.buffer);
    vs.forEach((v, i) => {
      view.setFloat64(8 * i, v, true);
    });
    return this.bytesField(field, b);
  }

  /** The encoded message. */
  finish(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }
}
