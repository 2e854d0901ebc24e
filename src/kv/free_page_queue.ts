/**
 * The free-page queue (vLLM's FreeKVCacheBlockQueue): a doubly linked list over page ids held in typed
 * arrays, so `popLeft`, `append` and `remove` from the middle are O(1) and allocate nothing.
 *
 * Order is eviction order: the head is the least recently freed page and is reused first. Callers free a
 * request's pages tail first (reverse block-table order), so within one request the tail pages are evicted
 * before the prefix pages that other requests are more likely to share.
 */
export class FreePageQueue {
  /** next[i] / prev[i] for page i; index `capacity` is the sentinel (head and tail of the ring). */
  private readonly next: Int32Array;
  private readonly prev: Int32Array;
  private readonly inQueue: Uint8Array;
  private readonly sentinel: number;
  private count = 0;

  constructor(capacity: number, initial: Iterable<number> = []) {
    this.sentinel = capacity;
    this.next = new Int32Array(capacity + 1).fill(-1);
    this.prev = new Int32Array(capacity + 1).fill(-1);
    this.inQueue = new Uint8Array(capacity);
    this.next[this.sentinel] = this.sentinel;
    this.prev[this.sentinel] = this.sentinel;
    for (const p of initial) this.append(p);
  }

  get numFreePages(): number {
    return this.count;
  }

  has(page: number): boolean {
    return this.inQueue[page] === 1;
  }

  /** The least recently freed page, or -1 when empty; not removed. */
  peekLeft(): number {
    const h = this.next[this.sentinel]!;
    return h === this.sentinel ? -1 : h;
  }

  /** Removes and returns the head (least recently freed) page, or -1 when empty. */
  popLeft(): number {
    const h = this.next[this.sentinel]!;
    if (h === this.sentinel) return -1;
    this.remove(h);
    return h;
  }

  /** Appends a page at the tail (most recently freed). */
  append(page: number): void {
    if (this.inQueue[page] === 1) throw new Error(`FreePageQueue: page ${page} is already free.`);
    const tail = this.prev[this.sentinel]!;
    this.next[tail] = page;
    this.prev[page] = tail;
    this.next[page] = this.sentinel;
    this.prev[this.sentinel] = page;
    this.inQueue[page] = 1;
    this.count++;
  }

  /** Removes a page from anywhere in the queue (a cached page being reused). */
  remove(page: number): void {
    if (this.inQueue[page] !== 1) throw new Error(`FreePageQueue: page ${page} is not free.`);
    const p = this.prev[page]!;
    const n = this.next[page]!;
    this.next[p] = n;
    this.prev[n] = p;
    this.next[page] = -1;
    this.prev[page] = -1;
    this.inQueue[page] = 0;
    this.count--;
  }

  /** Page ids from head (evicted first) to tail; O(n), for tests and views. */
  toArray(): number[] {
    const out: number[] = [];
    for (let p = this.next[this.sentinel]!; p !== this.sentinel; p = this.next[p]!) out.push(p);
    return out;
  }
}
