/**
 * Typed wrapper for shaders/rope.wgsl (rotary position embedding, in place on the Q and K heads of the
 * fused QKV buffer) and its plain-TS reference.
 *
 * QKV layout (shared with the attention and kv-write kernels): (numTokens, numHeads + 2·numKvHeads,
 * headDim), per token Q heads, then K heads, then V heads; see `qkvOffset`.
 */
import code from '../../shaders/rope.wgsl';
import { storageBuffer, type PipelineCache } from '../gpu';
import { BindGroupCache } from './bind-group-cache';
import { checkRows, workgroupSizeFor } from './grid';

/** Pairs (2i, 2i+1) as llama2.c and GGUF "norm" rope; pairs (i, i + rotaryDim/2) as Hugging Face and GGUF "neox". */
export type RopeConvention = 'interleaved' | 'rotate-half';

export interface RopeConfig {
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  /** Rotated dims per head (even, <= headDim); default headDim. */
  rotaryDim?: number;
  /** Base of the frequencies (rope_theta); 10000 for Llama 2, 500000 for Llama 3. */
  theta: number;
  convention: RopeConvention;
  workgroupSize?: number;
}

/** Offset of (token t, head h, dim e) in the fused QKV buffer; K head g is h = numHeads + g, V head g is h = numHeads + numKvHeads + g. */
export function qkvOffset(c: Pick<RopeConfig, 'numHeads' | 'numKvHeads' | 'headDim'>, t: number, h: number, e: number): number {
  return (t * (c.numHeads + 2 * c.numKvHeads) + h) * c.headDim + e;
}

/** inv_freq[i] = theta^(-2i / rotaryDim), i in [0, rotaryDim / 2), in f64 (Hugging Face's default rope). */
export function ropeInvFreq(rotaryDim: number, theta: number): Float64Array {
  const f = new Float64Array(rotaryDim / 2);
  for (let i = 0; i < f.length; i++) f[i] = theta ** (-(2 * i) / rotaryDim);
  return f;
}

/** `x` rounded to 12 significant bits (0 stays 0). */
function round12(x: number): number {
  if (x === 0) return 0;
  const ulp = 2 ** (Math.floor(Math.log2(Math.abs(x))) - 11);
  return Math.round(x / ulp) * ulp;
}

/**
 * The shader's frequency table: f = inv_freq / 2π in turns per position, split into (hi, mid, lo, 0)
 * with hi and mid holding 12 significant bits each, so the shader forms position · (hi + mid) exactly
 * (see rope.wgsl, "Angle precision").
 */
export function ropeFreqTable(invFreq: ArrayLike<number>): Float32Array {
  const out = new Float32Array(invFreq.length * 4);
  for (let i = 0; i < invFreq.length; i++) {
    const f = invFreq[i]! / (2 * Math.PI);
    const hi = round12(f);
    const mid = round12(f - hi);
    out.set([hi, mid, f - hi - mid, 0], 4 * i);
  }
  return out;
}

/** Reference in f64: returns a rotated copy of qkv (numTokens, numHeads + 2·numKvHeads, headDim). */
export function ropeReference(qkv: Float32Array, positions: Uint32Array, numTokens: number, c: RopeConfig, invFreq?: ArrayLike<number>): Float32Array {
  const rot = c.rotaryDim ?? c.headDim;
  const half = rot / 2;
  const freq = invFreq ?? ropeInvFreq(rot, c.theta);
  const out = qkv.slice(0, numTokens * (c.numHeads + 2 * c.numKvHeads) * c.headDim);
  for (let t = 0; t < numTokens; t++) {
    for (let h = 0; h < c.numHeads + c.numKvHeads; h++) {
      for (let i = 0; i < half; i++) {
        const [i0, i1] = c.convention === 'rotate-half' ? [i, i + half] : [2 * i, 2 * i + 1];
        const a = positions[t]! * freq[i]!;
        const o0 = qkvOffset(c, t, h, i0);
        const o1 = qkvOffset(c, t, h, i1);
        const v0 = qkv[o0]!;
        const v1 = qkv[o1]!;
        out[o0] = v0 * Math.cos(a) - v1 * Math.sin(a);
        out[o1] = v0 * Math.sin(a) + v1 * Math.cos(a);
      }
    }
  }
  return out;
}

export class RopeKernel {
  readonly pipeline: GPUComputePipeline;
  readonly workgroupSize: number;
  /** (rotaryDim / 2) vec4<f32>: the frequency table, written once here. */
  readonly freqs: GPUBuffer;
  private readonly bindGroups: BindGroupCache;
  private readonly pairsPerToken: number;

  constructor(
    private readonly device: GPUDevice,
    cache: PipelineCache,
    readonly config: RopeConfig,
    /** Custom inverse frequencies (scaled rope); default ropeInvFreq(rotaryDim, theta). */
    invFreq?: ArrayLike<number>,
  ) {
    const rot = config.rotaryDim ?? config.headDim;
    if (rot % 2 !== 0 || rot > config.headDim || rot <= 0) throw new RangeError(`Rope: rotaryDim ${rot} must be even and in (0, headDim ${config.headDim}]`);
    this.workgroupSize = workgroupSizeFor(device, config.workgroupSize ?? 64);
    this.pairsPerToken = ((config.numHeads + config.numKvHeads) * rot) / 2;
    this.pipeline = cache.compute({
      label: `Rope.pipeline.${config.convention}`,
      code,
      constants: {
        WG: this.workgroupSize,
        NUM_HEADS: config.numHeads,
        NUM_KV_HEADS: config.numKvHeads,
        HEAD_DIM: config.headDim,
        ROTARY_DIM: rot,
        ROTATE_HALF: config.convention === 'rotate-half' ? 1 : 0,
      },
    });
    this.freqs = storageBuffer(device, 'Rope.freqs', ropeFreqTable(invFreq ?? ropeInvFreq(rot, config.theta)));
    this.bindGroups = new BindGroupCache(device, 'Rope.bindGroup');
  }

  /** Records the in-place rotation of Q and K in `qkv` for `numTokens` tokens at `positions` (u32 each). */
  encode(pass: GPUComputePassEncoder, qkv: GPUBuffer, positions: GPUBuffer, numTokens: number): void {
    if (numTokens === 0) return;
    checkRows(this.device, 'Rope', numTokens);
    pass.setPipeline(this.pipeline);
    pass.setBindGroup(0, this.bindGroups.get(this.pipeline, [qkv, positions, this.freqs]));
    pass.dispatchWorkgroups(Math.ceil(this.pairsPerToken / this.workgroupSize), numTokens);
  }

  destroy(): void {
    this.freqs.destroy();
  }
}
