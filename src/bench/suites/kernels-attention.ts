/**
 * `kernels.attention`: decode and prefill attention, paged (PagedAttention through block tables, pages
 * scrambled in the pool) vs contiguous ([seq][maxLen] cache, the pre-paging baseline), and the same decode
 * attention composed from TensorFlow.js ops (matMul, softmax, matMul) on the same device.
 *
 * Cases (per shape, adjacent so they see the same machine state):
 *   `... paged gpu-ts` / `... contiguous gpu-ts`  GPU timestamps around one pass of `inner` attention
 *       steps (each step: decode-split + prefill-tile dispatches + the split reduce), per step
 *   `... interleaved wall`  each repetition runs paged, contiguous and tfjs one after another (rotating
 *       which goes first), each as `inner` calls then reading the output back, wall clock. Its time is the
 *       paged one; its params carry the medians of all three and the ratios tfjs/paged and paged/contiguous
 *       (like-for-like: wall against wall; the median of per-repetition ratios, all but the first two).
 * GB/s = effective K/V reads: every cached K and V element the step attends to, read once (B x ctx x
 * kvHeads x D x 4 B x 2), over the median time. Prefill GFLOP/s counts the causal QK^T and PV products.
 *
 * The models' decode shapes (context 64; stories260K 8/4 heads x 8, the built-in model 4/2 x 32; batch 1
 * and 32) run with this adapter's decode kernel and with each decode kernel explicitly (`config
 * decode-tile` / `config decode-subgroup`, adjacent), each checked against the reference first.
 * Before timing, the issue's decode shape is checked against the f64 reference (paged and contiguous),
 * and every larger shape paged against contiguous. On hardware adapters the suite adds a long-context
 * decode (batch 32, context 4096, 32 heads / 8 kv heads, head dim 128; batch shrunk to fit the binding
 * limit) and alternative tile configs and split policies (`config ...` cases, among them the previous
 * defaults as `config before`) that show why the defaults are what they are. Every config is checked
 * (paged against contiguous, or against the reference on small shapes) before it is timed.
 */
import { median } from '../../metrics/stats';
import { GpuTimer, PipelineCache, createBuffer, readBuffer, storageBuffer, type GpuContext } from '../../gpu';
import {
  ContiguousAttention, PagedAttention, defaultSplitPolicy, subgroupDecodeLanes, subgroupWorkgroupSize,
  type AttentionBatch, type AttentionPlan, type DecodeKernel, type SplitPolicy,
} from '../../kernels/attention';
import { attentionReference } from '../../kernels/attention-reference';
import { kvOffset, pageStride, KV_ELEMENT_BYTES } from '../../kernels/kv-layout';
import type { BenchCase, BenchContext, BenchSample, BenchSuite } from '../suite';

interface Shape {
  /** Sequences (decode) or 1 (prefill). */
  batch: number;
  /** Context per sequence (decode) or prefill length. */
  ctx: number;
  heads: number;
  kvHeads: number;
  dim: number;
  prefill: boolean;
}

const TPP = 16;
const shapeName = (s: Shape) =>
  `${s.prefill ? 'prefill' : 'decode'} B${s.batch} ctx${s.ctx} H${s.heads}/KV${s.kvHeads} D${s.dim}`;
const kvBytes = (s: Shape) => s.batch * s.ctx * s.kvHeads * s.dim * KV_ELEMENT_BYTES * 2;

function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296 - 0.5;
  };
}
const fill = (n: number, seed: number) => {
  const r = seeded(seed);
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = r();
  return a;
};

/** A seeded permutation: the pool's pages in scrambled order. */
function scrambled(n: number, seed: number): Uint32Array {
  const r = seeded(seed);
  const p = new Uint32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor((r() + 0.5) * (i + 1));
    [p[i], p[j]] = [p[j]!, p[i]!];
  }
  return p;
}

interface Setup {
  shape: Shape;
  batch: AttentionBatch;
  q: GPUBuffer;
  pagedPool: GPUBuffer;
  contigPool: GPUBuffer;
  out: GPUBuffer;
  readback: GPUBuffer;
  outBytes: number;
  /** Host copies, kept only for small shapes (reference check). */
  host?: { q: Float32Array; pool: Float32Array; contig: Float32Array };
}

/**
 * Buffers for a shape. Page content is one seeded page-sized pattern P scaled by a per-page factor
 * (1 + (page % 7) / 10), so every page differs and the block tables matter; the contiguous cache holds
 * the same logical K/V (row s, position j = its page's slot). Written in chunks (pools reach 1 GiB).
 */
function makeSetup(gpu: GpuContext, shape: Shape, keepHost: boolean): Setup {
  const { device } = gpu;
  const { batch: B, ctx, heads, kvHeads: KVH, dim: D, prefill } = shape;
  const pagesPerSeq = Math.ceil(ctx / TPP);
  const numPages = B * pagesPerSeq;
  const layout = { numLayers: 1, numKvHeads: KVH, headDim: D, tokensPerPage: TPP };
  const stride = pageStride(layout);
  const perm = scrambled(numPages, 11);
  const queryLen = prefill ? ctx : 1;
  const batch: AttentionBatch = {
    numTokens: B * queryLen,
    seqs: Array.from({ length: B }, (_, s) => ({
      queryStart: s * queryLen,
      queryLen,
      contextLen: ctx,
      blockTable: Array.from(perm.subarray(s * pagesPerSeq, (s + 1) * pagesPerSeq)),
      cacheRow: s,
    })),
  };
  const pattern = fill(stride, 12);
  const scale = (page: number) => 1 + (page % 7) / 10;
  const pagedPool = storageBuffer(device, 'AttentionBench.pagedPool', numPages * stride * 4);
  const contigLayout = { ...layout, tokensPerPage: ctx };
  const contigStride = pageStride(contigLayout);
  const contigPool = storageBuffer(device, 'AttentionBench.contigPool', B * contigStride * 4);
  const hostPool = keepHost ? new Float32Array(numPages * stride) : undefined;
  const hostContig = keepHost ? new Float32Array(B * contigStride) : undefined;
  const chunkPages = 256;
  const chunk = new Float32Array(chunkPages * stride);
  for (let p0 = 0; p0 < numPages; p0 += chunkPages) {
    const n = Math.min(chunkPages, numPages - p0);
    for (let i = 0; i < n; i++) {
      const k = scale(p0 + i);
      const base = i * stride;
      for (let e = 0; e < stride; e++) chunk[base + e] = pattern[e]! * k;
    }
    const view = chunk.subarray(0, n * stride);
    device.queue.writeBuffer(pagedPool, p0 * stride * 4, view);
    hostPool?.set(view, p0 * stride);
  }
  const row = new Float32Array(contigStride);
  for (let s = 0; s < B; s++) {
    for (let b = 0; b < pagesPerSeq; b++) {
      const k = scale(batch.seqs[s]!.blockTable![b]!);
      const slots = Math.min(TPP, ctx - b * TPP);
      for (const kv of [0, 1] as const) {
        for (let h = 0; h < KVH; h++) {
          const src = kvOffset(layout, 0, 0, kv, h, 0, 0);
          const dst = kvOffset(contigLayout, 0, 0, kv, h, b * TPP, 0);
          for (let e = 0; e < slots * D; e++) row[dst + e] = pattern[src + e]! * k;
        }
      }
    }
    device.queue.writeBuffer(contigPool, s * contigStride * 4, row);
    hostContig?.set(row, s * contigStride);
  }
  const qData = fill(batch.numTokens * heads * D, 13);
  const q = storageBuffer(device, 'AttentionBench.q', qData);
  const outBytes = batch.numTokens * heads * D * 4;
  const out = storageBuffer(device, 'AttentionBench.out', outBytes);
  const readback = createBuffer(device, { label: 'AttentionBench.readback', size: outBytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const setup: Setup = { shape, batch, q, pagedPool, contigPool, out, readback, outBytes };
  if (keepHost) setup.host = { q: qData, pool: hostPool!, contig: hostContig! };
  return setup;
}

function destroySetup(s: Setup): void {
  for (const b of [s.q, s.pagedPool, s.contigPool, s.out, s.readback]) b.destroy();
}

interface TileOpts {
  wg?: number;
  bk?: number;
  /** Lanes per key (LK, upper bound), P.V rows per thread (NRV, upper bound), query quads in registers. */
  lk?: number;
  nrv?: number;
  qreg?: boolean;
  /** CLAMPK (no branches around the score loop's K loads); subgroup lane sums (implies clamp). */
  clamp?: boolean;
  sg?: boolean;
  policy?: SplitPolicy;
  /** Decode kernel: the tile kernel or the one-subgroup kernel (default: chooseDecodeKernel). */
  decode?: DecodeKernel;
}

function kernels(gpu: GpuContext, cache: PipelineCache, shape: Shape, opts: TileOpts = {}) {
  const base = {
    numHeads: shape.heads,
    numKvHeads: shape.kvHeads,
    headDim: shape.dim,
    numLayers: 1,
    maxTokens: shape.batch * (shape.prefill ? shape.ctx : 1),
    maxSeqs: shape.batch,
    ...(opts.wg ? { workgroupSize: opts.wg } : {}),
    ...(opts.bk ? { keysPerTile: opts.bk } : {}),
    ...(opts.lk ? { lanesPerKey: opts.lk } : {}),
    ...(opts.nrv ? { rowsPerThread: opts.nrv } : {}),
    ...(opts.qreg !== undefined ? { queryRegisters: opts.qreg } : {}),
    ...(opts.clamp !== undefined ? { clampedLoads: opts.clamp } : {}),
    ...(opts.sg !== undefined ? { subgroupLanes: opts.sg } : {}),
    ...(opts.policy ? { policy: opts.policy } : {}),
    ...(opts.decode ? { decodeKernel: opts.decode } : {}),
  };
  return {
    paged: new PagedAttention(gpu, cache, { ...base, tokensPerPage: TPP, maxBlockTableEntries: shape.batch * Math.ceil(shape.ctx / TPP) }),
    contiguous: new ContiguousAttention(gpu, cache, { ...base, maxLen: shape.ctx }),
  };
}

type Kernel = PagedAttention;
const poolOf = (k: Kernel, s: Setup) => (k.paged ? s.pagedPool : s.contigPool);

function encodeSteps(pass: GPUComputePassEncoder, k: Kernel, plan: AttentionPlan, s: Setup, inner: number): void {
  for (let i = 0; i < inner; i++) k.encode(pass, plan, { q: s.q, pool: poolOf(k, s), out: s.out });
}

/** GPU timestamps around one pass of `inner` steps, per step. */
function timestampRun(gpu: GpuContext, k: Kernel, s: Setup, timer: GpuTimer, inner: number): () => Promise<BenchSample> {
  return async () => {
    const plan = k.prepare(s.batch);
    const enc = gpu.device.createCommandEncoder({ label: 'AttentionBench.encoder' });
    timer.begin();
    const pass = enc.beginComputePass(timer.pass('attention'));
    encodeSteps(pass, k, plan, s, inner);
    pass.end();
    timer.end(enc);
    gpu.device.queue.submit([enc.finish()]);
    const t = await timer.read();
    return { ms: t.totalMs / inner, method: t.method };
  };
}

/** Wall clock from encoding `inner` steps to the output read back on the CPU, per step (as tfjs is timed). */
async function wallRun(gpu: GpuContext, k: Kernel, s: Setup, inner: number): Promise<number> {
  const t0 = performance.now();
  const plan = k.prepare(s.batch);
  const enc = gpu.device.createCommandEncoder({ label: 'AttentionBench.encoder' });
  const pass = enc.beginComputePass({ label: 'AttentionBench.pass' });
  encodeSteps(pass, k, plan, s, inner);
  pass.end();
  enc.copyBufferToBuffer(s.out, 0, s.readback, 0, s.outBytes);
  gpu.device.queue.submit([enc.finish()]);
  await s.readback.mapAsync(GPUMapMode.READ);
  s.readback.unmap();
  return (performance.now() - t0) / inner;
}

async function runOnce(gpu: GpuContext, k: Kernel, s: Setup): Promise<Float32Array> {
  const plan = k.prepare(s.batch);
  const enc = gpu.device.createCommandEncoder({ label: 'AttentionBench.verify' });
  const pass = enc.beginComputePass({ label: 'AttentionBench.verify' });
  encodeSteps(pass, k, plan, s, 1);
  pass.end();
  gpu.device.queue.submit([enc.finish()]);
  return new Float32Array(await readBuffer(gpu.device, s.out, s.outBytes));
}

function compare(got: Float32Array, want: Float32Array, tol: number, what: string): void {
  let bad = 0;
  let first = '';
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i]! - want[i]!);
    if (!(err <= tol + tol * Math.abs(want[i]!))) {
      if (!bad) first = `[${i}] got ${got[i]}, want ${want[i]}`;
      bad++;
    }
  }
  if (bad) throw new Error(`kernels.attention: ${what} is wrong: ${bad} of ${want.length} mismatches, first ${first}`);
}

/**
 * Paged vs reference (small shapes, host copies kept) or paged vs contiguous (large ones); with `other`
 * (another configuration's paged output: a different code path) also paged vs that. Returns paged's output.
 */
async function verify(gpu: GpuContext, ks: ReturnType<typeof kernels>, s: Setup, log: (m: string) => void, other?: Float32Array): Promise<Float32Array> {
  const paged = await runOnce(gpu, ks.paged, s);
  const contiguous = await runOnce(gpu, ks.contiguous, s);
  const name = shapeName(s.shape);
  if (s.host) {
    const want = attentionReference(s.batch, s.host.q, s.host.pool, {
      numHeads: s.shape.heads, numKvHeads: s.shape.kvHeads, headDim: s.shape.dim, numLayers: 1, tokensPerPage: TPP, layer: 0, paged: true,
    });
    compare(paged, want, 1e-4, `paged ${name} vs reference`);
    compare(contiguous, want, 1e-4, `contiguous ${name} vs reference`);
    log(`attention ${name}: paged and contiguous match the f64 reference`);
  } else {
    compare(paged, contiguous, 1e-5, `paged ${name} vs contiguous`);
    log(`attention ${name}: paged matches contiguous (pages scrambled)`);
  }
  if (other) {
    compare(paged, other, 1e-4, `paged ${name} (wg ${ks.paged.wg}, bk ${ks.paged.bk}) vs the first config's output`);
    log(`attention ${name} wg ${ks.paged.wg} bk ${ks.paged.bk} decode ${JSON.stringify(ks.paged.decodeVariant)}: matches the shape's first config`);
  }
  return paged;
}

/** Minimal view of the tfjs API we use (a devDependency, loaded dynamically; absent in the Node/Dawn bundle). */
interface TfTensor {
  data(): Promise<Float32Array | Int32Array | Uint8Array>;
  dispose(): void;
}
interface Tf {
  tensor3d(values: Float32Array, shape: [number, number, number]): TfTensor;
  matMul(a: TfTensor, b: TfTensor, transposeA?: boolean, transposeB?: boolean): TfTensor;
  softmax(x: TfTensor): TfTensor;
  mul(a: TfTensor, b: number | TfTensor): TfTensor;
  tidy<T>(fn: () => T): T;
  registerBackend(name: string, factory: () => unknown, priority?: number): boolean;
  removeBackend(name: string): void;
  setBackend(name: string): Promise<boolean>;
  ready(): Promise<void>;
  getBackend(): string;
}

/** tfjs's WebGPU backend on OUR device (both run on one adapter), or why it is unavailable. */
async function loadTfjs(gpu: GpuContext): Promise<Tf | string> {
  try {
    const tf = (await import('@tensorflow/tfjs-core')) as unknown as Tf;
    const webgpu = (await import('@tensorflow/tfjs-backend-webgpu')) as unknown as { WebGPUBackend: new (d: GPUDevice, info?: unknown) => unknown };
    if (tf.getBackend() !== 'webgpu') {
      tf.removeBackend('webgpu');
      tf.registerBackend('webgpu', () => new webgpu.WebGPUBackend(gpu.device, gpu.adapter.info), 0);
      if (!(await tf.setBackend('webgpu'))) return 'tf.setBackend("webgpu") failed';
    }
    await tf.ready();
    return tf;
  } catch (e) {
    return `could not load tfjs here (${(e as Error).message})`;
  }
}

/**
 * Decode attention from tfjs ops, MHA layout (G = 1): scores = q · K^T [B*H, 1, ctx], softmax(scores / sqrt(D)),
 * out = P · V [B*H, 1, D]; K and V dense [B*H, ctx, D] (the layout most favourable to tfjs).
 */
function tfjsDecode(tf: Tf, s: Shape) {
  if (s.heads !== s.kvHeads) throw new Error('tfjs composition is written for G = 1');
  const BH = s.batch * s.heads;
  const q = tf.tensor3d(fill(BH * s.dim, 21), [BH, 1, s.dim]);
  const k = tf.tensor3d(fill(BH * s.ctx * s.dim, 22), [BH, s.ctx, s.dim]);
  const v = tf.tensor3d(fill(BH * s.ctx * s.dim, 23), [BH, s.ctx, s.dim]);
  const scale = 1 / Math.sqrt(s.dim);
  return {
    async run(inner: number): Promise<number> {
      const t0 = performance.now();
      let o: TfTensor | undefined;
      for (let i = 0; i < inner; i++) {
        o?.dispose();
        o = tf.tidy(() => tf.matMul(tf.softmax(tf.mul(tf.matMul(q, k, false, true), scale)), v));
      }
      await o!.data();
      o!.dispose();
      return (performance.now() - t0) / inner;
    },
    dispose() {
      for (const t of [q, k, v]) t.dispose();
    },
  };
}

/** Steps per timed pass: enough GPU work (~2 ms) for stable timestamps on hardware; 1 on software. */
function innerReps(gpu: GpuContext, s: Shape): number {
  if (gpu.info.isSoftware) return 1;
  return Math.max(1, Math.min(50, Math.ceil(2e-3 / (kvBytes(s) / 2e12))));
}

function caseWork(s: Shape): BenchCase['work'] {
  const causalPairs = s.prefill ? (s.ctx * (s.ctx + 1)) / 2 : s.ctx;
  return { bytes: kvBytes(s), flops: 4 * s.batch * s.heads * causalPairs * s.dim };
}

/** Runs `free` once every case of `group` has been disposed, in any order (--case disposes unselected cases first). */
function disposeTogether(group: BenchCase[], free: () => void): void {
  let left = group.length;
  for (const c of group) {
    const own = c.dispose?.bind(c);
    c.dispose = () => {
      own?.();
      if (--left === 0) free();
    };
  }
}

/** The gpu-ts cases (paged, contiguous) for one shape and config; `prefix` names the config. */
function timestampCases(gpu: GpuContext, ks: ReturnType<typeof kernels>, s: Setup, prefix: string, extra: BenchCase['params'] = {}): BenchCase[] {
  const inner = innerReps(gpu, s.shape);
  const out: BenchCase[] = [];
  for (const k of [ks.paged, ks.contiguous]) {
    const timer = new GpuTimer(gpu, 1);
    const plan = k.prepare(s.batch);
    const impl = k.paged ? 'paged' : 'contiguous';
    out.push({
      name: `${prefix}${shapeName(s.shape)} ${impl} gpu-ts`,
      params: {
        ...s.shape, impl, inner, timing: 'gpu-timestamp', wg: k.wg, bk: s.shape.prefill ? k.prefillBk : k.bk, qt: k.qt,
        ...(s.shape.prefill
          ? { ...k.tileVariant }
          : { ...k.decodeVariant, decodeKernel: k.decodeKernel }),
        numSplits: plan.numSplits, splitLen: plan.splitLen, targetWorkgroups: k.policy.targetWorkgroups, ...extra,
      },
      work: caseWork(s.shape),
      run: timestampRun(gpu, k, s, timer, inner),
      dispose: () => timer.destroy(),
    });
  }
  return out;
}

export const kernelsAttentionSuite: BenchSuite = {
  name: 'kernels.attention',
  description:
    'causal GQA attention: decode (flash-decoding splits) and prefill, paged vs contiguous vs tfjs ops; GB/s = effective K/V reads',
  needsGpu: true,
  async cases(ctx: BenchContext): Promise<BenchCase[]> {
    const gpu = ctx.gpu!;
    const cache = new PipelineCache(gpu.device);
    const hw = !gpu.info.isSoftware;
    const policy = defaultSplitPolicy(gpu.info.isSoftware);
    ctx.log(`attention split policy for this adapter: target ${policy.targetWorkgroups} workgroups, >= ${policy.minKeysPerSplit} keys per split, <= ${policy.maxSplits} splits`);

    if (ctx.smoke) {
      const shape: Shape = { batch: 2, ctx: 33, heads: 2, kvHeads: 2, dim: 8, prefill: false };
      const s = makeSetup(gpu, shape, true);
      const ks = kernels(gpu, cache, shape);
      await verify(gpu, ks, s, ctx.log);
      const cs = timestampCases(gpu, ks, s, '');
      cs[cs.length - 1]!.dispose = () => destroySetup(s);
      return cs;
    }

    const cases: BenchCase[] = [];
    const pending: Array<() => Promise<void>> = [];
    const tf = await loadTfjs(gpu);
    if (typeof tf === 'string') ctx.log(`tfjs cases left out: ${tf}`);
    else ctx.log(`tfjs ${tf.getBackend()} backend, on our device`);

    const decode: Shape = { batch: 8, ctx: 512, heads: 8, kvHeads: 8, dim: 64, prefill: false };
    const prefill: Shape = { batch: 1, ctx: 512, heads: 8, kvHeads: 8, dim: 64, prefill: true };
    const big: Shape = { batch: 32, ctx: 4096, heads: 32, kvHeads: 8, dim: 128, prefill: false };
    // The big shape's pools (paged and contiguous, 1 GiB each at batch 32) must fit the binding limit.
    const limit = Math.min(gpu.limits.maxStorageBufferBindingSize, gpu.limits.maxBufferSize);
    while (big.batch > 1 && kvBytes(big) > limit) big.batch /= 2;

    // ---- issue decode shape: gpu-ts cases, then the interleaved wall case with tfjs
    {
      const s = makeSetup(gpu, decode, true);
      const ks = kernels(gpu, cache, decode);
      await verify(gpu, ks, s, ctx.log);
      cases.push(...timestampCases(gpu, ks, s, ''));
      const inner = innerReps(gpu, decode);
      const tfCase = typeof tf === 'string' ? undefined : tfjsDecode(tf, decode);
      const samples: Record<string, number[]> = { paged: [], contiguous: [], tfjs: [] };
      const params: BenchCase['params'] = { ...decode, impl: 'paged', inner, timing: 'wall-clock (interleaved, submit to readback)' };
      let rep = 0;
      cases.push({
        name: `${shapeName(decode)} interleaved wall`,
        params,
        work: caseWork(decode),
        async run() {
          const order = ['paged', 'contiguous', 'tfjs'];
          const start = rep++ % order.length;
          for (let i = 0; i < order.length; i++) {
            const impl = order[(start + i) % order.length]!;
            if (impl === 'tfjs') {
              if (tfCase) samples.tfjs!.push(await tfCase.run(inner));
            } else {
              samples[impl]!.push(await wallRun(gpu, impl === 'paged' ? ks.paged : ks.contiguous, s, inner));
            }
          }
          return { ms: samples.paged![samples.paged!.length - 1]!, method: 'wall-clock' };
        },
        dispose() {
          // Per-repetition ratios (the three ran back to back, so a burst of load from elsewhere hits
          // them alike), then their median over every repetition but the first two (the runner's default
          // warm-up; the first also compiles tfjs's shaders). A longer --reps run steadies them further.
          const timed = (k: string) => (samples[k]!.length > 2 ? samples[k]!.slice(2) : samples[k]!);
          const pairRatio = (a: string, b: string) => median(timed(a).map((x, i) => x / timed(b)[i]!));
          params.paged_ms = Number(median(timed('paged')).toFixed(4));
          params.contiguous_ms = Number(median(timed('contiguous')).toFixed(4));
          params.paged_over_contiguous = Number(pairRatio('paged', 'contiguous').toFixed(3));
          // Load from elsewhere only ever adds time, so the ratio of minima is a second, steadier estimate.
          const minOf = (k: string) => Math.min(...timed(k));
          params.paged_over_contiguous_min = Number((minOf('paged') / minOf('contiguous')).toFixed(3));
          if (tfCase) {
            params.tfjs_ms = Number(median(timed('tfjs')).toFixed(4));
            params.tfjs_over_paged = Number(pairRatio('tfjs', 'paged').toFixed(2));
            params.tfjs_over_paged_min = Number((minOf('tfjs') / minOf('paged')).toFixed(2));
            tfCase.dispose();
          }
          ctx.log(
            `${shapeName(decode)} wall, interleaved: paged ${params.paged_ms} ms, contiguous ${params.contiguous_ms} ms ` +
              `(paged/contiguous ${params.paged_over_contiguous}, of minima ${params.paged_over_contiguous_min})` +
              (tfCase ? `, tfjs ${params.tfjs_ms} ms (ours ${params.tfjs_over_paged}x faster, of minima ${params.tfjs_over_paged_min}x)` : ''),
          );
          ks.paged.destroy();
          ks.contiguous.destroy();
          destroySetup(s);
        },
      });
    }

    // ---- prefill, 512 tokens of one sequence
    {
      let s: Setup | undefined;
      let ks: ReturnType<typeof kernels> | undefined;
      const lazy = () => (s ??= makeSetup(gpu, prefill, false));
      const k = () => (ks ??= kernels(gpu, cache, prefill));
      // Built now (verification needs them); the decode shape's buffers are gone by the time these run.
      const setup = lazy();
      await verify(gpu, k(), setup, ctx.log);
      const cs = timestampCases(gpu, k(), setup, '');
      const last = cs[cs.length - 1]!;
      const d = last.dispose;
      last.dispose = () => {
        d?.();
        ks?.paged.destroy();
        ks?.contiguous.destroy();
        if (s) destroySetup(s);
      };
      cases.push(...cs);
    }

    // ---- the models' decode shapes at context 64 (stories260K: 8/4 heads x 8; built-in: 4/2 heads x 32),
    // batch 1 and 32, each with this adapter's decode kernel and then both kernels explicitly, adjacent.
    {
      const modelShapes: Shape[] = [
        { batch: 1, ctx: 64, heads: 8, kvHeads: 4, dim: 8, prefill: false },
        { batch: 32, ctx: 64, heads: 8, kvHeads: 4, dim: 8, prefill: false },
        { batch: 1, ctx: 64, heads: 4, kvHeads: 2, dim: 32, prefill: false },
        { batch: 32, ctx: 64, heads: 4, kvHeads: 2, dim: 32, prefill: false },
      ];
      for (const shape of modelShapes) {
        const s = makeSetup(gpu, shape, true);
        const group = shape.heads / shape.kvHeads;
        const kinds: DecodeKernel[] = gpu.hasSubgroups && subgroupDecodeLanes(shape.dim, group, subgroupWorkgroupSize(gpu)) > 0 ? ['tile', 'subgroup'] : ['tile'];
        const configs: Array<[string, TileOpts]> = [['', {}], ...kinds.map((k): [string, TileOpts] => [`config decode-${k}: `, { decode: k }])];
        const shapeCases: BenchCase[] = [];
        for (const [name, opts] of configs) {
          const ks = kernels(gpu, cache, shape, opts);
          const cs = timestampCases(gpu, ks, s, name);
          // Freed once both of the config's cases are disposed (with --case, unselected ones go first).
          disposeTogether(cs, () => {
            ks.paged.destroy();
            ks.contiguous.destroy();
          });
          shapeCases.push(...cs);
          pending.push(() => verify(gpu, ks, s, ctx.log).then(() => undefined));
        }
        disposeTogether(shapeCases, () => destroySetup(s));
        cases.push(...shapeCases);
      }
      for (const check of pending.splice(0)) await check();
    }

    // ---- hardware: long-context decode, and alternatives that justify the defaults
    if (hw) {
      // Alternatives to the hardware defaults (128 threads; decode: 8 lanes per key summed with subgroup
      // shuffles and 64-key tiles where the device has subgroups, else workgroup-memory sums and 32-key
      // tiles; up to 8 P.V rows per thread, split target 4096 workgroups; prefill tile: 128-key tiles, 8 rows).
      // Run 4 measured the clamp / sg configs below against the run-3 defaults (32-key tiles, no subgroups). `before` =
      // the defaults before lanes and rows existed (128 threads, 128-key tiles, a thread per K row, V
      // re-read per query row); `before-best` = the best configuration measured before them.
      const before = { wg: 128, bk: 128, lk: 1, nrv: 1 };
      const configs: Array<{ name: string; shape: Shape } & TileOpts> = [
        { name: '', shape: big },
        { name: 'config before (wg128 bk128 lk1 nrv1): ', shape: big, ...before },
        { name: 'config before-best (wg128 bk64 lk1 nrv1): ', shape: big, wg: 128, bk: 64, lk: 1, nrv: 1 },
        // Run 4: clamped K loads (CLAMPK) and subgroup lane sums (sg), bk 32/64 x LK 4/8.
        { name: 'config clamp: ', shape: big, clamp: true },
        { name: 'config clamp lk4: ', shape: big, clamp: true, lk: 4 },
        { name: 'config clamp bk64: ', shape: big, clamp: true, bk: 64 },
        { name: 'config clamp bk64 lk4: ', shape: big, clamp: true, bk: 64, lk: 4 },
        { name: 'config sg: ', shape: big, sg: true },
        { name: 'config sg lk4: ', shape: big, sg: true, lk: 4 },
        { name: 'config sg bk64: ', shape: big, sg: true, bk: 64 },
        { name: 'config sg bk64 lk4: ', shape: big, sg: true, bk: 64, lk: 4 },
        { name: 'config sg bk128: ', shape: big, sg: true, bk: 128 },
        { name: 'config sg qreg: ', shape: big, sg: true, qreg: true },
        { name: 'config clamp qreg: ', shape: big, clamp: true, qreg: true },
        { name: 'config bk64: ', shape: big, bk: 64 },
        { name: 'config lk4: ', shape: big, lk: 4 },
        { name: 'config decode-subgroup: ', shape: big, decode: 'subgroup' as const },
        { name: 'config again (defaults): ', shape: big },
        { name: 'config before (wg128 bk128 lk1 nrv1): ', shape: decode, ...before },
        { name: 'config clamp: ', shape: decode, clamp: true },
        { name: 'config sg: ', shape: decode, sg: true },
        { name: 'config sg bk64: ', shape: decode, sg: true, bk: 64 },
        { name: 'config clamp bk64 qreg: ', shape: decode, clamp: true, bk: 64, qreg: true },
        { name: 'config bk64 qreg: ', shape: decode, bk: 64, qreg: true },
        { name: 'config wg256 bk64: ', shape: decode, wg: 256, bk: 64 },
        { name: 'config decode-subgroup: ', shape: decode, decode: 'subgroup' as const },
        { name: 'config before (wg128 bk128 lk1 nrv1): ', shape: prefill, ...before },
        { name: 'config clamp: ', shape: prefill, clamp: true },
        { name: 'config clamp bk64: ', shape: prefill, clamp: true, bk: 64 },
        { name: 'config sg bk64: ', shape: prefill, sg: true, bk: 64 },
      ].filter((c) => c.decode !== 'subgroup' || gpu.hasSubgroups);
      // One setup per shape, shared by its configs; freed after the shape's last case.
      const setups = new Map<Shape, Setup>();
      const firstOut = new Map<Shape, Float32Array>();
      const lastIndex = new Map<Shape, number>();
      configs.forEach((c, i) => lastIndex.set(c.shape, i));
      for (let i = 0; i < configs.length; i++) {
        const c = configs[i]!;
        let s = setups.get(c.shape);
        if (!s) setups.set(c.shape, (s = makeSetup(gpu, c.shape, false)));
        const ks = kernels(gpu, cache, c.shape, c);
        let out: Float32Array;
        try {
          out = await verify(gpu, ks, s, ctx.log, firstOut.get(c.shape));
        } catch (e) {
          // A wrong configuration is reported and not timed; the other configurations still run.
          ctx.log(`NOT TIMED ${c.name}${shapeName(c.shape)}: ${(e as Error).message}`);
          ks.paged.destroy();
          ks.contiguous.destroy();
          if (lastIndex.get(c.shape) === i) destroySetup(s);
          continue;
        }
        if (!firstOut.has(c.shape)) firstOut.set(c.shape, out);
        // Before any case is timed (cases run after this function returns): ~0.1 s of work lifts the
        // GPU out of its idle clocks, so the first timed case is not penalised.
        if (i === 0) for (let w = 0; w < 3; w++) await wallRun(gpu, ks.paged, s, 20);
        const cs = timestampCases(gpu, ks, s, c.name);
        const last = cs[cs.length - 1]!;
        const d = last.dispose;
        const setup = s;
        last.dispose = () => {
          d?.();
          ks.paged.destroy();
          ks.contiguous.destroy();
          if (lastIndex.get(c.shape) === i) {
            destroySetup(setup);
            firstOut.delete(c.shape);
          }
        };
        cases.push(...cs);
      }
    }
    return cases;
  },
};
