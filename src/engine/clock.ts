/**
 * The engine's time source, in milliseconds. The scheduler stamps arrivals, tokens and finishes with
 * it, so every latency metric is in this clock.
 * - RealClock: `performance.now()`; used when steps run on the visitor's GPU.
 * - VirtualClock: advanced by the simulated backend's modelled step time, so a simulated H100 reports
 *   H100 latencies however fast or slow this machine runs the simulation.
 */
export interface EngineClock {
  readonly kind: 'real' | 'virtual';
  now(): number;
  /** Virtual clocks move forward by `ms`; the real clock ignores it (time passes by itself). */
  advance(ms: number): void;
  /** Moves a virtual clock to `t` if it is behind; no-op on the real clock. */
  advanceTo(t: number): void;
}

export class RealClock implements EngineClock {
  readonly kind = 'real' as const;
  now(): number {
    return performance.now();
  }
  advance(): void {}
  advanceTo(): void {}
}

export class VirtualClock implements EngineClock {
  readonly kind = 'virtual' as const;
  private t = 0;
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`VirtualClock.advance: ms must be >= 0, got ${ms}`);
    this.t += ms;
  }
  advanceTo(t: number): void {
    if (t > this.t) this.t = t;
  }
}
