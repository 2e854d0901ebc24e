/**
 * `model`: prefill and decode tokens/s of whole models through GpuModel.forward (one step = one command
 * buffer, one submit, the sampled ids read back), driven with hand-built ForwardBatches so the numbers
 * are the model's, not the scheduler's.
 *
 * Models: the built-in playstories-0.9m (public/models), stories260K (../shared/models; skipped, saying
 * why, where absent), and a synthetic Llama-3-shaped model (random weights; GQA 4:1, FFN 3.5x, RoPE
 * theta 500000; its size depends on the adapter, see syntheticBenchConfig).
 *
 * Cases per model, batch B in 1, 8, 32 (each row its own pages from a bump allocator, page 0 unused):
 *   `<model> prefill B<B>x<P>`  one step of B prompts of P tokens each (positions 0..P-1); samples one
 *                               token per row (logits of each row's last token only). P: prefillLen below.
 *   `<model> decode B<B> ctx64` one step of B rows of one token at position 63 (context 64), attending
 *                               to 64 positions of its pages (the first P written by the prefill cases).
 * A case's time is one step: GPU timestamps around the whole step (the model is built with
 * profileKernels off, so the step is ONE compute pass and the time includes the barriers between its
 * dispatches), or submit-to-readback wall clock where the adapter has no timestamps (method says which).
 * params: tokens (per step), dispatches (per step), and after the case ran tokens_per_s and wall_ms
 * (medians over every run of the case, warmup included: the suite does not know which runs the runner
 * times; for the exact figure divide tokens by the result's median_ms). work: FLOPs (2 x params x tokens
 * + attention + lm_head for the sampled rows) and bytes (weights once + KV read and written).
 *
 * Also logged per model: dispatches per step, and decode-B1, decode-B32 and prefill-B1 steps split by kernel
 * (a second model instance on the same weights, profiling every step: each dispatch in its own timestamped
 * pass).
 */
import { median } from '../../metrics/stats';
import type { GpuContext } from '../../gpu';
import { KV_ELEMENT_BYTES } from '../../kernels/kv-layout';
import { GpuModel, type ForwardBatch, type ForwardRow } from '../../model/gpu-model';
import { uploadWeights, type GpuWeights } from '../../model/gpu-weights';
import { openModel } from '../../model/load';
import { syntheticWeights } from '../../model/synthetic';
import { validateConfig, type ModelConfig } from '../../model/config';
import type { WeightSource } from '../../model/weights';
import type { BenchCase, BenchContext, BenchSuite } from '../suite';

const TPP = 16;
const BATCHES = [1, 8, 32];

interface ModelSpec {
  key: string;
  /** The weights, or a reason to skip. */
  open(ctx: BenchContext): Promise<WeightSource | string>;
}

/**
 * Tokens per prompt in the prefill cases: 64 on hardware; 4 on a software adapter, where a step's time
 * grows with its tokens (about 20 ms per token for the built-in model on SwiftShader) and B32 x 64 would
 * take a minute per step. Decode rows sit at position DECODE_POS (context 64) either way.
 */
const prefillLen = (gpu: GpuContext, smoke: boolean) => (smoke ? 4 : gpu.info.isSoftware ? 4 : 64);
const DECODE_POS = 63;

/**
 * A Llama-3-8B-shaped model scaled down (GQA 4:1, FFN 3.5x, RoPE theta 500000, untied lm_head). On a
 * software adapter 4 heads x 32 and vocab 1024 (about the built-in model's size, so the suite stays near a
 * minute on SwiftShader); on hardware 8 heads x 64, 4 layers, vocab 4096 (11 M parameters), where a step of
 * the tiny models is all dispatch overhead and a larger one shows what batching buys once the work counts.
 * The smoke run's is tinier still.
 */
export function syntheticBenchConfig(size: 'smoke' | 'software' | 'hardware'): ModelConfig {
  const shape = { smoke: { heads: 4, headDim: 8, layers: 2, vocab: 256 }, software: { heads: 4, headDim: 32, layers: 2, vocab: 1024 }, hardware: { heads: 8, headDim: 64, layers: 4, vocab: 4096 } }[size];
  const dim = shape.heads * shape.headDim;
  return validateConfig({
    name: `random Llama-3-shaped (${shape.heads} heads x ${shape.headDim}, GQA 4:1, ${shape.layers} layers)`,
    synthetic: true,
    dim,
    hiddenDim: (dim * 7) / 2,
    numLayers: shape.layers,
    numHeads: shape.heads,
    numKvHeads: shape.heads / 4,
    headDim: shape.headDim,
    vocabSize: shape.vocab,
    maxSeqLen: 512,
    rmsNormEps: 1e-5,
    ropeTheta: 500000,
    ropeConvention: 'rotate-half',
    tiedEmbeddings: false,
    bosId: 0,
    eosIds: [1],
  });
}

/** An HF folder's config + weights through the host's file reader; a reason string when it cannot. */
async function openFolder(ctx: BenchContext, dir: string, what: string): Promise<WeightSource | string> {
  if (!ctx.fetchFile) return `${what}: this host serves no files`;
  const [config, weights] = await Promise.all([ctx.fetchFile(`${dir}/config.json`), ctx.fetchFile(`${dir}/model.safetensors`)]);
  if (!config || !weights) return `${what}: ${dir} is absent here`;
  return (await openModel({ 'config.json': config, 'model.safetensors': weights })).weights;
}

const MODELS: ModelSpec[] = [
  { key: 'playstories-0.9m', open: (ctx) => openFolder(ctx, 'public/models/playstories-0.9m', 'built-in model') },
  { key: 'stories260K', open: (ctx) => openFolder(ctx, '../shared/models/stories260K', 'stories260K') },
  { key: 'synthetic', open: async (ctx) => syntheticWeights(syntheticBenchConfig(ctx.smoke ? 'smoke' : ctx.gpu!.info.isSoftware ? 'software' : 'hardware'), { seed: 1 }) },
];

/** Weight elements the dense layers read per token (every matmul but the lm_head). */
function denseParams(c: ModelConfig): number {
  const q = c.numHeads * c.headDim;
  const kv = c.numKvHeads * c.headDim;
  return c.numLayers * (c.dim * (q + 2 * kv) + q * c.dim + 3 * c.dim * c.hiddenDim);
}

/** FLOPs and bytes of a step of `rows` rows of `n` tokens starting at `start` (gpu-runner.ts's formulas). */
function stepWork(c: ModelConfig, weightBytes: number, rows: number, n: number, start: number): { flops: number; bytes: number } {
  const kv = c.numKvHeads * c.headDim;
  const dense = denseParams(c);
  const T = rows * n;
  const attn = (rows * n * (start + start + n + 1)) / 2;
  const flops = 2 * dense * T + 2 * c.dim * c.vocabSize * rows + c.numLayers * 4 * c.numHeads * c.headDim * attn;
  const bytes = (dense + c.dim * c.vocabSize) * weightBytes + c.numLayers * rows * (start + n) * 2 * kv * KV_ELEMENT_BYTES + T * c.numLayers * 2 * kv * KV_ELEMENT_BYTES;
  return { flops, bytes };
}

/** Per-kernel GPU time of one profiled step, summed by kernel label, as one log line. */
async function kernelSplit(model: GpuModel, batch: ForwardBatch): Promise<string> {
  await model.forward(batch);
  const r = await model.forward(batch);
  if (r.timing.method !== 'gpu-timestamp') return `no timestamps (${r.timing.method})`;
  const by = new Map<string, { ms: number; n: number }>();
  for (const p of r.timing.passes) {
    const e = by.get(p.label) ?? { ms: 0, n: 0 };
    e.ms += p.ms;
    e.n++;
    by.set(p.label, e);
  }
  const total = r.timing.totalMs;
  const parts = [...by].sort((a, b) => b[1].ms - a[1].ms).map(([k, v]) => `${k} ${(v.ms * 1000).toFixed(0)}us/${v.n}`);
  return `${r.numDispatches} passes, sum ${(total * 1000).toFixed(0)} us = ${((total * 1000) / r.numDispatches).toFixed(1)} us per dispatch: ${parts.join(', ')}`;
}

interface Loaded {
  spec: ModelSpec;
  config: ModelConfig;
  weights: GpuWeights;
  model: GpuModel;
  pool: GPUBuffer;
  rowsPerBatch: Map<number, ForwardRow[]>;
  /** Prefill tokens per row. */
  P: number;
  pagesPerRow: number;
}

async function load(gpu: GpuContext, spec: ModelSpec, src: WeightSource, smoke: boolean, log: (m: string) => void): Promise<Loaded> {
  const c = src.config;
  const weights = await uploadWeights(gpu, src);
  const P = prefillLen(gpu, smoke);
  const maxB = smoke ? 1 : Math.max(...BATCHES);
  const pagesPerRow = Math.ceil(Math.max(P, DECODE_POS + 1) / TPP);
  const layout = { numPages: 1 + maxB * pagesPerRow, numLayers: c.numLayers, numKvHeads: c.numKvHeads, headDim: c.headDim, tokensPerPage: TPP };
  const pool = gpu.device.createBuffer({ label: 'ModelBench.kvPool', size: layout.numPages * GpuModel.pageBytes(layout), usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC });
  const opts = { maxTokens: maxB * P, maxSeqs: maxB, maxBlockTableEntries: maxB * pagesPerRow };
  const model = new GpuModel(gpu, c, weights, { buffer: pool, layout }, { ...opts, profileKernels: false });
  // Rows: row r owns pages 1 + r*pagesPerRow .. (a bump allocator; page 0 stays unused).
  const rowsPerBatch = new Map<number, ForwardRow[]>();
  const tables = Array.from({ length: maxB }, (_, r) => Array.from({ length: pagesPerRow }, (_, i) => 1 + r * pagesPerRow + i));
  const prompt = (r: number) => Array.from({ length: P }, (_, i) => (3 + 7 * i + 13 * r) % c.vocabSize);
  for (const B of smoke ? [1] : BATCHES) rowsPerBatch.set(B, tables.slice(0, B).map((bt, r) => ({ tokenIds: prompt(r), positionStart: 0, blockTable: bt, numSamples: 1, sampling: { temperature: 0, topK: 0, topP: 1, seed: 0 }, counter: P })));
  log(`model ${spec.key}: ${c.name ?? 'model'}, ${c.numLayers} layers, dim ${c.dim}, ${c.numHeads}/${c.numKvHeads} heads x ${c.headDim}, ffn ${c.hiddenDim}, vocab ${c.vocabSize}; ${weights.weightType} weights ${(weights.bytes / 2 ** 20).toFixed(2)} MiB; ${model.numDispatchesPerStep} dispatches per step`);
  return { spec, config: c, weights, model, pool, rowsPerBatch, P, pagesPerRow };
}

function cases(gpu: GpuContext, m: Loaded, smoke: boolean, log: (m: string) => void): BenchCase[] {
  const c = m.config;
  const P = m.P;
  const wBytes = m.weights.weightType === 'f16' ? 2 : 4;
  const out: BenchCase[] = [];
  const decodeTps = new Map<number, number>();
  const mk = (kind: 'prefill' | 'decode', B: number): BenchCase => {
    const base = m.rowsPerBatch.get(B)!;
    const rows: ForwardRow[] = kind === 'prefill' ? base : base.map((r) => ({ ...r, tokenIds: [(5 + r.blockTable[0]!) % c.vocabSize], positionStart: DECODE_POS, counter: DECODE_POS + 1 }));
    const batch: ForwardBatch = { rows, pageCopies: [] };
    const n = kind === 'prefill' ? P : 1;
    const tokens = B * n;
    const name = kind === 'prefill' ? `${m.spec.key} prefill B${B}x${P}` : `${m.spec.key} decode B${B} ctx${DECODE_POS + 1}`;
    const params: BenchCase['params'] = { model: m.spec.key, kind, batch: B, tokens, context: kind === 'prefill' ? P : DECODE_POS + 1, dispatches: m.model.numDispatchesPerStep, weight_type: m.weights.weightType };
    const gpuMs: number[] = [];
    const wallMs: number[] = [];
    return {
      name,
      params,
      work: stepWork(c, wBytes, B, n, kind === 'prefill' ? 0 : DECODE_POS),
      async run() {
        const t0 = performance.now();
        const r = await m.model.forward(batch);
        wallMs.push(performance.now() - t0);
        const ms = r.timing.method === 'gpu-timestamp' ? r.timing.totalMs : wallMs[wallMs.length - 1]!;
        gpuMs.push(ms);
        const bad = r.tokens.flat().find((t) => !(t >= 0 && t < c.vocabSize));
        if (bad !== undefined) throw new Error(`${name}: sampled token ${bad} is outside the vocabulary (${c.vocabSize})`);
        return { ms, method: r.timing.method };
      },
      dispose() {
        const tps = (tokens * 1000) / median(gpuMs);
        params['tokens_per_s'] = Math.round(tps * 10) / 10;
        params['wall_ms'] = Math.round(median(wallMs) * 1000) / 1000;
        params['wall_tokens_per_s'] = Math.round(((tokens * 1000) / median(wallMs)) * 10) / 10;
        let line = `${name}: ${tps.toFixed(0)} tokens/s (${median(gpuMs).toFixed(3)} ms/step; wall ${median(wallMs).toFixed(3)} ms)`;
        if (kind === 'decode') {
          decodeTps.set(B, tps);
          const one = decodeTps.get(1);
          if (B > 1 && one) {
            params['vs_batch1'] = Math.round((tps / one) * 100) / 100;
            line += `; ${(tps / one).toFixed(2)}x batch 1`;
          }
        }
        log(line);
      },
    };
  };
  for (const B of m.rowsPerBatch.keys()) {
    if (smoke) {
      out.push(mk('decode', B));
      continue;
    }
    out.push(mk('prefill', B));
  }
  if (!smoke) for (const B of m.rowsPerBatch.keys()) out.push(mk('decode', B));
  // The last case frees the model (cases run in order; dispose runs after each case's repetitions).
  const last = out[out.length - 1]!;
  const lastDispose = last.dispose!.bind(last);
  last.dispose = () => {
    lastDispose();
    m.model.destroy();
    m.pool.destroy();
  };
  void gpu;
  return out;
}

export const modelSuite: BenchSuite = {
  name: 'model',
  description: 'Prefill and decode tokens/s of whole models (built-in, stories260K, synthetic) through GpuModel.forward at batch 1, 8 and 32',
  needsGpu: true,
  async cases(ctx) {
    const gpu = ctx.gpu!;
    const all: BenchCase[] = [];
    for (const spec of ctx.smoke ? MODELS.filter((s) => s.key === 'synthetic') : MODELS) {
      const src = await spec.open(ctx);
      if (typeof src === 'string') {
        ctx.log(`model ${spec.key}: skipped (${src})`);
        continue;
      }
      const m = await load(gpu, spec, src, ctx.smoke, ctx.log);
      if (!ctx.smoke && gpu.hasTimestamps) {
        // Decode B1, decode B32 and prefill B1 steps with every dispatch in its own timestamped pass: where a step's time goes.
        const P = m.P;
        const maxB = Math.max(...BATCHES);
        const profiled = new GpuModel(gpu, m.config, m.weights, m.model.pool, { maxTokens: maxB * P, maxSeqs: maxB, maxBlockTableEntries: maxB * m.pagesPerRow, profileKernels: true, profileEvery: 1 });
        const decode = (rows: ForwardRow[]): ForwardBatch => ({ rows: rows.map((r) => ({ ...r, tokenIds: [5], positionStart: DECODE_POS, counter: DECODE_POS + 1 })), pageCopies: [] });
        ctx.log(`model ${spec.key} decode B1 by kernel: ${await kernelSplit(profiled, decode(m.rowsPerBatch.get(1)!))}`);
        ctx.log(`model ${spec.key} decode B${maxB} by kernel: ${await kernelSplit(profiled, decode(m.rowsPerBatch.get(maxB)!))}`);
        ctx.log(`model ${spec.key} prefill B1x${P} by kernel: ${await kernelSplit(profiled, { rows: m.rowsPerBatch.get(1)!, pageCopies: [] })}`);
        destroyKeepingWeights(profiled);
      }
      all.push(...cases(gpu, m, ctx.smoke, ctx.log));
    }
    return all;
  },
};

/** GpuModel.destroy() also frees the weights; the profiled twin shares them, so free only its own buffers. */
function destroyKeepingWeights(m: GpuModel): void {
  const w = m.weights;
  const keep = w.destroy;
  (w as { destroy: () => void }).destroy = () => {};
  try {
    m.destroy();
  } finally {
    (w as { destroy: () => void }).destroy = keep;
  }
}
