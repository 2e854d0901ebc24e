/**
 * Seeded random numbers for workloads: the same seed gives the same requests on every machine.
 *
 * Generator: sfc32 (Chris Doty-Humphrey's Small Fast Counting generator, 128-bit state, period >= 2^32,
 * passes PractRand), seeded through splitmix32 so that nearby seeds (0, 1, 2 ...) give unrelated streams.
 * We do not use Math.random (unseeded) nor mulberry32 (32-bit state: too short for 10^6-sample workloads).
 *
 * Streams: `fork(label)` derives an independent generator from (seed, label) only, never from how many
 * numbers were drawn so far. The workload generator gives each aspect its own stream (arrivals, lengths,
 * tokens, ...) so changing e.g. the request rate leaves every prompt and length unchanged.
 *
 * Distributions (all exact algorithms, no tables):
 * - uniform [0, 1): one 32-bit output / 2^32; `nextOpen()` is (x + 0.5) / 2^32, in (0, 1), safe for log.
 * - normal: Box-Muller, the second value cached.
 * - exponential(rate): -ln(U) / rate.
 * - gamma(shape k, scale θ): Marsaglia & Tsang (2000) squeeze method for k >= 1; for k < 1 the boost
 *   Gamma(k) = Gamma(k + 1) * U^(1/k). Mean kθ, variance kθ².
 * - lognormal(μ, σ): exp(μ + σ Z).
 */

const TWO_POW_32 = 4294967296;

/** FNV-1a 32-bit over a string's UTF-16 code units; used to turn labels into seed material. */
export function hashString32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** splitmix32 step: a bijective 32-bit mixer; spreads consecutive seeds over the state space. */
function splitmix32(x: number): number {
  let z = (x + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
  z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
  return (z ^ (z >>> 15)) >>> 0;
}

export class Random {
  /** The 32-bit seed material this stream was made from (forks derive from it, not from the state). */
  readonly seed: number;
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spareNormal: number | null = null;

  /** `seed`: any safe integer (both 32-bit halves are mixed in) or a string. */
  constructor(seed: number | string) {
    let s: number;
    if (typeof seed === 'string') s = hashString32(seed);
    else {
      if (!Number.isSafeInteger(seed)) throw new RangeError(`Random: seed must be a safe integer, got ${seed}`);
      const lo = seed >>> 0;
      const hi = Math.floor(seed / TWO_POW_32) >>> 0;
      s = (lo ^ splitmix32(hi)) >>> 0;
    }
    this.seed = s;
    this.a = splitmix32(s);
    this.b = splitmix32(this.a);
    this.c = splitmix32(this.b);
    this.d = splitmix32(this.c);
    // Warm up: sfc32's first outputs are correlated with the seed words.
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  /** An independent stream named `label`: depends only on this stream's seed and the label. */
  fork(label: string): Random {
    return new Random(`${this.seed.toString(16)}/${label}`);
  }

  /** Uniform 32-bit unsigned integer (sfc32). */
  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextUint32() / TWO_POW_32;
  }

  /** Uniform in the open interval (0, 1): safe to take the log of. */
  nextOpen(): number {
    return (this.nextUint32() + 0.5) / TWO_POW_32;
  }

  /** Uniform integer in [lo, hi] (both inclusive). Uses rejection so every value is equally likely. */
  int(lo: number, hi: number): number {
    if (!Number.isInteger(lo) || !Number.isInteger(hi) || hi < lo) throw new RangeError(`Random.int: need integers lo <= hi, got [${lo}, ${hi}]`);
    const span = hi - lo + 1;
    if (span > TWO_POW_32) throw new RangeError(`Random.int: range wider than 2^32: [${lo}, ${hi}]`);
    // Largest multiple of span that fits in 2^32: values at or above it would bias the low residues.
    const limit = TWO_POW_32 - (TWO_POW_32 % span);
    let x = this.nextUint32();
    while (x >= limit) x = this.nextUint32();
    return lo + (x % span);
  }

  /** True with probability p. */
  bernoulli(p: number): boolean {
    return this.next() < p;
  }

  /** Standard normal N(0, 1), Box-Muller; the pair's second value is kept for the next call. */
  normal(): number {
    if (this.spareNormal !== null) {
      const z = this.spareNormal;
      this.spareNormal = null;
      return z;
    }
    const r = Math.sqrt(-2 * Math.log(this.nextOpen()));
    const theta = 2 * Math.PI * this.next();
    this.spareNormal = r * Math.sin(theta);
    return r * Math.cos(theta);
  }

  /** Exponential with the given rate (mean 1 / rate). */
  exponential(rate: number): number {
    if (!(rate > 0)) throw new RangeError(`Random.exponential: rate must be > 0, got ${rate}`);
    return -Math.log(this.nextOpen()) / rate;
  }

  /** Gamma(shape k, scale θ): mean kθ, variance kθ², coefficient of variation 1/sqrt(k). */
  gamma(shape: number, scale: number): number {
    if (!(shape > 0) || !(scale > 0)) throw new RangeError(`Random.gamma: shape and scale must be > 0, got ${shape}, ${scale}`);
    if (shape < 1) {
      // Boost: if X ~ Gamma(k + 1) and U ~ U(0,1) then X * U^(1/k) ~ Gamma(k).
      return this.gamma(shape + 1, scale) * Math.pow(this.nextOpen(), 1 / shape);
    }
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      const x = this.normal();
      let v = 1 + c * x;
      if (v <= 0) continue;
      v = v * v * v;
      const u = this.nextOpen();
      const x2 = x * x;
      if (u < 1 - 0.0331 * x2 * x2) return d * v * scale;
      if (Math.log(u) < 0.5 * x2 + d * (1 - v + Math.log(v))) return d * v * scale;
    }
  }

  /** Lognormal: exp(mu + sigma * Z). Median e^mu, mean e^(mu + sigma²/2). */
  lognormal(mu: number, sigma: number): number {
    if (!(sigma >= 0)) throw new RangeError(`Random.lognormal: sigma must be >= 0, got ${sigma}`);
    return Math.exp(mu + sigma * this.normal());
  }

  /** Index i with probability weights[i] / sum(weights). Weights must be >= 0 with a positive sum. */
  weightedIndex(weights: readonly number[]): number {
    let total = 0;
    for (const w of weights) {
      if (!(w >= 0) || !Number.isFinite(w)) throw new RangeError(`Random.weightedIndex: weights must be finite and >= 0, got ${w}`);
      total += w;
    }
    if (!(total > 0)) throw new RangeError('Random.weightedIndex: weights sum to 0');
    let x = this.next() * total;
    for (let i = 0; i < weights.length; i++) {
      x -= weights[i]!;
      if (x < 0) return i;
    }
    // Rounding can leave x a hair above 0 after the last weight: the last positive weight wins.
    for (let i = weights.length - 1; i >= 0; i--) if (weights[i]! > 0) return i;
    return weights.length - 1;
  }
}
