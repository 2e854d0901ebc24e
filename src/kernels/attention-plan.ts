/**
 * Host side of the attention family: turns one step's batch (sequences with their query tokens, context
 * lengths and block tables) into the work-item list and metadata words that shaders/attention.wgsl reads,
 * and chooses the decode split count. Plain TypeScript (no GPU), so it is unit-testable and the engine
 * can build it once per step and upload it with one writeBuffer.
 *
 * Batch semantics (vLLM v1's flattened "varlen" form): the step's query tokens form one flat list; the
 * tokens of sequence s are queryStart .. queryStart + queryLen - 1 and sit at absolute positions
 * contextLen - queryLen .. contextLen - 1 (contextLen counts this step's tokens, whose K/V the kv-write
 * kernel has already stored). Token t attends to positions 0 .. position(t) of its sequence.
 *
 * Routing: a sequence with queryLen == 1 (decode) becomes numSplits "decode split" items (flash-decoding:
 * the context is cut into splits of splitLen keys so a few long decodes still fill the GPU); any other
 * sequence (a prefill chunk) becomes ceil(queryLen / QT) "prefill tile" items of up to QT query tokens
 * that share every K/V tile they load.
 *
 * meta (u32 words), one buffer:
 *   [0, 4 * numItems)                   items (seq, qStart, qCount, kvBase); decode-split items first,
 *                                       item i of decode d = d * numSplits + split
 *   [posOffset, posOffset + numTokens)  absolute position of every query token
 *   [btOffset, ...)                     block tables, one after another (paged); kvBase points into here
 * Contiguous mode has no block tables: kvBase is the sequence's row of the contiguous cache.
 */

export interface AttentionSeq {
  /** First query token of this sequence in the flat batch. */
  queryStart: number;
  /** Query tokens of this sequence in this step (1 for a decode). */
  queryLen: number;
  /** Tokens of the sequence in the KV cache including this step's: position of its last query token + 1. */
  contextLen: number;
  /** Paged: the sequence's pages in order, covering at least contextLen tokens. */
  blockTable?: ArrayLike<number>;
  /** Contiguous: the sequence's row in the [seq][maxLen] cache (default: its index in `seqs`). */
  cacheRow?: number;
}

export interface AttentionBatch {
  numTokens: number;
  seqs: AttentionSeq[];
}

export interface SplitPolicy {
  /** Decode workgroups wanted in flight: numDecode * numKvHeads * numSplits is raised toward this. */
  targetWorkgroups: number;
  /** A split covers at least this many keys, so partial writes and the reduce stay small next to the K/V reads. */
  minKeysPerSplit: number;
  /** Upper bound (sizes the partials buffer). */
  maxSplits: number;
}

/**
 * Split policy by adapter. A real GPU needs many workgroups in flight to hide memory latency (an H100 /
 * H200 has 132 SMs, each holding several workgroups), so decode is split until about 4096 workgroups
 * exist, but never below 128 keys per split. Measured on an H200 (Dawn/Vulkan, bench/results/
 * kernels-attention-h200.json), batch 32 x context 4096 x 8 kv heads x D 128: no split 2.95 ms,
 * target 1024 1.05 ms, 2048 1.04 ms, 4096 1.04 ms (64-thread tiles); with 128-thread tiles of 128 keys,
 * target 1024 1.19 ms and 4096 0.82 ms. A software adapter (SwiftShader, a CPU with a few cores) is
 * already full with numDecode * numKvHeads workgroups, and every split only adds partial writes and a
 * reduce: it never splits.
 */
export function defaultSplitPolicy(isSoftware: boolean): SplitPolicy {
  return isSoftware
    ? { targetWorkgroups: 1, minKeysPerSplit: 128, maxSplits: 16 }
    : { targetWorkgroups: 4096, minKeysPerSplit: 128, maxSplits: 16 };
}

/**
 * numSplits = min(ceil(targetWorkgroups / (numDecode * numKvHeads)), ceil(maxContext / minKeysPerSplit),
 * maxSplits), at least 1; splitLen = ceil(maxContext / numSplits) rounded up to a multiple of bk (whole
 * tiles), and numSplits is then recomputed so no split lies wholly past maxContext.
 */
export function chooseDecodeSplits(
  numDecode: number,
  numKvHeads: number,
  maxContext: number,
  bk: number,
  policy: SplitPolicy,
): { numSplits: number; splitLen: number } {
  if (numDecode === 0 || maxContext <= 0) return { numSplits: 1, splitLen: Math.max(bk, Math.ceil(Math.max(maxContext, 1) / bk) * bk) };
  const want = Math.ceil(policy.targetWorkgroups / (numDecode * numKvHeads));
  const byLen = Math.ceil(maxContext / policy.minKeysPerSplit);
  let numSplits = Math.max(1, Math.min(want, byLen, policy.maxSplits));
  const splitLen = Math.ceil(Math.ceil(maxContext / numSplits) / bk) * bk;
  numSplits = Math.ceil(maxContext / splitLen);
  return { numSplits, splitLen };
}

export interface AttentionPlan {
  numTokens: number;
  numDecode: number;
  numSplits: number;
  splitLen: number;
  numSplitItems: number;
  numTileItems: number;
  posOffset: number;
  /** The meta words to upload (a view of the scratch array). */
  meta: Uint32Array<ArrayBuffer>;
}

export interface PlanOptions {
  /** Query tokens per prefill-tile item (the TILE pipeline's QT). */
  qt: number;
  /** Keys per tile (BK). */
  bk: number;
  paged: boolean;
  numKvHeads: number;
  /** Contiguous: cache rows (maxLen) bound contextLen. */
  maxLen?: number;
  tokensPerPage: number;
  policy: SplitPolicy;
}

/** Words of meta needed for a batch (for capacity checks). */
export function metaWords(batch: AttentionBatch, qt: number, maxSplits: number, paged: boolean): number {
  let items = 0;
  let bt = 0;
  for (const s of batch.seqs) {
    items += s.queryLen === 1 ? maxSplits : Math.ceil(s.queryLen / qt);
    if (paged) bt += s.blockTable?.length ?? 0;
  }
  return 4 * items + batch.numTokens + bt;
}

/**
 * Builds the item list into `scratch` (reused across steps; must hold metaWords(...) words) and checks
 * the batch: query ranges inside numTokens, contexts >= queryLen, block tables long enough.
 */
export function buildAttentionPlan(batch: AttentionBatch, o: PlanOptions, scratch: Uint32Array<ArrayBuffer>): AttentionPlan {
  const { seqs, numTokens } = batch;
  const decodes: number[] = [];
  const prefills: number[] = [];
  let maxDecodeContext = 0;
  let numTileItems = 0;
  let btWords = 0;
  for (let i = 0; i < seqs.length; i++) {
    const s = seqs[i]!;
    if (!(s.queryLen >= 1 && s.queryStart >= 0 && s.queryStart + s.queryLen <= numTokens)) {
      throw new RangeError(`attention batch: seq ${i} query tokens [${s.queryStart}, ${s.queryStart + s.queryLen}) outside [0, ${numTokens}).`);
    }
    if (s.contextLen < s.queryLen) throw new RangeError(`attention batch: seq ${i} contextLen ${s.contextLen} < queryLen ${s.queryLen}.`);
    if (o.paged) {
      const need = Math.ceil(s.contextLen / o.tokensPerPage);
      if ((s.blockTable?.length ?? 0) < need) {
        throw new RangeError(`attention batch: seq ${i} has ${s.blockTable?.length ?? 0} pages, needs ${need} for ${s.contextLen} tokens.`);
      }
      btWords += s.blockTable!.length;
    } else if (o.maxLen !== undefined && s.contextLen > o.maxLen) {
      throw new RangeError(`attention batch: seq ${i} contextLen ${s.contextLen} > contiguous maxLen ${o.maxLen}.`);
    }
    if (s.queryLen === 1) {
      decodes.push(i);
      maxDecodeContext = Math.max(maxDecodeContext, s.contextLen);
    } else {
      prefills.push(i);
      numTileItems += Math.ceil(s.queryLen / o.qt);
    }
  }
  const { numSplits, splitLen } = chooseDecodeSplits(decodes.length, o.numKvHeads, maxDecodeContext, o.bk, o.policy);
  const numSplitItems = decodes.length * numSplits;
  const numItems = numSplitItems + numTileItems;
  const posOffset = 4 * numItems;
  const btOffset = posOffset + numTokens;
  const total = btOffset + btWords;
  if (total > scratch.length) throw new RangeError(`attention batch: needs ${total} metadata words, capacity is ${scratch.length}.`);
  const meta = scratch.subarray(0, total);

  // Block tables and each sequence's kvBase.
  const kvBase = new Array<number>(seqs.length);
  let w = btOffset;
  for (let i = 0; i < seqs.length; i++) {
    const s = seqs[i]!;
    if (o.paged) {
      kvBase[i] = w;
      meta.set(s.blockTable!, w);
      w += s.blockTable!.length;
    } else {
      kvBase[i] = s.cacheRow ?? i;
    }
    for (let k = 0; k < s.queryLen; k++) meta[posOffset + s.queryStart + k] = s.contextLen - s.queryLen + k;
  }
  let item = 0;
  const put = (seq: number, qStart: number, qCount: number) => {
    meta[4 * item] = seq;
    meta[4 * item + 1] = qStart;
    meta[4 * item + 2] = qCount;
    meta[4 * item + 3] = kvBase[seq]!;
    item++;
  };
  for (const i of decodes) for (let sp = 0; sp < numSplits; sp++) put(i, seqs[i]!.queryStart, 1);
  for (const i of prefills) {
    const s = seqs[i]!;
    for (let q0 = 0; q0 < s.queryLen; q0 += o.qt) put(i, s.queryStart + q0, Math.min(o.qt, s.queryLen - q0));
  }
  return { numTokens, numDecode: decodes.length, numSplits, splitLen, numSplitItems, numTileItems, posOffset, meta };
}
