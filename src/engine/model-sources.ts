/**
 * Where a real model comes from, as the UI names it, and how it is opened: URLs go through the
 * IndexedDB download cache (keyed by URL and content hash), files the visitor picked are read in
 * slices, synthetic models are generated from a seed. Progress is reported in one shape for both
 * phases (download, then upload to the GPU).
 */
import { ModelCache, openModel, syntheticWeights, llama3ScaledConfig, validateConfig, type LoadedModel, type ModelConfig } from '../model';
import type { ByteInput } from '../model/bytes';

export type ModelSource =
  /** Files of a model folder (or one file) under a base URL, e.g. the built-in model in public/models/. */
  | { kind: 'url'; baseUrl: string; files: string[] }
  /** Files the visitor picked (a folder's files, or one .gguf / .bin). */
  | { kind: 'files'; files: File[] }
  /** Random weights of a Llama shape (labelled random everywhere). */
  | { kind: 'synthetic'; preset: 'tiny' | 'llama3-scaled'; seed: number; numLayers?: number };

export interface LoadProgressEvent {
  phase: 'download' | 'upload';
  /** Bytes (download) or bytes of tensors (upload) done, and the total when known. */
  done: number;
  total: number | null;
  detail: string;
}

/** A small random Llama for quick experiments: serves many sequences even on a software adapter. */
export const TINY_SYNTHETIC: ModelConfig = validateConfig({
  name: 'random tiny Llama (dim 128, 4 layers)',
  dim: 128, hiddenDim: 352, numLayers: 4, numHeads: 4, numKvHeads: 2, headDim: 32, vocabSize: 512, maxSeqLen: 1024,
  rmsNormEps: 1e-5, ropeTheta: 10000, ropeConvention: 'rotate-half', tiedEmbeddings: true, bosId: 1, eosIds: [2],
});

export function describeSource(s: ModelSource): string {
  if (s.kind === 'url') return s.baseUrl;
  if (s.kind === 'files') return s.files.map((f) => f.name).join(', ');
  return `synthetic ${s.preset} (seed ${s.seed})`;
}

export async function openSource(source: ModelSource, onProgress: (p: LoadProgressEvent) => void, cache = new ModelCache()): Promise<LoadedModel> {
  if (source.kind === 'synthetic') {
    const config = source.preset === 'tiny' ? TINY_SYNTHETIC : llama3ScaledConfig({ numLayers: source.numLayers ?? 2 });
    return { weights: syntheticWeights(config, { seed: source.seed }) };
  }
  if (source.kind === 'files') return openModel(source.files);
  const files: Record<string, ByteInput> = {};
  for (const name of source.files) {
    const url = new URL(name, source.baseUrl.endsWith('/') ? source.baseUrl : `${source.baseUrl}/`);
    const got = await cache.fetch(url, { onDownload: (done, total) => onProgress({ phase: 'download', done, total: total ?? null, detail: name }) });
    files[name] = got.blob;
  }
  return openModel(files);
}
