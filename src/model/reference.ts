/**
 * Plain-TypeScript Llama forward pass in float64: the oracle the GPU forward pass is checked against.
 * One token at a time per sequence, with a per-sequence KV cache (no paging), as llama2.c's run.c:
 *
 *   x = embed[token]
 *   per layer: h = rmsnorm(x) * attn_norm; q = Wq h; k = Wk h; v = Wv h; RoPE(q, k) at position pos;
 *     per query head h (kv head h / group): a = softmax_t(q_h . k_t / sqrt(headDim)), t = 0..pos;
 *     x += Wo concat_h(sum_t a_t v_t);  h = rmsnorm(x) * ffn_norm; x += Wdown(silu(Wgate h) * (Wup h))
 *   logits = lm_head (rmsnorm(x) * final_norm)      (lm_head = embed when tied)
 *
 * rmsnorm(x) = x / sqrt(mean(x^2) + eps). RoPE angle for pair i of a head: pos * theta^(-2i / headDim);
 * the pair is (2i, 2i+1) for 'interleaved' and (i, i + headDim/2) for 'rotate-half'.
 */
import { gqaGroup, type ModelConfig } from './config';
import { MissingTensorError, ShapeMismatchError } from './errors';
import { expectedTensors } from './weights';

export type Weights = ReadonlyMap<string, ArrayLike<number>>;

/** One sequence's KV cache: per layer, per position, the kv-head-major k and v vectors. */
export class ReferenceSequence {
  readonly k: Float64Array[][];
  readonly v: Float64Array[][];
  constructor(numLayers: number) {
    this.k = Array.from({ length: numLayers }, () => []);
    this.v = Array.from({ length: numLayers }, () => []);
  }
  /** Tokens processed so far = the position of the next token. */
  get length(): number {
    return this.k[0]?.length ?? 0;
  }
}

/** y = W x for row-major W [rows, cols]. */
function matvec(w: ArrayLike<number>, x: Float64Array, rows: number, cols: number): Float64Array {
  const y = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    const base = r * cols;
    for (let c = 0; c < cols; c++) s += w[base + c]! * x[c]!;
    y[r] = s;
  }
  return y;
}

function rmsnorm(x: Float64Array, w: ArrayLike<number>, eps: number): Float64Array {
  let ss = 0;
  for (let i = 0; i < x.length; i++) ss += x[i]! * x[i]!;
  const inv = 1 / Math.sqrt(ss / x.length + eps);
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = x[i]! * inv * w[i]!;
  return out;
}

/** Rotates every head of `x` (numHeads x headDim) in place for position `pos`. */
export function applyRope(x: Float64Array, numHeads: number, headDim: number, pos: number, theta: number, convention: ModelConfig['ropeConvention']): void {
  const half = headDim / 2;
  for (let h = 0; h < numHeads; h++) {
    for (let i = 0; i < half; i++) {
      const angle = pos * Math.pow(theta, -(2 * i) / headDim);
      const cos = Math.cos(angle);
      const sin = Math.sin(angle);
      const a = h * headDim + (convention === 'interleaved' ? 2 * i : i);
      const b = convention === 'interleaved' ? a + 1 : a + half;
      const xa = x[a]!;
      const xb = x[b]!;
      x[a] = xa * cos - xb * sin;
      x[b] = xa * sin + xb * cos;
    }
  }
}

export class ReferenceModel {
  private readonly w: Weights;
  constructor(
    readonly config: ModelConfig,
    weights: Weights,
  ) {
    for (const e of expectedTensors(config)) {
      const t = weights.get(e.name);
      if (!t) throw new MissingTensorError(undefined, e.name);
      const n = e.shape.reduce((a, b) => a * b, 1);
      if (t.length !== n) throw new ShapeMismatchError(undefined, e.name, e.shape, [t.length]);
    }
    this.w = weights;
  }

  newSequence(): ReferenceSequence {
    return new ReferenceSequence(this.config.numLayers);
  }

  private t(name: string): ArrayLike<number> {
    return this.w.get(name)!;
  }

  /** Runs `token` at position seq.length, appends its k/v to the cache, returns the logits (vocabSize). */
  forward(seq: ReferenceSequence, token: number): Float64Array {
    const c = this.config;
    if (!Number.isInteger(token) || token < 0 || token >= c.vocabSize) throw new RangeError(`token ${token} outside [0, ${c.vocabSize})`);
    const pos = seq.length;
    const D = c.dim;
    const hd = c.headDim;
    const q = c.numHeads * hd;
    const kv = c.numKvHeads * hd;
    const group = gqaGroup(c);
    const embed = this.t('embed');
    let x: Float64Array = new Float64Array(D);
    for (let i = 0; i < D; i++) x[i] = embed[token * D + i]!;
    for (let l = 0; l < c.numLayers; l++) {
      const p = `layers.${l}.`;
      const h = rmsnorm(x, this.t(`${p}attn_norm`), c.rmsNormEps);
      const qv = matvec(this.t(`${p}attn.wq`), h, q, D);
      const kvec = matvec(this.t(`${p}attn.wk`), h, kv, D);
      const vvec = matvec(this.t(`${p}attn.wv`), h, kv, D);
      applyRope(qv, c.numHeads, hd, pos, c.ropeTheta, c.ropeConvention);
      applyRope(kvec, c.numKvHeads, hd, pos, c.ropeTheta, c.ropeConvention);
      seq.k[l]!.push(kvec);
      seq.v[l]!.push(vvec);
      const att = new Float64Array(q);
      const scale = 1 / Math.sqrt(hd);
      const scores = new Float64Array(pos + 1);
      for (let head = 0; head < c.numHeads; head++) {
        const kh = Math.floor(head / group);
        let max = -Infinity;
        for (let t = 0; t <= pos; t++) {
          const kt = seq.k[l]![t]!;
          let s = 0;
          for (let i = 0; i < hd; i++) s += qv[head * hd + i]! * kt[kh * hd + i]!;
          scores[t] = s * scale;
          if (scores[t]! > max) max = scores[t]!;
        }
        let sum = 0;
        for (let t = 0; t <= pos; t++) {
          scores[t] = Math.exp(scores[t]! - max);
          sum += scores[t]!;
        }
        for (let t = 0; t <= pos; t++) {
          const a = scores[t]! / sum;
          const vt = seq.v[l]![t]!;
          for (let i = 0; i < hd; i++) att[head * hd + i]! += a * vt[kh * hd + i]!;
        }
      }
      const o = matvec(this.t(`${p}attn.wo`), att, D, q);
      for (let i = 0; i < D; i++) x[i]! += o[i]!;
      const h2 = rmsnorm(x, this.t(`${p}ffn_norm`), c.rmsNormEps);
      const g = matvec(this.t(`${p}ffn.w_gate`), h2, c.hiddenDim, D);
      const u = matvec(this.t(`${p}ffn.w_up`), h2, c.hiddenDim, D);
      for (let i = 0; i < c.hiddenDim; i++) g[i] = (g[i]! / (1 + Math.exp(-g[i]!))) * u[i]!;
      const down = matvec(this.t(`${p}ffn.w_down`), g, D, c.hiddenDim);
      for (let i = 0; i < D; i++) x[i]! += down[i]!;
    }
    x = rmsnorm(x, this.t('final_norm'), c.rmsNormEps);
    return matvec(this.t(c.tiedEmbeddings ? 'embed' : 'lm_head'), x, c.vocabSize, D);
  }

  /** Runs every token of `tokens`; returns the logits after the last one. */
  prefill(seq: ReferenceSequence, tokens: readonly number[]): Float64Array {
    let logits: Float64Array = new Float64Array(0);
    for (const t of tokens) logits = this.forward(seq, t);
    return logits;
  }
}

/** Index of the largest value (the first one on ties, as llama2.c's argmax). */
export function argmax(v: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i]! > v[best]!) best = i;
  return best;
}

export interface GenerateOptions {
  maxNewTokens: number;
  /** Stop after emitting any of these (the stop token is included in the output). Default: none. */
  stopIds?: readonly number[];
  /** Called with each new token as it is produced. */
  onToken?: (id: number) => void;
}

/** Greedy decoding: prefill the prompt, then append argmax(logits) until maxNewTokens or a stop id. */
export function greedyGenerate(model: ReferenceModel, promptIds: readonly number[], opts: GenerateOptions): number[] {
  if (promptIds.length === 0) throw new RangeError('greedyGenerate needs at least one prompt token (usually BOS)');
  const seq = model.newSequence();
  let logits: Float64Array = model.prefill(seq, promptIds);
  const out: number[] = [];
  const stop = new Set(opts.stopIds ?? []);
  for (let i = 0; i < opts.maxNewTokens; i++) {
    const next = argmax(logits);
    out.push(next);
    opts.onToken?.(next);
    if (stop.has(next) || i + 1 === opts.maxNewTokens) break;
    logits = model.forward(seq, next);
  }
  return out;
}
