/**
 * The batched forward pass over paged KV: one engine step of a Llama-family model on the GPU.
 *
 * A step is a flat batch of T query tokens from R rows (prefill chunks and decodes of many sequences).
 * Everything is recorded into ONE command encoder and submitted ONCE:
 *
 *   page copies (copy-on-write), swap-out / swap-in page moves
 *   x = embed[tokenIds]                                                     (T, dim)
 *   per layer l:
 *     xn  = rmsnorm(x) · attn_norm
 *     qkv = xn · Wqkvᵀ                                                       (T, q + 2·kv)
 *     rope + kv-write (one kernel): q rotated in place; rotated k and v -> pool pages of layer l
 *     o   = paged attention(q, pool, block tables)                           (T, q)
 *     x  += o · Woᵀ                                                          (residual, in place)
 *     xn  = rmsnorm(x) · ffn_norm;  gu = xn · Wguᵀ;  a = silu(gate) · up;  x += a · Wdownᵀ
 *   h = x[last token of each sampled row]  (repeated n times for an n > 1 fork)
 *   logits = rmsnorm(h) · final_norm · lm_headᵀ;  tokens = sample(logits)    (S, vocab) -> (S)
 *   copy tokens + logprobs -> readback ring;  resolve timestamps -> readback ring
 *
 * Buffers are sized once for the token budget; bind groups are cached by the kernels; the only
 * readback is the sampled ids, their logprobs and the timestamps. With timestamp queries each kernel
 * runs in its own compute pass so the kernel profile can split the step; without them, one pass.
 */
import { GpuTimer, ReadbackRing, readBuffer, storageBuffer, type FrameTiming, type GpuContext, PipelineCache } from '../gpu';
import { PagedAttention } from '../kernels/attention';
import { EmbeddingKernel } from '../kernels/embedding';
import { KvWrite } from '../kernels/kv-write';
import { checkPool, pageStride, type KvPoolLayout } from '../kernels/kv-layout';
import { LogitsGatherKernel } from '../kernels/logits-gather';
import { MatmulKernel } from '../kernels/matmul';
import { PageCopy } from '../kernels/page-copy';
import { RmsNormKernel } from '../kernels/rmsnorm';
import { packSampleParams, SampleKernel, SAMPLE_OUT_BYTES, SAMPLE_PARAMS_BYTES, type SampleParams } from '../kernels/sample';
import { SiluMulKernel } from '../kernels/silu-mul';
import type { ModelConfig } from './config';
import type { GpuWeights } from './gpu-weights';

export interface ForwardRow {
  /** The tokens this step computes for the row, at positions positionStart .. positionStart + n - 1. */
  tokenIds: ArrayLike<number>;
  positionStart: number;
  /** Pages of the sequence, covering every position up to the last one computed now. */
  blockTable: ArrayLike<number>;
  /** Tokens to sample from the row's last position: 0 (mid-prompt chunk), 1, or n at an n > 1 fork. */
  numSamples: number;
  /** Sampling of sample k uses seed + k (the forked samples' seeds) and counter = the output index. */
  sampling: { temperature: number; topK: number; topP: number; seed: number };
  counter: number;
  /**
   * Pipelined steps: the row's last input token is not known on the CPU yet; it is the token the
   * previous forward sampled into its sample slot `fromPreviousSample` (copied on the GPU, before this
   * step's kernels, from the previous step's sampled ids; tokenIds' last entry is ignored).
   */
  fromPreviousSample?: number;
}

/** A page moved to or from a host swap slot (swap preemption). */
export interface SwapMove {
  page: number;
  hostSlot: number;
}

export interface ForwardBatch {
  rows: ForwardRow[];
  /** Copy-on-write copies, page -> page, done before the forward. */
  pageCopies: ReadonlyArray<readonly [number, number]>;
  /**
   * Swap preemption, in the scheduler's order: swap-outs first (their pages may be reused later in
   * the same step), then page copies, then swap-ins, then the forward.
   */
  swapOut?: readonly SwapMove[];
  swapIn?: readonly SwapMove[];
}

export interface ForwardResult {
  /** Per row, its numSamples sampled tokens and their logprobs. */
  tokens: number[][];
  logprobs: number[][];
  timing: FrameTiming;
  numDispatches: number;
  /** CPU time from the call to the submit: flattening the batch, uploads, recording the commands. */
  encodeMs: number;
}

export interface GpuModelOptions {
  /** Most query tokens in one step (the scheduler's token budget). */
  maxTokens: number;
  /** Most rows in one step (max_num_seqs). */
  maxSeqs: number;
  /** Most sampled rows in one step (forks of n > 1 requests count n); default 2 · maxSeqs. */
  maxSamples?: number;
  /** Most block-table entries in one step; default maxSeqs · ceil(maxSeqLen / tokensPerPage). */
  maxBlockTableEntries?: number;
  /** Time each kernel in its own pass (timestamps); default: when the adapter has timestamp-query. */
  profileKernels?: boolean;
  /**
   * With profiling, split every Nth step into per-kernel passes (default 8) and time the others as one
   * pass: the kernel profile is a sample, and the other steps skip ~10 pass boundaries per layer.
   */
  profileEvery?: number;
}

export class GpuModel {
  readonly numDispatchesPerStep: number;
  private readonly device: GPUDevice;
  private readonly cache: PipelineCache;
  private readonly maxSamples: number;
  private readonly attentionMaxSeqs: number;
  private readonly matmul: MatmulKernel;
  private readonly embedding: EmbeddingKernel;
  private readonly norm: RmsNormKernel;
  private readonly kvWrite: KvWrite;
  private readonly attention: PagedAttention;
  private readonly siluMul: SiluMulKernel;
  private readonly gather: LogitsGatherKernel;
  private readonly sample: SampleKernel;
  private readonly pageCopy: PageCopy;
  private readonly timer: GpuTimer;
  private readonly ring: ReadbackRing;
  private readonly profile: boolean;
  private readonly profileEvery: number;
  private numSteps = 0;
  // Step buffers, sized once.
  private readonly tokenIds: GPUBuffer;
  private readonly positions: GPUBuffer;
  private readonly x: GPUBuffer;
  private readonly xn: GPUBuffer;
  private readonly qkv: GPUBuffer;
  private readonly attnOut: GPUBuffer;
  private readonly gateUp: GPUBuffer;
  private readonly act: GPUBuffer;
  private readonly lastIndex: GPUBuffer;
  private readonly hidden: GPUBuffer;
  private readonly hiddenNorm: GPUBuffer;
  private readonly logits: GPUBuffer;
  private readonly sampleParams: GPUBuffer;
  private readonly sampleOut: GPUBuffer;
  // Host scratch, reused every step.
  private readonly hostTokenIds: Uint32Array<ArrayBuffer>;
  private readonly hostPositions: Uint32Array<ArrayBuffer>;
  private readonly hostSlots: Int32Array<ArrayBuffer>;
  private readonly hostLast: Uint32Array<ArrayBuffer>;
  private readonly hostParams: ArrayBuffer;
  /** Host copies of the sampled ids, one per readback slot: two pipelined steps may be in flight. */
  private readonly hostOuts: Array<Uint8Array<ArrayBuffer>>;
  private readonly sampleRows: SampleParams[] = [];
  /** Sampled rows of the last forward (the sample slots a pipelined row may read, fromPreviousSample). */
  private lastNumSamples = 0;
  /** Host memory of swapped-out pages, by host slot (what "swap to CPU" means in a browser). */
  private readonly hostSwap = new Map<number, ArrayBuffer>();
  /** Staging for swaps, grown when a step moves more pages than any before (never per step in steady state). */
  private swapOutStaging: GPUBuffer | null = null;
  private swapInStaging: GPUBuffer | null = null;

  constructor(
    private readonly gpu: GpuContext,
    readonly config: ModelConfig,
    readonly weights: GpuWeights,
    readonly pool: { buffer: GPUBuffer; layout: KvPoolLayout },
    opts: GpuModelOptions,
  ) {
    const c = config;
    const { device } = gpu;
    this.device = device;
    this.cache = new PipelineCache(device);
    checkPool(pool.layout, device.limits);
    if (pool.layout.numLayers !== c.numLayers || pool.layout.numKvHeads !== c.numKvHeads || pool.layout.headDim !== c.headDim) {
      throw new RangeError(`The KV pool's layout (${pool.layout.numLayers} layers x ${pool.layout.numKvHeads} kv heads x ${pool.layout.headDim}) does not match the model.`);
    }
    const T = opts.maxTokens;
    const R = opts.maxSeqs;
    const S = (this.maxSamples = opts.maxSamples ?? 2 * R);
    this.attentionMaxSeqs = R;
    const q = c.numHeads * c.headDim;
    const kv = c.numKvHeads * c.headDim;
    const tpp = pool.layout.tokensPerPage;
    this.profile = opts.profileKernels ?? gpu.hasTimestamps;
    this.profileEvery = Math.max(1, Math.floor(opts.profileEvery ?? 8));

    this.matmul = new MatmulKernel(gpu, this.cache);
    this.embedding = new EmbeddingKernel(device, this.cache, { dim: c.dim, format: weights.embedFormat, numRows: c.vocabSize });
    this.norm = new RmsNormKernel(device, this.cache, { dim: c.dim, eps: c.rmsNormEps });
    const attnShape = { numHeads: c.numHeads, numKvHeads: c.numKvHeads, headDim: c.headDim, numLayers: c.numLayers, tokensPerPage: tpp };
    this.kvWrite = new KvWrite(gpu, this.cache, { ...attnShape, maxTokens: T, label: 'Model.ropeKvWrite' }, { theta: c.ropeTheta, convention: c.ropeConvention });
    this.attention = new PagedAttention(gpu, this.cache, {
      ...attnShape,
      maxTokens: T,
      maxSeqs: R,
      maxBlockTableEntries: opts.maxBlockTableEntries ?? R * Math.ceil(c.maxSeqLen / tpp),
      qStride: q + 2 * kv,
      label: 'Model.attention',
    });
    this.siluMul = new SiluMulKernel(device, this.cache, { ffn: c.hiddenDim });
    this.gather = new LogitsGatherKernel(device, this.cache, { dim: c.dim });
    this.sample = new SampleKernel(device, this.cache, { vocab: c.vocabSize });
    this.pageCopy = new PageCopy(gpu, this.cache, pool.layout, 4 * R, 'Model.pageCopy');

    const buf = (label: string, bytes: number) => storageBuffer(device, `Model.${label}`, Math.max(16, bytes));
    this.tokenIds = buf('tokenIds', T * 4);
    this.positions = buf('positions', T * 4);
    this.x = buf('x', T * c.dim * 4);
    this.xn = buf('xn', T * c.dim * 4);
    this.qkv = buf('qkv', T * (q + 2 * kv) * 4);
    this.attnOut = buf('attnOut', T * q * 4);
    this.gateUp = buf('gateUp', T * 2 * c.hiddenDim * 4);
    this.act = buf('act', T * c.hiddenDim * 4);
    this.lastIndex = buf('lastIndex', S * 4);
    this.hidden = buf('hidden', S * c.dim * 4);
    this.hiddenNorm = buf('hiddenNorm', S * c.dim * 4);
    this.logits = buf('logits', S * c.vocabSize * 4);
    this.sampleParams = buf('sampleParams', S * SAMPLE_PARAMS_BYTES);
    this.sampleOut = buf('sampleOut', S * SAMPLE_OUT_BYTES);
    this.hostTokenIds = new Uint32Array(T);
    this.hostPositions = new Uint32Array(T);
    this.hostSlots = new Int32Array(T);
    this.hostLast = new Uint32Array(S);
    this.hostParams = new ArrayBuffer(S * SAMPLE_PARAMS_BYTES);
    this.hostOuts = [0, 1].map(() => new Uint8Array(S * SAMPLE_OUT_BYTES));
    // 9 kernels per layer (rope and kv-write are one), plus embedding, page copy, gather, final norm,
    // lm_head, sample. A kernel may record more than one dispatch (attention's split reduce, sample's
    // second pass, a split-K matmul's reduce); this counts kernels, one timed pass each when profiled.
    this.numDispatchesPerStep = 9 * c.numLayers + 6;
    this.timer = new GpuTimer(gpu, this.profile ? this.numDispatchesPerStep + 4 : 1);
    this.ring = new ReadbackRing(device, S * SAMPLE_OUT_BYTES + (S * SAMPLE_OUT_BYTES) % 4, 2, 'Model.sampled');
  }

  /** A staging buffer of at least `bytes`, reusing `current` when it is large enough. */
  private staging(current: GPUBuffer | null, bytes: number, usage: GPUBufferUsageFlags, what: string): GPUBuffer {
    if (current && current.size >= bytes) return current;
    current?.destroy();
    return this.device.createBuffer({ label: `Model.${what}Staging`, size: bytes, usage });
  }

  /** After the submit: copies the swapped-out pages from staging into host memory. */
  private async keepSwappedOut(moves: readonly SwapMove[], pageBytes: number): Promise<void> {
    const staging = this.swapOutStaging!;
    await staging.mapAsync(GPUMapMode.READ, 0, moves.length * pageBytes);
    const all = staging.getMappedRange(0, moves.length * pageBytes);
    moves.forEach((m, i) => this.hostSwap.set(m.hostSlot, all.slice(i * pageBytes, (i + 1) * pageBytes)));
    staging.unmap();
  }

  /** Host swap slots holding a page (for tests and the memory view). */
  get numHostSwapPages(): number {
    return this.hostSwap.size;
  }

  /** The device this model lives on (its `lost` promise tells the engine when to reload). */
  get gpuContext(): GpuContext {
    return this.gpu;
  }

  /** Bytes of the step buffers (activations, logits), for the memory budget shown in the UI. */
  get activationBytes(): number {
    return [this.tokenIds, this.positions, this.x, this.xn, this.qkv, this.attnOut, this.gateUp, this.act, this.lastIndex, this.hidden, this.hiddenNorm, this.logits, this.sampleParams, this.sampleOut].reduce(
      (s, b) => s + b.size,
      0,
    );
  }

  /**
   * Runs one step: one command buffer, one submit, one small readback. `whileGpuRuns` is called after the
   * submit, with the readback already requested, so CPU work that does not need this step's results
   * (the engine's telemetry of the previous step) hides behind the GPU's.
   */
  async forward(batch: ForwardBatch, whileGpuRuns?: () => void): Promise<ForwardResult> {
    const t0 = performance.now();
    const c = this.config;
    const tpp = this.pool.layout.tokensPerPage;
    const q = c.numHeads * c.headDim;
    const kvDim = c.numKvHeads * c.headDim;
    const qkvDim = q + 2 * kvDim;

    // Flatten the rows: token ids, positions, slot mapping, the attention batch, the sampled rows.
    let T = 0;
    let S = 0;
    const seqs = [];
    this.sampleRows.length = 0;
    const fed: Array<[token: number, sample: number]> = [];
    for (const row of batch.rows) {
      const n = row.tokenIds.length;
      if (row.fromPreviousSample !== undefined) {
        if (!(row.fromPreviousSample >= 0 && row.fromPreviousSample < this.lastNumSamples)) throw new RangeError(`A row reads sample ${row.fromPreviousSample} of the previous step, which sampled ${this.lastNumSamples}.`);
        fed.push([T + n - 1, row.fromPreviousSample]);
      }
      if (T + n > this.hostTokenIds.length) throw new RangeError(`Step of more than ${this.hostTokenIds.length} tokens (the token budget the model was sized for).`);
      for (let i = 0; i < n; i++) {
        const pos = row.positionStart + i;
        const page = row.blockTable[Math.floor(pos / tpp)];
        if (page === undefined) throw new RangeError(`Position ${pos} has no page in its block table (${row.blockTable.length} pages).`);
        this.hostTokenIds[T + i] = row.tokenIds[i]!;
        this.hostPositions[T + i] = pos;
        this.hostSlots[T + i] = page * tpp + (pos % tpp);
      }
      seqs.push({ queryStart: T, queryLen: n, contextLen: row.positionStart + n, blockTable: row.blockTable });
      for (let k = 0; k < row.numSamples; k++) {
        if (S >= this.maxSamples) throw new RangeError(`Step samples more than ${this.maxSamples} rows.`);
        this.hostLast[S++] = T + n - 1;
        this.sampleRows.push({ temperature: row.sampling.temperature, topK: row.sampling.topK, topP: row.sampling.topP, seed: row.sampling.seed + k, counter: row.counter });
      }
      T += n;
    }

    const { device } = this;
    const queue = device.queue;
    if (T > 0) {
      queue.writeBuffer(this.tokenIds, 0, this.hostTokenIds, 0, T);
      queue.writeBuffer(this.positions, 0, this.hostPositions, 0, T);
    }
    if (S > 0) {
      queue.writeBuffer(this.lastIndex, 0, this.hostLast, 0, S);
      packSampleParams(this.sampleRows, this.hostParams);
      queue.writeBuffer(this.sampleParams, 0, this.hostParams, 0, S * SAMPLE_PARAMS_BYTES);
    }
    this.lastNumSamples = S;
    this.kvWrite.prepare(this.hostSlots.subarray(0, T));
    const plan = this.attention.prepare({ numTokens: T, seqs });
    this.pageCopy.prepare(batch.pageCopies);

    const enc = device.createCommandEncoder({ label: 'Model.step' });
    this.timer.begin();
    const pageBytes = pageStride(this.pool.layout) * 4;
    const swapOut = batch.swapOut ?? [];
    const swapIn = batch.swapIn ?? [];
    // 1. Swap-outs: pool page -> staging (read back to host memory after the submit).
    if (swapOut.length) {
      const staging = (this.swapOutStaging = this.staging(this.swapOutStaging, swapOut.length * pageBytes, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST, 'swapOut'));
      swapOut.forEach((m, i) => enc.copyBufferToBuffer(this.pool.buffer, m.page * pageBytes, staging, i * pageBytes, pageBytes));
    }
    // 2. Copy-on-write copies.
    let numDispatches = 0;
    if (batch.pageCopies.length) {
      const pass = enc.beginComputePass(this.timer.pass('page-copy'));
      this.pageCopy.encode(pass, this.pool.buffer);
      pass.end();
      numDispatches++;
    }
    // 3. Swap-ins: host memory -> staging (writeBuffer, before the submit) -> pool page (in order, after 1 and 2).
    if (swapIn.length) {
      const staging = (this.swapInStaging = this.staging(this.swapInStaging, swapIn.length * pageBytes, GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST, 'swapIn'));
      swapIn.forEach((m, i) => {
        const data = this.hostSwap.get(m.hostSlot);
        if (!data) throw new Error(`Swap-in of page ${m.page} from host slot ${m.hostSlot}, which holds nothing.`);
        queue.writeBuffer(staging, i * pageBytes, data);
        this.hostSwap.delete(m.hostSlot);
        enc.copyBufferToBuffer(staging, i * pageBytes, this.pool.buffer, m.page * pageBytes, pageBytes);
      });
    }
    // 3b. Pipelined inputs: tokens the previous step sampled and the CPU has not read back yet. Its sampled
    // ids are still in sampleOut (this step's sampling runs later in this command buffer).
    for (const [t, s] of fed) enc.copyBufferToBuffer(this.sampleOut, s * SAMPLE_OUT_BYTES, this.tokenIds, t * 4, 4);
    // 4. The forward. On a profiled step each kernel gets a pass (and timestamps); otherwise one pass holds everything.
    const profiled = this.profile && this.numSteps++ % this.profileEvery === 0;
    let shared: GPUComputePassEncoder | null = profiled ? null : enc.beginComputePass(this.timer.pass('step'));
    const run = (label: string, record: (pass: GPUComputePassEncoder) => void) => {
      numDispatches++;
      if (shared) return record(shared);
      const pass = enc.beginComputePass(this.timer.pass(label));
      record(pass);
      pass.end();
    };

    const w = this.weights;
    const wt = w.weightType;
    if (T > 0) {
      run('embedding', (p) => this.embedding.encode(p, this.tokenIds, w.embed, this.x, T));
      for (let l = 0; l < c.numLayers; l++) {
        const L = w.layers[l]!;
        run('rmsnorm', (p) => this.norm.encode(p, this.x, L.attnNorm, this.xn, T));
        run('matmul.qkv', (p) => this.matmul.encode(p, { x: this.xn, w: L.wqkv, y: this.qkv, M: T, N: qkvDim, K: c.dim, weightType: wt }));
        run('rope+kv-write', (p) => this.kvWrite.encode(p, { qkv: this.qkv, pool: this.pool.buffer, positions: this.positions }, l));
        run('attention', (p) => this.attention.encode(p, plan, { q: this.qkv, pool: this.pool.buffer, out: this.attnOut }, l));
        run('matmul.o', (p) => this.matmul.encode(p, { x: this.attnOut, w: L.wo, y: this.x, M: T, N: c.dim, K: q, weightType: wt, residual: 'accumulate' }));
        run('rmsnorm', (p) => this.norm.encode(p, this.x, L.ffnNorm, this.xn, T));
        run('matmul.gate-up', (p) => this.matmul.encode(p, { x: this.xn, w: L.wgu, y: this.gateUp, M: T, N: 2 * c.hiddenDim, K: c.dim, weightType: wt }));
        run('silu-mul', (p) => this.siluMul.encode(p, this.gateUp, this.act, T));
        run('matmul.down', (p) => this.matmul.encode(p, { x: this.act, w: L.wdown, y: this.x, M: T, N: c.dim, K: c.hiddenDim, weightType: wt, residual: 'accumulate' }));
      }
    }
    if (S > 0) {
      run('logits-gather', (p) => this.gather.encode(p, this.x, this.lastIndex, this.hidden, S));
      run('rmsnorm', (p) => this.norm.encode(p, this.hidden, w.finalNorm, this.hiddenNorm, S));
      run('matmul.lm-head', (p) => this.matmul.encode(p, { x: this.hiddenNorm, w: w.lmHead, y: this.logits, M: S, N: c.vocabSize, K: c.dim, weightType: wt }));
      run('sample', (p) => this.sample.encode(p, this.logits, this.sampleParams, this.sampleOut, S));
    }
    if (shared) {
      shared.end();
      shared = null;
    }
    const ticket = S > 0 ? this.ring.enqueue(enc, this.sampleOut, 0, S * SAMPLE_OUT_BYTES) : null;
    this.timer.end(enc);
    queue.submit([enc.finish()]);
    const encodeMs = performance.now() - t0;

    const results = Promise.all([
      ticket ? this.ring.read(ticket, this.hostOuts[ticket.slot]!) : Promise.resolve(this.hostOuts[0]!),
      this.timer.read(),
      swapOut.length ? this.keepSwappedOut(swapOut, pageBytes) : Promise.resolve(),
    ]);
    whileGpuRuns?.();
    const [out, timing] = await results;
    const words = new Uint32Array(out.buffer, 0, S * 2);
    const floats = new Float32Array(out.buffer, 0, S * 2);
    const tokens: number[][] = [];
    const logprobs: number[][] = [];
    let s = 0;
    for (const row of batch.rows) {
      const t: number[] = [];
      const lp: number[] = [];
      for (let k = 0; k < row.numSamples; k++, s++) {
        t.push(words[2 * s]!);
        lp.push(floats[2 * s + 1]!);
      }
      tokens.push(t);
      logprobs.push(lp);
    }
    return { tokens, logprobs, timing, numDispatches, encodeMs };
  }

  /**
   * Compiles every pipeline a step uses by running one throwaway step on the reserved NULL page 0
   * (whose contents no sequence ever reads): a 2-token prefill row and a 1-token decode row. Called
   * while a model loads, so the first real step does not stall on shader compilation (seconds on a
   * software adapter).
   */
  async warmup(): Promise<void> {
    const greedy = { temperature: 0, topK: 0, topP: 1, seed: 0 };
    const page0 = [0, 0, 0]; // covers positions 0..2 even at 1 token per page
    const prefill = { tokenIds: [0, 0], positionStart: 0, blockTable: page0, numSamples: 1, sampling: greedy, counter: 0 };
    const decode = { tokenIds: [0], positionStart: 2, blockTable: page0, numSamples: 1, sampling: greedy, counter: 0 };
    const roomForBoth = this.hostTokenIds.length >= 3 && this.attentionMaxSeqs >= 2;
    await this.forward({ rows: roomForBoth ? [prefill, decode] : [decode], pageCopies: [] });
    this.numSteps = 0;
  }

  /** The logits of the last step's first `numRows` sampled rows (tests and diagnostics; allocates, never per step). */
  async readLogits(numRows: number): Promise<Float32Array> {
    const bytes = numRows * this.config.vocabSize * 4;
    return new Float32Array(await readBuffer(this.device, this.logits, Math.max(4, bytes)), 0, numRows * this.config.vocabSize);
  }

  /** Bytes one page of this model's KV holds (the pool's page size for a pool of this model alone). */
  static pageBytes(layout: Omit<KvPoolLayout, 'numPages'>): number {
    return pageStride(layout) * 4;
  }

  destroy(): void {
    for (const b of [this.tokenIds, this.positions, this.x, this.xn, this.qkv, this.attnOut, this.gateUp, this.act, this.lastIndex, this.hidden, this.hiddenNorm, this.logits, this.sampleParams, this.sampleOut]) b.destroy();
    this.matmul.destroy();
    this.kvWrite.destroy();
    this.attention.destroy();
    this.pageCopy.destroy();
    this.timer.destroy();
    this.ring.destroy();
    this.swapOutStaging?.destroy();
    this.swapInStaging?.destroy();
    this.weights.destroy();
  }
}
