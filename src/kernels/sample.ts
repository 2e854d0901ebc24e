/**
 * Typed wrapper for GPU sampling (greedy, temperature, top-k, top-p with a counter-based RNG) and its
 * plain-TS reference. Two dispatches, recorded by encode():
 *   1. row statistics, one workgroup per row (shaders/sample-stats-subgroups.wgsl, or sample-stats.wgsl
 *      without subgroups; variant per adapter by chooseRowShape in kernels/row-reduce.ts, the rmsnorm
 *      rule): max, argmax, log-sum-exp. A greedy row is answered here (argmax, logprob = logit - logsumexp);
 *      a sampled row gets a slot in the scratch buffer, and the last workgroup writes the indirect
 *      dispatch size = the number of sampled rows;
 *   2. shaders/sample.wgsl, dispatched INDIRECTLY: one workgroup per sampled row (top-k / top-p radix
 *      selects, the draw). An all-greedy step dispatches zero workgroups here.
 * The reference follows the shaders' definitions exactly:
 *
 * - greedy (temperature <= 0): argmax, the lowest token id among equal maxima;
 * - top-k keeps every logit >= the k-th largest (ties at the cut kept); top-p then keeps the smallest
 *   set of top logits (whole tie groups) holding top_p of the top-k mass at the temperature;
 * - the draw u = sampleUniform(seed, counter) picks the smallest kept id whose cumulative weight in
 *   ascending id order exceeds u · total;
 * - logprob = log_softmax(raw logits at temperature 1)[token].
 */
import code from '../../shaders/sample.wgsl';
import statsCode from '../../shaders/sample-stats.wgsl';
import statsSubgroupCode from '../../shaders/sample-stats-subgroups.wgsl';
import { createBuffer, uniformBuffer, type PipelineCache } from '../gpu';
import { BindGroupCache } from './bind-group-cache';
import { checkRows, workgroupSizeFor } from './grid';
import { chooseRowShape, rowTraits, type RowReduce } from './row-reduce';
import { sampleUniform } from './rng';

/** Per-row sampling parameters (one request's next token). */
export interface SampleParams {
  /** <= 0: greedy. */
  temperature: number;
  /** 0 (or >= vocab): no top-k. */
  topK: number;
  /** >= 1: no top-p. */
  topP: number;
  /** Request seed (u32); `seedHi` (default 0) is the key's second word. */
  seed: number;
  seedHi?: number;
  /** The request's output-token index: the RNG counter. */
  counter: number;
}

/** Bytes per row of the params buffer (struct RowParams) and of the output buffer (struct SampleOut). */
export const SAMPLE_PARAMS_BYTES = 32;
export const SAMPLE_OUT_BYTES = 8;
/** Scratch buffer: a 16-byte header (counter, indirect x, y, z) and one 32-byte Slot per row. */
const SCRATCH_HEADER_BYTES = 16;
const SLOT_BYTES = 32;

/** Packs rows into the params buffer layout (RowParams: f32, u32, f32, u32, u32, u32, pad, pad). */
export function packSampleParams(rows: SampleParams[], into?: ArrayBuffer): ArrayBuffer {
  const buf = into ?? new ArrayBuffer(Math.max(1, rows.length) * SAMPLE_PARAMS_BYTES);
  const f = new Float32Array(buf);
  const u = new Uint32Array(buf);
  rows.forEach((p, r) => {
    const o = r * (SAMPLE_PARAMS_BYTES / 4);
    f[o] = p.temperature;
    u[o + 1] = Math.max(0, Math.min(p.topK, 0xffffffff)) >>> 0;
    f[o + 2] = p.topP;
    u[o + 3] = p.seed >>> 0;
    u[o + 4] = (p.seedHi ?? 0) >>> 0;
    u[o + 5] = p.counter >>> 0;
  });
  return buf;
}

/** Splits the output buffer's (token u32, logprob f32) pairs. */
export function unpackSampleOut(data: ArrayBuffer, numRows: number): { tokens: Uint32Array; logprobs: Float32Array } {
  const u = new Uint32Array(data, 0, numRows * 2);
  const f = new Float32Array(data, 0, numRows * 2);
  const tokens = new Uint32Array(numRows);
  const logprobs = new Float32Array(numRows);
  for (let r = 0; r < numRows; r++) {
    tokens[r] = u[2 * r]!;
    logprobs[r] = f[2 * r + 1]!;
  }
  return { tokens, logprobs };
}

export interface SampleReferenceResult {
  token: number;
  logprob: number;
  /** The distribution the token was drawn from (after temperature, top-k, top-p); one-hot for greedy. */
  probs: Float64Array;
  /** The draw u in [0, 1) and how far u · total lies from the chosen token's CDF edges, as a fraction of the total. */
  u: number;
  margin: number;
}

/** Reference for one row (f64 arithmetic on the f32 logits). */
export function sampleReference(logits: ArrayLike<number>, p: SampleParams): SampleReferenceResult {
  const v = logits.length;
  let m = -Infinity;
  let argmax = 0;
  for (let i = 0; i < v; i++) if (logits[i]! > m) (m = logits[i]!), (argmax = i);
  let z1 = 0;
  for (let i = 0; i < v; i++) z1 += Math.exp(logits[i]! - m);
  const logprobOf = (t: number) => logits[t]! - m - Math.log(z1);
  const probs = new Float64Array(v);
  if (p.temperature <= 0) {
    probs[argmax] = 1;
    return { token: argmax, logprob: logprobOf(argmax), probs, u: 0, margin: 1 };
  }
  const w = new Float64Array(v);
  for (let i = 0; i < v; i++) w[i] = Math.exp((logits[i]! - m) / p.temperature);
  const order = [...Array(v).keys()].sort((a, b) => logits[b]! - logits[a]! || a - b);
  let cut = -Infinity;
  if (p.topK > 0 && p.topK < v) cut = logits[order[p.topK - 1]!]!;
  if (p.topP < 1) {
    let zk = 0;
    for (let i = 0; i < v; i++) if (logits[i]! >= cut) zk += w[i]!;
    const target = Math.max(p.topP * zk, Number.MIN_VALUE);
    let cum = 0;
    for (let j = 0; j < v; ) {
      const value = logits[order[j]!]!;
      if (value < cut) break;
      while (j < v && logits[order[j]!]! === value) cum += w[order[j++]!]!; // a whole tie group
      if (cum >= target) {
        cut = value;
        break;
      }
    }
  }
  let z = 0;
  for (let i = 0; i < v; i++) if (logits[i]! >= cut) z += w[i]!;
  for (let i = 0; i < v; i++) if (logits[i]! >= cut) probs[i] = w[i]! / z;
  const u = sampleUniform(p.seed, p.seedHi ?? 0, p.counter);
  const r = u * z;
  let acc = 0;
  let token = -1;
  let margin = 0;
  for (let i = 0; i < v; i++) {
    if (!(logits[i]! >= cut)) continue;
    const before = acc;
    acc += w[i]!;
    token = i;
    if (r < acc) {
      margin = Math.min(r - before, acc - r) / z;
      break;
    }
  }
  return { token, logprob: logprobOf(token), probs, u, margin };
}

export interface SampleConfig {
  vocab: number;
  /**
   * Threads per sampled row in the second pass (power of two); default 64 on software adapters (a CPU:
   * every barrier switches all of a workgroup's invocations) and 256 on GPUs, capped by the device.
   */
  workgroupSize?: number;
  /** Force the first pass's variant (default: chooseRowShape's rule for this device and vocab). */
  statsReduce?: RowReduce;
  /** Rows the scratch buffer holds at first (default 256); a larger step grows it (doubling) once. */
  maxRows?: number;
}

export class SampleKernel {
  /** The second pass (sampled rows). */
  readonly pipeline: GPUComputePipeline;
  /** The first pass (every row). */
  readonly statsPipeline: GPUComputePipeline;
  readonly workgroupSize: number;
  readonly statsReduce: RowReduce;
  readonly statsWorkgroupSize: number;
  /** The shader's Config uniform (vocab), written once here: constant for the kernel's life. */
  readonly configBuffer: GPUBuffer;
  /** Header (counter, indirect x, y, z) + one slot per sampled row; replaced when a step has more rows. */
  scratch: GPUBuffer;
  private scratchRows: number;
  private readonly retired: GPUBuffer[] = [];
  private readonly bindGroups: BindGroupCache;
  private readonly statsBindGroups: BindGroupCache;

  constructor(
    private readonly device: GPUDevice,
    cache: PipelineCache,
    readonly config: SampleConfig,
  ) {
    if (!(config.vocab >= 1)) throw new RangeError(`Sample: vocab ${config.vocab} must be >= 1`);
    this.workgroupSize = workgroupSizeFor(device, config.workgroupSize ?? (rowTraits(device).isSoftware ? 64 : 256));
    this.pipeline = cache.compute({ label: 'Sample.pipeline', code, constants: { WG: this.workgroupSize } });
    const shape = chooseRowShape(device, config.vocab, 256, config.statsReduce);
    this.statsReduce = shape.reduce;
    this.statsWorkgroupSize = shape.workgroupSize;
    this.statsPipeline = cache.compute({
      label: `Sample.statsPipeline.${shape.reduce}`,
      code: shape.reduce === 'workgroup' ? statsCode : statsSubgroupCode,
      entryPoint: shape.reduce === 'subgroup-row' ? 'main_row' : shape.reduce === 'subgroup-wide' ? 'main_wide' : 'main',
      constants: { WG: shape.workgroupSize },
    });
    this.configBuffer = uniformBuffer(device, 'Sample.config', new Uint32Array([config.vocab, 0, 0, 0]));
    this.scratchRows = Math.max(1, config.maxRows ?? 256);
    this.scratch = this.createScratch(this.scratchRows);
    this.bindGroups = new BindGroupCache(device, 'Sample.bindGroup');
    this.statsBindGroups = new BindGroupCache(device, 'Sample.statsBindGroup');
  }

  /** Zeroed (the counter must start at 0; every first pass leaves it at 0 again). */
  private createScratch(rows: number): GPUBuffer {
    return createBuffer(this.device, {
      label: 'Sample.scratch',
      size: SCRATCH_HEADER_BYTES + rows * SLOT_BYTES,
      // COPY_SRC: tests read the header back (the sampled-row count and the counter's reset).
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.INDIRECT | GPUBufferUsage.COPY_SRC,
    });
  }

  /**
   * Records sampling of `numRows` rows: logits (numRows, vocab) f32, params (numRows × 32 B, see
   * packSampleParams) -> out (numRows × 8 B: token u32, logprob f32). Two dispatches (see the top).
   */
  encode(pass: GPUComputePassEncoder, logits: GPUBuffer, params: GPUBuffer, out: GPUBuffer, numRows: number): void {
    if (numRows === 0) return;
    checkRows(this.device, 'Sample', numRows);
    if (numRows > this.scratchRows) {
      // Only when a step has more rows than any before (not per step). The old buffer may still be bound
      // in this pass (not yet submitted), so it is kept until destroy() (doubling: at most as large again).
      while (this.scratchRows < numRows) this.scratchRows *= 2;
      this.retired.push(this.scratch);
      this.scratch = this.createScratch(this.scratchRows);
    }
    const buffers = [logits, params, out, this.configBuffer, this.scratch];
    pass.setPipeline(this.statsPipeline);
    pass.setBindGroup(0, this.statsBindGroups.get(this.statsPipeline, buffers));
    pass.dispatchWorkgroups(numRows);
    pass.setPipeline(this.pipeline);
    pass.setBindGroup(0, this.bindGroups.get(this.pipeline, buffers));
    pass.dispatchWorkgroupsIndirect(this.scratch, 4);
  }

  destroy(): void {
    this.configBuffer.destroy();
    this.scratch.destroy();
    for (const b of this.retired) b.destroy();
  }
}
