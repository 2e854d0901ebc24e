/**
 * Drives an Engine: run, pause, single step, speed. It idles (no timers spinning) when there is nothing
 * to do and wakes on submit. Pacing: on the real clock steps run back to back, slowed by `speed` < 1
 * (a pause of stepTime · (1/speed − 1) after each step, so a lesson can be watched); on the virtual
 * clock a step of modelled time t is shown over t / speed of wall time, and speed = Infinity runs a
 * simulation as fast as the CPU allows (benchmarks).
 */
import type { Engine } from './engine';
import type { EngineStepRecord } from './telemetry';

export type LoopState = 'running' | 'paused' | 'idle' | 'failed';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class EngineLoop {
  private state: LoopState = 'paused';
  private speed = 1;
  private wake: (() => void) | null = null;
  private running: Promise<void> | null = null;
  /** Set when a step threw; the loop stops and reports it. */
  error: Error | null = null;

  constructor(
    private readonly engine: Engine,
    private readonly onError: (e: Error) => Promise<'retry' | 'stop'> = async () => 'stop',
  ) {}

  get loopState(): LoopState {
    return this.state;
  }

  get stepSpeed(): number {
    return this.speed;
  }

  setSpeed(speed: number): void {
    if (!(speed > 0)) throw new RangeError(`speed must be > 0 (Infinity = as fast as possible), got ${speed}`);
    this.speed = speed;
  }

  /** Starts (or resumes) stepping until paused. */
  start(): void {
    if (this.state === 'running' || this.state === 'idle') return;
    this.state = 'running';
    this.error = null;
    this.running ??= this.run().finally(() => (this.running = null));
  }

  pause(): void {
    if (this.state === 'running' || this.state === 'idle') this.state = 'paused';
    this.notify();
  }

  /** Runs exactly one step while paused; resolves with its record (null when there was nothing to do). */
  async singleStep(): Promise<EngineStepRecord | null> {
    if (this.state === 'running' || this.state === 'idle') throw new Error('Pause before single-stepping.');
    await this.running;
    // Exactly one step: none launched ahead (a pause already completed the one in flight).
    const rec = (await this.engine.drain()) ?? (await this.engine.step({ launchAhead: false }));
    this.engine.flushTelemetry();
    return rec;
  }

  /** Call after submitting work so an idle loop picks it up. */
  notify(): void {
    this.wake?.();
    this.wake = null;
  }

  private async run(): Promise<void> {
    while (this.state === 'running' || this.state === 'idle') {
      const t0 = performance.now();
      let rec: EngineStepRecord | null;
      try {
        rec = await this.engine.step();
      } catch (e) {
        if (await this.recover(e)) continue;
        return;
      }
      if (!rec) {
        // Nothing to run now: sleep until a submit, or until the next arrival on the real clock.
        this.state = 'idle';
        const next = this.engine.nextArrival();
        const wait = next === null ? null : Math.max(0, next - this.engine.clock.now());
        await new Promise<void>((resolve) => {
          this.wake = resolve;
          if (wait !== null) setTimeout(resolve, wait);
        });
        if (this.state === 'idle') this.state = 'running';
        continue;
      }
      const wall = performance.now() - t0;
      const modelled = rec.endMs - rec.startMs;
      const delay = this.engine.clock.kind === 'virtual' ? modelled / this.speed - wall : this.speed < 1 ? wall * (1 / this.speed - 1) : 0;
      const pace = Number.isFinite(delay) && delay > 0 ? delay : 0;
      // A paced step is watched: show its telemetry now, not when the next step's GPU work starts.
      if (pace > 0 && !this.flushTelemetry()) return;
      // Yield to the event loop every step so pause, cancel and submit messages get through.
      await sleep(pace);
    }
    // Paused: complete the step launched ahead, so what the views show is settled.
    try {
      await this.engine.drain();
    } catch (e) {
      await this.recover(e);
    }
    this.flushTelemetry();
  }

  /** After a failed step: true when onError recovered (retry); otherwise the loop is failed with the error. */
  private async recover(e: unknown): Promise<boolean> {
    const err = e instanceof Error ? e : new Error(String(e));
    if ((await this.onError(err)) === 'retry') return true;
    this.fail(err);
    return false;
  }

  private fail(err: Error): void {
    this.error = err;
    this.state = 'failed';
  }

  /** Runs the engine's pending telemetry; a listener's error stops the loop like a failed step. */
  private flushTelemetry(): boolean {
    try {
      this.engine.flushTelemetry();
      return true;
    } catch (e) {
      this.fail(e instanceof Error ? e : new Error(String(e)));
      return false;
    }
  }
}
