/**
 * Arrival processes (open loop). Times are seconds since the run started; the first request arrives at
 * t = 0 and each later one after an inter-arrival gap, as `vllm bench serve` does (it yields a request,
 * then sleeps one gap).
 *
 * - poisson(rate): gaps ~ Exponential(rate); mean gap 1/rate, CV 1.
 * - gamma(rate, burstiness): gaps ~ Gamma(shape = burstiness, scale = 1 / (rate * burstiness)), exactly
 *   `vllm bench serve --burstiness`. Mean gap = shape * scale = 1/rate whatever the burstiness; CV =
 *   1/sqrt(burstiness): < 1 burstier (clumps and long pauses), 1 = Poisson, > 1 more even.
 * - fixed(rate): every gap is exactly 1/rate.
 * - infinite: every request at t = 0 (`--request-rate inf`).
 *
 * Closed loop (at most C requests in flight) is not an arrival process of its own: WorkloadDriver caps
 * concurrency on top of any of these, as `--max-concurrency` does (infinite + a cap = a pure closed loop).
 */
import type { Random } from './random';

export type ArrivalSpec =
  | { kind: 'poisson'; rate: number }
  | { kind: 'gamma'; rate: number; burstiness: number }
  | { kind: 'fixed'; rate: number }
  | { kind: 'infinite' };

function checkRate(kind: string, rate: number): void {
  if (!(rate > 0) || !Number.isFinite(rate)) throw new RangeError(`${kind} arrivals: rate must be a finite number > 0 requests/s, got ${rate} (use kind 'infinite' for all at once)`);
}

/** `count` arrival times in seconds, non-decreasing, the first at 0. */
export function arrivalTimes(spec: ArrivalSpec, count: number, rng: Random): Float64Array {
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`arrivalTimes: count must be an integer >= 0, got ${count}`);
  const out = new Float64Array(count);
  let gap: () => number;
  switch (spec.kind) {
    case 'poisson': {
      checkRate('poisson', spec.rate);
      const rate = spec.rate;
      gap = () => rng.exponential(rate);
      break;
    }
    case 'gamma': {
      checkRate('gamma', spec.rate);
      if (!(spec.burstiness > 0) || !Number.isFinite(spec.burstiness)) throw new RangeError(`gamma arrivals: burstiness must be > 0, got ${spec.burstiness}`);
      const shape = spec.burstiness;
      const scale = 1 / (spec.rate * spec.burstiness);
      gap = () => rng.gamma(shape, scale);
      break;
    }
    case 'fixed': {
      checkRate('fixed', spec.rate);
      const g = 1 / spec.rate;
      gap = () => g;
      break;
    }
    case 'infinite':
      return out;
    default: {
      const never: never = spec;
      throw new RangeError(`unknown arrival kind: ${JSON.stringify(never)}`);
    }
  }
  let t = 0;
  for (let i = 0; i < count; i++) {
    out[i] = t;
    t += gap();
  }
  return out;
}
