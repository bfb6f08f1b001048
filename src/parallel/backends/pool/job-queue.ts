// The pool's queue of jobs waiting for a worker. A call with `preDispatch: 'all'` queues every
// batch at once, so taking from the front must not move the rest (Array#shift does, per call).

export class JobQueue<T> {
  private items: T[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head]!;
    this.items[this.head++] = undefined as T; // let it be collected
    if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  /** Puts `items` back at the front, in their order. */
  unshift(items: readonly T[]): void {
    if (items.length === 0) return;
    this.items = [...items, ...this.items.slice(this.head)];
    this.head = 0;
  }

  /** Removes (and returns) every item `drop` selects, keeping the others in order. */
  remove(drop: (item: T) => boolean): T[] {
    const kept: T[] = [];
    const dropped: T[] = [];
    for (let i = this.head; i < this.items.length; i += 1) (drop(this.items[i]!) ? dropped : kept).push(this.items[i]!);
    this.items = kept;
    this.head = 0;
    return dropped;
  }
}
