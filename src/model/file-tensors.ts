/**
 * Shared by the file formats: turns "tensor T lives at bytes [offset, offset + n) of this source" into a
 * WeightSource iterator that reads tensors in offset order, one at a time, dequantizing q8_0 to f32.
 */
import type { ByteSource } from './bytes';
import type { ModelConfig } from './config';
import { byteSize, fromFloat32, toFloat32, type StoredDType } from './dtype';
import { BadFormatError } from './errors';
import type { LoadProgress, TensorInfo, WeightFormat, WeightSource, WeightTensor } from './weights';

export interface FileTensor {
  info: TensorInfo;
  /** Which of the sources holds it (sharded safetensors); 0 for single-file formats. */
  fileIndex?: number;
  /** Absolute byte offset in the source. */
  offset: number;
  /** Bytes stored in the file (differs from info.byteLength for q8_0). */
  storedBytes: number;
}

/** Yielded dtype and size for a stored dtype: q8_0 becomes f32. */
export function yieldedInfo(
  name: string,
  sourceName: string,
  storedDtype: StoredDType,
  shape: number[],
): { info: TensorInfo; storedBytes: number } {
  const count = shape.reduce((a, b) => a * b, 1);
  const dtype = storedDtype === 'q8_0' ? 'f32' : storedDtype;
  return {
    info: { name, sourceName, dtype, storedDtype, shape, byteLength: byteSize(dtype, count) },
    storedBytes: byteSize(storedDtype, count),
  };
}

export function fileWeightSource(
  format: WeightFormat,
  sources: ByteSource | ByteSource[],
  config: ModelConfig,
  entries: FileTensor[],
  metadata: Record<string, unknown>,
): WeightSource {
  const srcs = Array.isArray(sources) ? sources : [sources];
  // File order: shard by shard, then by offset, so streamed sources are read forward only.
  const sorted = [...entries].sort((a, b) => (a.fileIndex ?? 0) - (b.fileIndex ?? 0) || a.offset - b.offset);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1]!;
    const cur = sorted[i]!;
    if ((cur.fileIndex ?? 0) === (prev.fileIndex ?? 0) && cur.offset < prev.offset + prev.storedBytes) {
      throw new BadFormatError(`tensors '${prev.info.sourceName}' and '${cur.info.sourceName}' overlap`, srcs[cur.fileIndex ?? 0]?.name);
    }
  }
  const tensors = sorted.map((e) => e.info);
  const bytesTotal = sorted.reduce((a, e) => a + e.storedBytes, 0);
  return {
    format,
    config,
    tensors,
    totalBytes: tensors.reduce((a, t) => a + t.byteLength, 0),
    metadata,
    async *iterate(onProgress?: (p: LoadProgress) => void): AsyncGenerator<WeightTensor> {
      let bytesDone = 0;
      let tensorsDone = 0;
      for (const e of sorted) {
        const src = srcs[e.fileIndex ?? 0]!;
        let data = await src.read(e.offset, e.storedBytes, `tensor '${e.info.sourceName}'`);
        if (e.info.storedDtype === 'q8_0') {
          const n = e.info.shape.reduce((a, b) => a * b, 1);
          data = fromFloat32(toFloat32(data, 'q8_0', n), 'f32');
        }
        bytesDone += e.storedBytes;
        tensorsDone++;
        onProgress?.({ bytesDone, bytesTotal, tensorsDone, tensorsTotal: sorted.length, tensor: e.info.name });
        yield { ...e.info, data };
      }
    },
  };
}
