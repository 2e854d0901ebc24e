/**
 * WorkloadDriver: feeds a request list to the engine, open loop or with a concurrency cap (closed loop).
 *
 * The engine drives it with its own clock (seconds since the run started):
 *   each step:   for (const r of driver.nextArrivals(now)) engine.submit(r)   // r.arrivalTimeS <= now
 *   on finish:   driver.onFinished(r.requestId, finishTimeS)                // frees a concurrency slot
 *   when idle:   const t = driver.nextArrivalTimeS()  // advance a virtual clock to t; null = wait for a finish
 *   stop when:   driver.done
 *
 * Release rule (what `vllm bench serve --max-concurrency C` does with its semaphore): request i is
 * released at max(its scheduled arrival, the time a slot frees), slots handed out first come first served.
 * Its `arrivalTimeS` in the returned object is that release time, so TTFT counts from when the client
 * actually sent it, as in vLLM's benchmark; the scheduled time stays in the input list. Without a cap a
 * request's release time is its scheduled time. Release times do not depend on how often the engine polls,
 * provided it reports each finish (onFinished) before polling at a later time.
 */
import type { GeneratedRequest } from './types';

export interface DriverOptions {
  /** Most requests in flight (released, not yet finished); default unlimited. */
  maxConcurrency?: number;
}

export class WorkloadDriver {
  private readonly pending: GeneratedRequest[];
  private next = 0;
  /** Times (s) at which slots became free, ascending; starts with `maxConcurrency` slots free at -Infinity. */
  private readonly freeSlots: number[] = [];
  private readonly inFlight = new Set<string>();
  private readonly finished = new Set<string>();
  readonly maxConcurrency: number;

  /** `requests` need not be sorted; they are released in order of arrival time (stable). */
  constructor(requests: readonly GeneratedRequest[], opts: DriverOptions = {}) {
    const cap = opts.maxConcurrency ?? Infinity;
    if (!(cap === Infinity || (Number.isInteger(cap) && cap >= 1))) throw new RangeError(`WorkloadDriver: maxConcurrency must be an integer >= 1, got ${cap}`);
    this.maxConcurrency = cap;
    const ids = new Set<string>();
    for (const r of requests) {
      if (ids.has(r.requestId)) throw new RangeError(`WorkloadDriver: duplicate request id '${r.requestId}'`);
      if (!(r.arrivalTimeS >= 0)) throw new RangeError(`WorkloadDriver: request '${r.requestId}' has arrival ${r.arrivalTimeS} s (must be >= 0)`);
      ids.add(r.requestId);
    }
    this.pending = requests
      .map((r, i) => ({ r, i }))
      .sort((a, b) => a.r.arrivalTimeS - b.r.arrivalTimeS || a.i - b.i)
      .map((x) => x.r);
    if (cap !== Infinity) for (let i = 0; i < Math.min(cap, this.pending.length); i++) this.freeSlots.push(-Infinity);
  }

  get numTotal(): number {
    return this.pending.length;
  }
  get numReleased(): number {
    return this.next;
  }
  get numInFlight(): number {
    return this.inFlight.size;
  }
  /** True when every request has been released and finished. */
  get done(): boolean {
    return this.next === this.pending.length && this.inFlight.size === 0;
  }

  /** Release time of the next request if nothing else finishes first; null if it waits for a finish or none is left. */
  nextArrivalTimeS(): number | null {
    if (this.next >= this.pending.length) return null;
    const scheduled = this.pending[this.next]!.arrivalTimeS;
    if (this.maxConcurrency === Infinity) return scheduled;
    if (this.freeSlots.length === 0) return null;
    return Math.max(scheduled, this.freeSlots[0]!);
  }

  /** Every request whose release time is <= nowS, in release order, with arrivalTimeS = release time. */
  nextArrivals(nowS: number): GeneratedRequest[] {
    const out: GeneratedRequest[] = [];
    for (;;) {
      const t = this.nextArrivalTimeS();
      if (t === null || t > nowS) break;
      const r = this.pending[this.next++]!;
      if (this.maxConcurrency !== Infinity) this.freeSlots.shift();
      this.inFlight.add(r.requestId);
      out.push(t === r.arrivalTimeS ? r : { ...r, arrivalTimeS: t });
    }
    return out;
  }

  /** Report a finished (or cancelled, or rejected) request; frees its slot at `nowS`. */
  onFinished(requestId: string, nowS: number): void {
    if (!this.inFlight.has(requestId)) {
      const why = this.finished.has(requestId) ? 'finished twice' : 'was never released';
      throw new Error(`WorkloadDriver.onFinished: request '${requestId}' ${why}`);
    }
    this.inFlight.delete(requestId);
    this.finished.add(requestId);
    if (this.maxConcurrency === Infinity) return;
    // Keep freeSlots ascending (finishes are normally reported in time order; insert if not).
    let i = this.freeSlots.length;
    while (i > 0 && this.freeSlots[i - 1]! > nowS) i--;
    this.freeSlots.splice(i, 0, nowS);
  }
}
