/** How a model's KV cache maps onto fixed-size pages. */
import { ConfigError, requirePositiveInt } from './errors';

export interface KVLayout {
  numLayers: number;
  numKvHeads: number;
  headDim: number;
  /** Bytes per stored element: 2 for f16, 4 for f32. */
  elementBytes: number;
}

/** Bytes one token occupies in the KV cache: K and V, every layer, every KV head. */
export function bytesPerToken(layout: KVLayout): number {
  requirePositiveInt('numLayers', layout.numLayers);
  requirePositiveInt('numKvHeads', layout.numKvHeads);
  requirePositiveInt('headDim', layout.headDim);
  requirePositiveInt('elementBytes', layout.elementBytes);
  return 2 * layout.numLayers * layout.numKvHeads * layout.headDim * layout.elementBytes;
}

/** floor(pageBytes / bytesPerToken); a ConfigError (`pool-too-small`) when not even one token fits. */
export function tokensPerPage(pageBytes: number, layout: KVLayout, modelId = 'model'): number {
  requirePositiveInt('pageBytes', pageBytes);
  const bpt = bytesPerToken(layout);
  const tpp = Math.floor(pageBytes / bpt);
  if (tpp < 1) {
    throw new ConfigError(
      `Model "${modelId}" needs ${bpt} bytes per token (2 x ${layout.numLayers} layers x ${layout.numKvHeads} kv heads x ` +
        `${layout.headDim} head dim x ${layout.elementBytes} B), more than one page of ${pageBytes} bytes holds.`,
      'pool-too-small',
    );
  }
  return tpp;
}
