/**
 * Synthetic prompt token ids. Serving cost depends on token counts, not on which ids they are, but prefix
 * caching depends on ids being equal, so: shared system prompts are fixed id sequences made once per
 * workload, and every other id is drawn uniformly from [firstTokenId, vocabSize) by a seeded stream, which
 * makes accidental shared prefixes between unrelated prompts vanishingly rare (1/V per leading token).
 */
import type { Random } from './random';

export interface Vocab {
  vocabSize: number;
  /** Lowest id drawn (e.g. to keep clear of BOS/EOS/pad ids); default 0. */
  firstTokenId?: number;
}

export function checkVocab(v: Vocab): void {
  const first = v.firstTokenId ?? 0;
  if (!Number.isInteger(v.vocabSize) || !Number.isInteger(first) || first < 0 || v.vocabSize <= first) {
    throw new RangeError(`vocab: need integers 0 <= firstTokenId < vocabSize, got firstTokenId ${first}, vocabSize ${v.vocabSize}`);
  }
}

/** Appends `n` uniform ids from [firstTokenId, vocabSize) to `out`. */
export function appendRandomTokens(rng: Random, n: number, vocab: Vocab, out: number[]): number[] {
  const lo = vocab.firstTokenId ?? 0;
  const hi = vocab.vocabSize - 1;
  for (let i = 0; i < n; i++) out.push(rng.int(lo, hi));
  return out;
}

/** K shared prefixes of `length` ids each, all from one stream (so they depend on the seed only). */
export function makeSharedPrefixes(rng: Random, numPrefixes: number, length: number, vocab: Vocab): number[][] {
  const out: number[][] = [];
  for (let k = 0; k < numPrefixes; k++) out.push(appendRandomTokens(rng, length, vocab, []));
  return out;
}
