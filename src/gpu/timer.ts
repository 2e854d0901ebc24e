/**
 * Per-pass GPU timing. With `timestamp-query` each compute pass writes a begin and an end timestamp
 * (ns) into a query set; `resolve` copies them into a readback slot in the same command buffer, so
 * timing adds no submit. Without the feature (Dawn's GL backend, some browsers) the timer says so
 * and measures wall-clock time from submit to `onSubmittedWorkDone`, which includes queue latency
 * and cannot split the time between passes.
 *
 * Note: Chrome quantizes timestamps (to 100 µs) unless started with
 * --enable-webgpu-developer-features; the bench launcher passes that flag.
 */
import { ReadbackRing, type ReadbackTicket } from './readback';
import type { GpuContext } from './device';

export type TimerMethod = 'gpu-timestamp' | 'wall-clock';

export interface PassTime {
  label: string;
  ms: number;
}

export interface FrameTiming {
  method: TimerMethod;
  /** GPU time summed over passes (timestamps), or submit-to-done wall time (fallback). */
  totalMs: number;
  /** Per-pass times; empty under wall-clock timing. */
  passes: PassTime[];
}

export class GpuTimer {
  readonly method: TimerMethod;
  /** Why timestamps are not used, in words for the UI; undefined when they are. */
  readonly fallbackReason: string | undefined;
  private readonly querySet: GPUQuerySet | undefined;
  private readonly resolveBuffer: GPUBuffer | undefined;
  private readonly ring: ReadbackRing | undefined;
  private labels: string[] = [];
  /** The frame ended last, until read: its ticket, pass labels and submit time (the next frame may begin first). */
  private ended: { ticket: ReadbackTicket | undefined; labels: string[]; submittedAt: number } | null = null;
  /** Raw timestamps, one array per readback slot: two frames may be in flight. */
  private readonly raws: BigInt64Array[];

  constructor(
    private readonly ctx: GpuContext,
    readonly maxPasses = 128,
    options: { forceWallClock?: boolean } = {},
  ) {
    const { device } = ctx;
    this.raws = [0, 1].map(() => new BigInt64Array(maxPasses * 2));
    if (ctx.hasTimestamps && !options.forceWallClock) {
      this.method = 'gpu-timestamp';
      this.fallbackReason = undefined;
      this.querySet = device.createQuerySet({ label: 'GpuTimer.querySet', type: 'timestamp', count: maxPasses * 2 });
      this.resolveBuffer = device.createBuffer({
        label: 'GpuTimer.resolve',
        size: maxPasses * 16,
        usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC,
      });
      this.ring = new ReadbackRing(device, maxPasses * 16, 2, 'GpuTimer');
    } else {
      this.method = 'wall-clock';
      this.fallbackReason = options.forceWallClock
        ? 'wall-clock timing was requested'
        : 'this adapter has no timestamp-query feature, so times are wall-clock from submit to completion (queue latency included, no per-kernel split)';
    }
  }

  /** Starts a new frame (one command buffer). */
  begin(): void {
    this.labels = [];
  }

  /** A compute pass descriptor that records its begin/end timestamps when timestamps are available. */
  pass(label: string): GPUComputePassDescriptor {
    if (!this.querySet) return { label };
    const i = this.labels.length;
    if (i >= this.maxPasses) throw new RangeError(`GpuTimer: more than ${this.maxPasses} timed passes in one frame.`);
    this.labels.push(label);
    return { label, timestampWrites: { querySet: this.querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 } };
  }

  /** Records the query resolve and its readback into `encoder`; call just before `finish()` and submit. */
  end(encoder: GPUCommandEncoder): void {
    let ticket: ReadbackTicket | undefined;
    if (this.querySet && this.resolveBuffer && this.ring && this.labels.length) {
      const n = this.labels.length * 2;
      encoder.resolveQuerySet(this.querySet, 0, n, this.resolveBuffer, 0);
      ticket = this.ring.enqueue(encoder, this.resolveBuffer, 0, n * 8);
    }
    this.ended = { ticket, labels: this.labels, submittedAt: performance.now() };
  }

  /** After the submit: the timing of the frame ended last (call before the next frame ends). */
  async read(): Promise<FrameTiming> {
    const frame = this.ended;
    this.ended = null;
    if (!frame) throw new Error('GpuTimer.read: no frame ended since the last read.');
    if (this.method === 'wall-clock' || !frame.ticket || !this.ring) {
      // Wall clock from this frame's submit to the queue draining (a later frame's work included if one
      // was submitted meanwhile: pipelined steps have no wall-clock split).
      await this.ctx.device.queue.onSubmittedWorkDone();
      return { method: 'wall-clock', totalMs: performance.now() - frame.submittedAt, passes: [] };
    }
    const raw = this.raws[frame.ticket.slot]!;
    await this.ring.read(frame.ticket, raw);
    const passes: PassTime[] = frame.labels.map((label, i) => ({
      label,
      // Timestamps are ns; a pass whose end precedes its begin (seen on some drivers) counts as 0.
      ms: Math.max(0, Number(raw[2 * i + 1]! - raw[2 * i]!)) / 1e6,
    }));
    return { method: 'gpu-timestamp', totalMs: passes.reduce((s, p) => s + p.ms, 0), passes };
  }

  destroy(): void {
    this.querySet?.destroy();
    this.resolveBuffer?.destroy();
    this.ring?.destroy();
  }
}
