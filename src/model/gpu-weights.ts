/**
 * Streams a model's weights to the GPU, one tensor at a time, into the layouts the kernels read:
 *
 *   embed      embedding table (f32 rows, or f16 packed two per u32)          [vocab, dim]
 *   per layer  wqkv  fused [q + 2·kv, dim] (wq rows, then wk, then wv)          matmul layout
 *              wo    [dim, q]    wgu  fused [2·hidden, dim] (gate rows, then up)   wdown [dim, hidden]
 *              attnNorm, ffnNorm [dim] f32
 *   finalNorm [dim] f32;  lmHead [vocab, dim] matmul layout (the embedding buffer itself when tied
 *   and the two layouts agree)
 *
 * Each tensor is written straight into its row range of the fused buffer with one writeBuffer, so no
 * layer is assembled in host memory: host memory peaks at one tensor (the "never held twice" rule).
 */
import { createBuffer, storageBuffer, withErrorScopes, type GpuContext } from '../gpu';
import { embeddingRowStride, embeddingTableWords, type EmbeddingFormat } from '../kernels/embedding';
import { matmulKStride, matmulWeightData, type MatmulWeightType } from '../kernels/matmul';
import type { ModelConfig } from './config';
import { toFloat32 } from './dtype';
import type { LoadProgress, WeightSource } from './weights';

export interface LayerWeights {
  attnNorm: GPUBuffer;
  wqkv: GPUBuffer;
  wo: GPUBuffer;
  ffnNorm: GPUBuffer;
  wgu: GPUBuffer;
  wdown: GPUBuffer;
}

export interface GpuWeights {
  weightType: MatmulWeightType;
  embedFormat: EmbeddingFormat;
  embed: GPUBuffer;
  layers: LayerWeights[];
  finalNorm: GPUBuffer;
  lmHead: GPUBuffer;
  /** Bytes held on the GPU. */
  bytes: number;
  destroy(): void;
}

/**
 * Keep the checkpoint's precision: f32 checkpoints stay f32 on the GPU (exactly the trained model),
 * f16 / bf16 / quantized ones become f16 packed two per u32, which halves the bytes every decode
 * step reads. Packed rows need K % 8 == 0 so the activations need no padding (true for every real
 * model); otherwise f32.
 */
export function chooseWeightType(src: Pick<WeightSource, 'config' | 'tensors'>): MatmulWeightType {
  const c = src.config;
  const ks = [c.dim, c.numHeads * c.headDim, c.hiddenDim];
  const allF32 = src.tensors.every((t) => t.shape.length < 2 || t.storedDtype === 'f32');
  return !allF32 && ks.every((k) => k % 8 === 0) ? 'f16' : 'f32';
}

/** Where a canonical tensor goes: buffer and first row. */
interface Placement {
  buffer: GPUBuffer;
  kind: 'matmul' | 'vector' | 'embed';
  rowStart: number;
  /** K (columns) of a matrix. */
  cols: number;
}

export async function uploadWeights(
  gpu: GpuContext,
  src: WeightSource,
  onProgress?: (p: LoadProgress) => void,
  weightType: MatmulWeightType = chooseWeightType(src),
): Promise<GpuWeights> {
  const c = src.config;
  const { device } = gpu;
  const q = c.numHeads * c.headDim;
  const kv = c.numKvHeads * c.headDim;
  const bytesPerElem = weightType === 'f16' ? 2 : 4;
  const embedFormat: EmbeddingFormat = weightType;
  const all: GPUBuffer[] = [];
  const matrix = (label: string, rows: number, cols: number) => {
    const b = createBuffer(device, { label, size: rows * matmulKStride(cols, weightType) * bytesPerElem, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
    all.push(b);
    return b;
  };
  const vector = (label: string, n: number) => {
    const b = storageBuffer(device, label, n * 4);
    all.push(b);
    return b;
  };

  return withErrorScopes(device, `Model "${c.name ?? 'model'}" weights`, async () => {
    const embedStride = embeddingRowStride(c.dim, embedFormat);
    const embed = createBuffer(device, { label: 'Model.embed', size: c.vocabSize * embedStride * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
    all.push(embed);
    // Tied and identical layouts (f32 rows of a multiple of 4, or f16 rows the matmul reads as packed): share one buffer.
    const sameLayout = embedStride * 4 === matmulKStride(c.dim, weightType) * bytesPerElem;
    const lmHead = c.tiedEmbeddings && sameLayout ? embed : matrix('Model.lmHead', c.vocabSize, c.dim);
    const layers: LayerWeights[] = [];
    const place = new Map<string, Placement>();
    place.set('embed', { buffer: embed, kind: 'embed', rowStart: 0, cols: c.dim });
    if (lmHead !== embed) place.set(c.tiedEmbeddings ? 'embed#lm' : 'lm_head', { buffer: lmHead, kind: 'matmul', rowStart: 0, cols: c.dim });
    const finalNorm = vector('Model.finalNorm', c.dim);
    place.set('final_norm', { buffer: finalNorm, kind: 'vector', rowStart: 0, cols: c.dim });
    for (let i = 0; i < c.numLayers; i++) {
      const l: LayerWeights = {
        attnNorm: vector(`Model.layer${i}.attnNorm`, c.dim),
        wqkv: matrix(`Model.layer${i}.wqkv`, q + 2 * kv, c.dim),
        wo: matrix(`Model.layer${i}.wo`, c.dim, q),
        ffnNorm: vector(`Model.layer${i}.ffnNorm`, c.dim),
        wgu: matrix(`Model.layer${i}.wgu`, 2 * c.hiddenDim, c.dim),
        wdown: matrix(`Model.layer${i}.wdown`, c.dim, c.hiddenDim),
      };
      layers.push(l);
      const p = `layers.${i}.`;
      place.set(`${p}attn_norm`, { buffer: l.attnNorm, kind: 'vector', rowStart: 0, cols: c.dim });
      place.set(`${p}attn.wq`, { buffer: l.wqkv, kind: 'matmul', rowStart: 0, cols: c.dim });
      place.set(`${p}attn.wk`, { buffer: l.wqkv, kind: 'matmul', rowStart: q, cols: c.dim });
      place.set(`${p}attn.wv`, { buffer: l.wqkv, kind: 'matmul', rowStart: q + kv, cols: c.dim });
      place.set(`${p}attn.wo`, { buffer: l.wo, kind: 'matmul', rowStart: 0, cols: q });
      place.set(`${p}ffn_norm`, { buffer: l.ffnNorm, kind: 'vector', rowStart: 0, cols: c.dim });
      place.set(`${p}ffn.w_gate`, { buffer: l.wgu, kind: 'matmul', rowStart: 0, cols: c.dim });
      place.set(`${p}ffn.w_up`, { buffer: l.wgu, kind: 'matmul', rowStart: c.hiddenDim, cols: c.dim });
      place.set(`${p}ffn.w_down`, { buffer: l.wdown, kind: 'matmul', rowStart: 0, cols: c.hiddenDim });
    }

    const write = (b: GPUBuffer, offset: number, v: ArrayBufferView) => device.queue.writeBuffer(b, offset, v.buffer as ArrayBuffer, v.byteOffset, v.byteLength);
    const written = new Set<string>();
    for await (const t of src.iterate(onProgress)) {
      const count = t.shape.reduce((a, b) => a * b, 1);
      const f32 = toFloat32(t.data, t.dtype, count);
      const targets = [place.get(t.name), t.name === 'embed' ? place.get('embed#lm') : undefined].filter((x): x is Placement => !!x);
      if (!targets.length) continue; // a tensor the forward pass does not use (e.g. rotary tables in some files)
      for (const pl of targets) {
        if (pl.kind === 'vector') {
          write(pl.buffer, 0, f32);
        } else if (pl.kind === 'embed') {
          write(pl.buffer, 0, embeddingTableWords(f32, t.shape[0]!, c.dim, embedFormat));
        } else {
          const rows = t.shape[0]!;
          const data = matmulWeightData(f32, rows, pl.cols, weightType);
          const rowBytes = matmulKStride(pl.cols, weightType) * bytesPerElem;
          write(pl.buffer, pl.rowStart * rowBytes, data);
        }
      }
      written.add(t.name);
    }
    for (const name of place.keys()) {
      if (name === 'embed#lm') continue;
      if (!written.has(name)) throw new Error(`Weight "${name}" was expected but the file yielded none.`);
    }
    const unique = [...new Set(all)];
    return {
      weightType,
      embedFormat,
      embed,
      layers,
      finalNorm,
      lmHead,
      bytes: unique.reduce((s, b) => s + b.size, 0),
      destroy: () => unique.forEach((b) => b.destroy()),
    };
  }).catch((e: unknown) => {
    for (const b of all) b.destroy();
    throw e;
  });
}
