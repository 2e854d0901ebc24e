/**
 * Page events for the views. The pool calls one sink per event; the default sink is a `PageEventLog` the
 * engine drains once per step into its StepRecord. With no sink installed an event costs one branch.
 */

/** Who a page belongs to. One object per request, shared by all of its events (no per-event allocation). */
export interface PageOwner {
  readonly tenant: string;
  readonly model: string;
  readonly request: string;
}

export type PageEventKind =
  | 'allocated' // taken from the free queue (fresh or reserved) for `owner`
  | 'hit' // a cached page reused by `owner` (ref count incremented)
  | 'freed' // ref count reached 0; back in the free queue (still cached if it has a hash)
  | 'cached' // a full page registered in the prefix cache under `hash`
  | 'evicted' // a cached page taken from the free queue for reuse; its hash is dropped
  | 'copied' // copy-on-write or fork copy: `src` -> `page`
  | 'swapped-out' // content copied to host slot `hostSlot`, then page released
  | 'swapped-in'; // content copied from host slot `hostSlot` into `page`

export interface PageEvent {
  kind: PageEventKind;
  page: number;
  owner: PageOwner | null;
  /** Source page of a copy. */
  src?: number;
  /** Prefix-cache key of a cached or evicted page. */
  hash?: string;
  /** Host swap slot of a swap. */
  hostSlot?: number;
}

export type PageEventSink = (event: PageEvent) => void;

/** An append-only list of events the engine drains each step. */
export class PageEventLog {
  private events: PageEvent[] = [];
  readonly sink: PageEventSink = (e) => {
    this.events.push(e);
  };
  /** Returns the events since the last drain and starts a new list. */
  drain(): PageEvent[] {
    const out = this.events;
    this.events = [];
    return out;
  }
  get numEvents(): number {
    return this.events.length;
  }
}
