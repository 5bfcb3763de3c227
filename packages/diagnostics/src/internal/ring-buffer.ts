/** A fixed-capacity FIFO: pushing beyond the capacity drops the oldest item. */
export class RingBuffer<T> {
  private readonly items: (T | undefined)[];
  private start = 0;
  private length = 0;

  constructor(readonly capacity: number) {
    this.items = new Array<T | undefined>(capacity);
  }

  /** Number of items held. */
  get size(): number {
    return this.length;
  }

  /** Appends an item, dropping the oldest when full. */
  push(item: T): void {
    const at = (this.start + this.length) % this.capacity;
    this.items[at] = item;
    if (this.length < this.capacity) this.length++;
    else this.start = (this.start + 1) % this.capacity;
  }

  /** The newest item, if any. */
  last(): T | undefined {
    return this.length === 0 ? undefined : this.items[(this.start + this.length - 1) % this.capacity];
  }

  /** The items, oldest first (a new array). */
  toArray(): T[] {
    const out: T[] = [];
    for (let i = 0; i < this.length; i++) out.push(this.items[(this.start + i) % this.capacity] as T);
    return out;
  }

  /** Removes every item. */
  clear(): void {
    this.items.fill(undefined);
    this.start = 0;
    this.length = 0;
  }
}
