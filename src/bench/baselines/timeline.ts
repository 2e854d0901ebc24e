/**
 * What one side of the baseline comparison produced in one repetition, and the rates derived from it.
 * Both implementations are measured the same way: performance.now() when the requests were submitted,
 * and when each token reached the caller (our engine's token event, transformers.js's streamer put()).
 */
export interface Timeline {
  /** Per request: its new tokens, and the time each one arrived. */
  tokens: number[][];
  times: number[][];
  startMs: number;
  endMs: number;
}

export interface TimelineStats {
  /** Mean and largest time from submission to a request's first token (its prefill, plus queueing). */
  ttftMeanMs: number;
  ttftMaxMs: number;
  /**
   * Steady-state decode: the window from the moment every request had its first token (all prefills
   * done) to the last token, and the tokens that arrived inside it. For one request that is its tokens
   * 2..N over the time between its first and last token.
   */
  decodeMs: number;
  decodeTokens: number;
  decodeTokensPerS: number;
  /** Submission to the last token, every token counted (prefill included). */
  e2eMs: number;
  e2eTokensPerS: number;
  /** Tokens per distinct arrival time: how many requests each forward pass served (1 = one at a time). */
  tokensPerStep: number;
}

export function timelineStats(t: Timeline): TimelineStats {
  const firsts = t.times.map((ts) => ts[0] ?? NaN);
  const all = t.times.flat();
  const tA = Math.max(...firsts);
  const tB = Math.max(...all);
  const decodeTokens = all.filter((x) => x > tA).length;
  const decodeMs = tB - tA;
  const ttfts = firsts.map((f) => f - t.startMs);
  const e2eMs = t.endMs - t.startMs;
  return {
    ttftMeanMs: ttfts.reduce((a, b) => a + b, 0) / ttfts.length,
    ttftMaxMs: Math.max(...ttfts),
    decodeMs,
    decodeTokens,
    decodeTokensPerS: decodeMs > 0 ? (1000 * decodeTokens) / decodeMs : NaN,
    e2eMs,
    e2eTokensPerS: (1000 * all.length) / e2eMs,
    tokensPerStep: all.length / new Set(all).size,
  };
}

/** Throws, naming the request and the first position where two greedy continuations differ. */
export function assertSameTokens(what: string, ours: number[][], theirs: number[][]): void {
  if (ours.length !== theirs.length) throw new Error(`${what}: ${ours.length} requests on our side, ${theirs.length} on transformers.js's`);
  for (let r = 0; r < ours.length; r++) {
    const a = ours[r]!;
    const b = theirs[r]!;
    const n = Math.max(a.length, b.length);
    for (let i = 0; i < n; i++) {
      if (a[i] !== b[i]) {
        throw new Error(
          `${what}: greedy continuations differ at new token ${i} of request ${r}: ours ${a[i] ?? '(none)'}, transformers.js ${b[i] ?? '(none)'} ` +
            `(ours [${a.slice(0, i + 1).join(' ')}${i + 1 < a.length ? ' ..' : ''}], transformers.js [${b.slice(0, i + 1).join(' ')}${i + 1 < b.length ? ' ..' : ''}])`,
        );
      }
    }
  }
}

export { median } from '../../metrics';
