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
  private ticket: ReadbackTicket | undefined;
  private submittedAt = 0;
  private readonly raw: BigInt64Array;

  constructor(
    private readonly ctx: GpuContext,
    readonly maxPasses = 128,
    options: { forceWallClock?: boolean } = {},
  ) {
    const { device } = ctx;
    this.raw = new BigInt64Array(maxPasses * 2);
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
    if (this.querySet && this.resolveBuffer && this.ring && this.labels.length) {
      const n = this.labels.length * 2;
      encoder.resolveQuerySet(this.querySet, 0, n, this.resolveBuffer, 0);
      this.ticket = this.ring.enqueue(encoder, this.resolveBuffer, 0, n * 8);
    }
    this.submittedAt = performance.now();
  }

  /** After the submit: the frame's timing. */
  async read(): Promise<FrameTiming> {
    if (this.method === 'wall-clock' || !this.ticket || !this.ring) {
      await this.ctx.device.queue.onSubmittedWorkDone();
      return { method: 'wall-clock', totalMs: performance.now() - this.submittedAt, passes: [] };
    }
    const ticket = this.ticket;
    this.ticket = undefined;
    await this.ring.read(ticket, this.raw);
    const passes: PassTime[] = this.labels.map((label, i) => ({
      label,
      // Timestamps are ns; a pass whose end precedes its begin (seen on some drivers) counts as 0.
      ms: Math.max(0, Number(this.raw[2 * i + 1]! - this.raw[2 * i]!)) / 1e6,
    }));
    return { method: 'gpu-timestamp', totalMs: passes.reduce((s, p) => s + p.ms, 0), passes };
  }

  destroy(): void {
    this.querySet?.destroy();
    this.resolveBuffer?.destroy();
    this.ring?.destroy();
  }
}
