/**
 * Token-length distributions for prompts and outputs. Every sampler returns an integer in [min, max]
 * (clamped, never resampled, so the clamp's mass piles up at the ends and stays visible).
 *
 * - fixed(value)
 * - uniform(min, max): every integer equally likely (both ends inclusive).
 * - zipf(min, max, s): length min + k - 1 for rank k = 1..N (N = max - min + 1) with P(k) ∝ k^-s, so
 *   short requests dominate and P(rank 1) / P(rank 2) = 2^s. Sampled by binary search in a precomputed CDF.
 * - lognormal(mu, sigma, min, max): round(exp(mu + sigma Z)), clamped. Median e^mu, mean e^(mu + sigma²/2).
 * - sharegpt(prompt | output): the lognormal below, fit to ShareGPT.
 *
 * ## The ShareGPT-like fit (approximate; read before quoting numbers made with it)
 * vLLM's serving benchmarks sample ShareGPT_V3_unfiltered_cleaned_split.json (first turn of each
 * conversation as the prompt, the reply's token count as the output length; pairs with prompt or output
 * < 4 tokens, prompt > 1024 or prompt + output > 2048 dropped). The vLLM paper (Kwon et al., SOSP 2023,
 * "Efficient Memory Management for LLM Serving with PagedAttention", §6.1, Fig. 11a) reports for ShareGPT
 * mean input length ≈ 161.31 tokens and mean output length ≈ 337.99 tokens (OPT tokenizer). Those two means
 * are the only published figures we fit to; the paper gives histograms, not medians or variances, so the
 * spreads below are our assumption, chosen to give the long right tail those histograms show:
 *   prompt: sigma = 1.00 (CV = sqrt(e^σ² - 1) ≈ 1.31), mu = ln(161.31) - σ²/2 = 4.5833 -> median ≈ 97.8
 *   output: sigma = 0.85 (CV ≈ 1.03),                 mu = ln(337.99) - σ²/2 = 5.4618 -> median ≈ 235.5
 * Default clamp [4, 1024] for both (vLLM's filter bounds). The clamp moves the mean a little (prompt: about
 * 0.9% of the mass lies above 1024). This is a synthetic stand-in, not the dataset: for real token
 * sequences or joint prompt/output lengths, replay a trace.
 */
import type { Random } from './random';

export type LengthSpec =
  | { kind: 'fixed'; value: number }
  | { kind: 'uniform'; min: number; max: number }
  | { kind: 'zipf'; min: number; max: number; exponent: number }
  | { kind: 'lognormal'; mu: number; sigma: number; min: number; max: number }
  | { kind: 'sharegpt'; part: 'prompt' | 'output'; min?: number; max?: number };

export type LengthSampler = (rng: Random) => number;

/** Published means (vLLM paper, Fig. 11a) and our assumed spreads; see the file comment. */
export const SHAREGPT_FIT = {
  prompt: { meanTokens: 161.31, sigma: 1.0 },
  output: { meanTokens: 337.99, sigma: 0.85 },
  min: 4,
  max: 1024,
} as const;

/** mu of a lognormal with the given mean and sigma: mean = e^(mu + σ²/2). */
export function lognormalMuFromMean(mean: number, sigma: number): number {
  if (!(mean > 0)) throw new RangeError(`lognormalMuFromMean: mean must be > 0, got ${mean}`);
  return Math.log(mean) - (sigma * sigma) / 2;
}

/** Lognormal parameters from a mean and a median (median = e^mu, mean / median = e^(σ²/2)). */
export function lognormalFromMeanMedian(mean: number, median: number): { mu: number; sigma: number } {
  if (!(median > 0) || !(mean >= median)) throw new RangeError(`lognormalFromMeanMedian: need mean >= median > 0, got mean ${mean}, median ${median}`);
  return { mu: Math.log(median), sigma: Math.sqrt(2 * Math.log(mean / median)) };
}

/** The ShareGPT-like lognormal as an explicit spec (mu, sigma written out), with an optional clamp. */
export function sharegptLognormal(part: 'prompt' | 'output', min: number = SHAREGPT_FIT.min, max: number = SHAREGPT_FIT.max): Extract<LengthSpec, { kind: 'lognormal' }> {
  const fit = SHAREGPT_FIT[part];
  return { kind: 'lognormal', mu: lognormalMuFromMean(fit.meanTokens, fit.sigma), sigma: fit.sigma, min, max };
}

function checkRange(what: string, min: number, max: number): void {
  if (!Number.isInteger(min) || !Number.isInteger(max) || min < 0 || max < min) {
    throw new RangeError(`${what}: need integers 0 <= min <= max, got min ${min}, max ${max}`);
  }
}

function clamp(x: number, min: number, max: number): number {
  return x < min ? min : x > max ? max : x;
}

/** Validates `spec` once and returns a sampler drawing from the caller's stream. */
export function makeLengthSampler(spec: LengthSpec): LengthSampler {
  switch (spec.kind) {
    case 'fixed': {
      if (!Number.isInteger(spec.value) || spec.value < 0) throw new RangeError(`fixed length: value must be an integer >= 0, got ${spec.value}`);
      const v = spec.value;
      return () => v;
    }
    case 'uniform': {
      checkRange('uniform length', spec.min, spec.max);
      const { min, max } = spec;
      return (rng) => rng.int(min, max);
    }
    case 'zipf': {
      checkRange('zipf length', spec.min, spec.max);
      if (!(spec.exponent > 0)) throw new RangeError(`zipf length: exponent must be > 0, got ${spec.exponent}`);
      const n = spec.max - spec.min + 1;
      if (n > 1 << 22) throw new RangeError(`zipf length: range of ${n} values is too wide for the CDF table (max 4M)`);
      // cdf[k-1] = sum_{j<=k} j^-s / H(N, s)
      const cdf = new Float64Array(n);
      let acc = 0;
      for (let k = 1; k <= n; k++) {
        acc += Math.pow(k, -spec.exponent);
        cdf[k - 1] = acc;
      }
      for (let i = 0; i < n; i++) cdf[i]! /= acc;
      const min = spec.min;
      return (rng) => {
        const u = rng.next();
        // First index with cdf > u.
        let lo = 0;
        let hi = n - 1;
        while (lo < hi) {
          const mid = (lo + hi) >>> 1;
          if (cdf[mid]! > u) hi = mid;
          else lo = mid + 1;
        }
        return min + lo;
      };
    }
    case 'lognormal': {
      checkRange('lognormal length', spec.min, spec.max);
      if (!Number.isFinite(spec.mu) || !(spec.sigma >= 0)) throw new RangeError(`lognormal length: need finite mu and sigma >= 0, got ${spec.mu}, ${spec.sigma}`);
      const { mu, sigma, min, max } = spec;
      return (rng) => clamp(Math.round(rng.lognormal(mu, sigma)), min, max);
    }
    case 'sharegpt':
      return makeLengthSampler(sharegptLognormal(spec.part, spec.min, spec.max));
    default: {
      const never: never = spec;
      throw new RangeError(`unknown length kind: ${JSON.stringify(never)}`);
    }
  }
}
