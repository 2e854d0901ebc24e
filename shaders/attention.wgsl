// attention: causal grouped-query attention for a mixed (varlen) batch, reading K/V from the paged pool
// through block tables (PAGED = true) or from a contiguous per-sequence cache (PAGED = false).
//
// Math, for each query token t of sequence s at absolute position p_t and each query head h:
//   kvh      = h / G                                  (G = numHeads / numKvHeads, grouped-query attention)
//   score_j  = scale * dot(q[t][h], K[s][kvh][j])     for key positions j in 0..p_t (causal)
//   out[t][h] = sum_j softmax_j(score) * V[s][kvh][j]
// computed with an online softmax in f32: a running max m, a running sum l and an unnormalised
// accumulator acc, rescaled by exp(m_old - m_new) whenever the max grows (FlashAttention).
//
// Work items. The host (src/kernels/attention-plan.ts) turns the batch into a list of items; one
// workgroup handles one item for one kv head (grid = (numItems of this variant, numKvHeads)):
//   item = (seq, qStart, qCount, kvBase) in md[4 * i ..]
//     qStart, qCount: the item's query tokens are qStart .. qStart + qCount - 1 (<= QT tokens, one sequence)
//     kvBase:         PAGED: word index in meta where the sequence's block table starts
//                     contiguous: the sequence's row in the cache (its "page")
// The workgroup computes ROWS = QT * G query rows (token tq = r / G, head kvh * G + r % G), so every K/V
// tile it stages serves all QT tokens and all G heads of the group at once.
//
// Variants (one file, chosen by overrides from TS):
//   TILE = true  ("prefill tile"): items numSplitItems .. numItems-1, QT query tokens each (a chunk of a
//                prefill), keys 0 .. max(p_t); writes out directly.
//   TILE = false ("decode split", flash-decoding): items 0 .. numSplitItems-1, one query token each; item i
//                is split (i % numSplits) of decode token (i / numSplits) and covers keys
//                [split * splitLen, min(p + 1, (split + 1) * splitLen)). With numSplits = 1 it writes out
//                directly; otherwise it writes its (m, l, acc) to partials and attention-reduce.wgsl combines.
//   PAGED = true / false: page layout below, or the contiguous pre-paging cache (page = seq row, tokensPerPage = maxLen).
//   LK (lanes per key), NRV (P.V rows per thread), QREG (query quads in registers), CLAMPK (no branches
//                around the score loop's K loads), BK, WG: work mapping only (same math); chosen per variant
//                and adapter by src/kernels/attention.ts.
//   Subgroup variant (SG_SUM, a separate pipeline): TS replaces the `lane-sum` block below with
//                shaders/attention-subgroups.wgsl (lanes summed by subgroupShuffleXor instead of partS).
//   Decode kernel: the decode-split items may instead run on shaders/attention-decode-subgroups.wgsl (one
//                subgroup per item and kv head, registers only, no barrier; same bindings and items),
//                chosen per adapter by chooseDecodeKernel in src/kernels/attention.ts (software adapters
//                with subgroups; hardware keeps this file's decode variant).
//
// KV page layout (the one definition is src/kernels/kv-layout.ts, kvOffset; kv-write.wgsl matches it):
//   pool[page][layer][kv][kvHead][slot][dim]   kv: 0 = K, 1 = V
//   offset = ((((page * numLayers + layer) * 2 + kv) * numKvHeads + kvHead) * tokensPerPage + slot) * D + dim
//   key position j of a sequence lives in page blockTable[j / tokensPerPage], slot j % tokensPerPage.
//   So one page's keys of one head are a contiguous tokensPerPage x D block: coalesced tile loads.
//
// Bindings:
@group(0) @binding(0) var<uniform> params: Params;                 // per-layer slot (dynamic offset, 256 B apart)
@group(0) @binding(1) var<storage, read> q: array<vec4f>;          // [numTokens][qStride / 4]: head h at h * D (fused QKV rows or plain Q)
@group(0) @binding(2) var<storage, read> pool: array<vec4f>;       // KV pool (layout above), f32
@group(0) @binding(3) var<storage, read> md: array<u32>;         // items [numItems][4] | positions [numTokens] at posOffset | block tables
@group(0) @binding(4) var<storage, read_write> out: array<vec4f>;  // [numTokens][numHeads][D / 4]
@group(0) @binding(5) var<storage, read_write> partials: array<vec4f>; // [numSplitItems][numKvHeads][G][D / 4 + 1]: acc | (m, l, 0, 0)
//
// Workgroup: WG threads (override). Per tile of BK keys:
//   1. scores: LK threads ("lanes") per key j: lane l reads dim quads l, l + LK, l + 2 LK, ... of K row j
//      and dots them with each of its query rows in qS. Consecutive threads therefore read consecutive
//      16-byte vec4s of one page's [slot][dim] block (LK = 8: each group of 8 lanes reads one 128-byte
//      line, a warp reads 32 / LK whole lines per load): coalesced. With LK = 1 a thread streams a whole
//      K row (one line per thread per load: fine for a prefill tile whose many rows reuse each K vec4,
//      uncoalesced for decode). With LK > 1 the lanes' partial dots go to partS and a second step sums
//      them (one more barrier). When WG > BK * LK, RG row groups share a key, each taking NR rows.
//   2. row max and rescale factor, then p = exp(s - m_new) in place.
//   3. P.V: thread -> (dim quad d, row group, key split js), NRV query rows per thread: each V vec4 is
//      loaded once and used for NRV rows (for decode NRV = G: one load serves every query head of the
//      kv head's group); consecutive threads read consecutive dim quads of a V row (coalesced).
// Barriers per tile: 4 (LK = 1 or SG_SUM) or 5 (LK > 1 without subgroups).
//   CLAMPK: the score loop has no branches around its K loads (indices clamped, masked contributions).
//   SG_SUM (subgroup variant, needs CLAMPK): the LK lanes of a key sum their partial dots with
//   subgroupShuffleXor instead of partS, so no partials and no fifth barrier.
// Every K and V element of the item's key range is read from global memory once per workgroup.
// Limits: D <= 128 (TS check), QT * G <= MAX_ROWS = 32, NRV <= MAX_NRV = 8; workgroup memory: see
// attentionWorkgroupBytes in src/kernels/attention.ts (qS + sS + partS + accS + lS + small arrays).

const MAX_ROWS = 32u;   // query rows per workgroup (QT * G), bound of the per-thread score registers
const MAX_NRV = 8u;     // bound of the per-thread P.V accumulators (NRV rows)
const MAX_QREG = 16u;   // bound of the per-thread query registers (QREG: NR * DQ vec4s)
// Masked scores. Finite so that exp(NEG - NEG) stays a number; p is forced to 0 for masked entries.
const NEG = -1.0e30;

override D: u32 = 64u;        // head dim (multiple of 4, <= 128)
override G: u32 = 1u;         // query heads per kv head
override QT: u32 = 1u;        // query tokens per item
override BK: u32 = 64u;       // keys per tile
override WG: u32 = 64u;       // threads per workgroup
override LK: u32 = 1u;        // score-phase lanes per key (power of two <= D / 4)
override NRV: u32 = 1u;       // P.V query rows per thread (<= min(ROWS, MAX_NRV))
override QREG: bool = false;  // score phase reads its query quads from registers (TS: only when RG = 1 and NR * DQ <= MAX_QREG)
override TILE: bool = false;  // prefill-tile variant (else decode-split)
override PAGED: bool = true;  // paged pool (else contiguous cache)
override CLAMPK: bool = false; // score loop without branches around its K loads (clamped indices, masked quads)

// BEGIN lane-sum. The subgroup variant (src/kernels/attention.ts) drops this block and prepends
// shaders/attention-subgroups.wgsl (`enable subgroups;`, SG_SUM = true, a shuffle-xor laneSum).
const SG_SUM = false;
fn laneSum(x: f32, lanes: u32) -> f32 { return x; }
// END lane-sum

override D4: u32 = D / 4u;
override ROWS: u32 = QT * G;
// P.V: RGV row groups of NRV rows; when RGV * D4 < WG the spare threads take every JS-th key.
override RGV: u32 = (ROWS + NRV - 1u) / NRV;
override JS: u32 = max(1u, WG / (RGV * D4));
// Scores: when WG > BK * LK several threads share a (key, lane), each taking NR of the rows.
override RG: u32 = max(1u, WG / (BK * LK));
override NR: u32 = (ROWS + RG - 1u) / RG;
// Partial dots [LK][PSTR]: lane l's row r key j at l * PSTR + r * BK + j. The pad of 32 / LK words
// puts the LK lanes x (32 / LK) keys of one warp's write on 32 different banks.
override PSTR: u32 = ROWS * BK + max(1u, 32u / LK);
override PS: u32 = select(1u, LK * PSTR, LK > 1u && !SG_SUM);
// Constant trip counts (the compiler unrolls them and issues the loads back to back).
override SCORE_ITERS: u32 = (BK * LK * RG + WG - 1u) / WG;
override DQ: u32 = (D4 + LK - 1u) / LK;

struct Params {
  numHeads: u32,
  numKvHeads: u32,
  qStride: u32,       // f32 elements between consecutive tokens' q rows
  numLayers: u32,
  layer: u32,
  tokensPerPage: u32, // contiguous: maxLen
  numSplits: u32,     // decode splits per decode token (>= 1)
  splitLen: u32,      // keys per split (a multiple of BK)
  numSplitItems: u32, // number of decode-split items (they come first in the item list)
  posOffset: u32,     // word offset of the positions array in meta
  scale: f32,         // 1 / sqrt(D)
  _pad: u32,
}

var<workgroup> qS: array<vec4f, ROWS * D4>;        // scaled query rows
var<workgroup> sS: array<f32, ROWS * BK>;          // scores, then probabilities, of the current tile
var<workgroup> partS: array<f32, PS>;              // per-lane partial dots (LK > 1), layout above
var<workgroup> accS: array<vec4f, ROWS * D4 * JS>; // unnormalised output per (key split, row, dim quad)
var<workgroup> lS: array<f32, ROWS * JS>;          // running softmax sums per (row, key split)
var<workgroup> mS: array<f32, 2u * ROWS>;          // running max, double-buffered by tile parity
var<workgroup> alphaS: array<f32, ROWS>;           // exp(m_old - m_new) of the current tile
var<workgroup> vBaseS: array<u32, BK>;             // vec4 index of V row (key j, dim 0) for the tile
var<workgroup> posS: array<u32, QT>;               // positions of the item's query tokens
var<workgroup> rangeS: vec2u;                      // [kvStart, kvEnd) of the item

// vec4 index of (key position j, K) for kv head kvh of the item's sequence.
fn keyBase(kvBase: u32, kvh: u32, j: u32) -> u32 {
  let tpp = params.tokensPerPage;
  var page = kvBase;
  var slot = j;
  if (PAGED) {
    page = md[kvBase + j / tpp];
    slot = j % tpp;
  }
  let off = ((((page * params.numLayers + params.layer) * 2u) * params.numKvHeads + kvh) * tpp + slot) * D;
  return off / 4u;
}

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) tid: u32, @builtin(workgroup_id) wid: vec3u) {
  var itemIdx = wid.x;
  if (TILE) { itemIdx = params.numSplitItems + wid.x; }
  let kvh = wid.y;
  let seqItem = vec4u(md[4u * itemIdx], md[4u * itemIdx + 1u], md[4u * itemIdx + 2u], md[4u * itemIdx + 3u]);
  let qStart = seqItem.y;
  let qCount = seqItem.z;
  let kvBase = seqItem.w;
  // V of (page, layer, kvh) sits numKvHeads * tokensPerPage * D elements after K.
  let vShift = params.numKvHeads * params.tokensPerPage * D4;
  var split = 0u;
  if (!TILE) { split = itemIdx % params.numSplits; }

  // ---- init: query rows (pre-scaled), positions, running state, key range
  for (var e = tid; e < ROWS * D4; e += WG) {
    let r = e / D4;
    let tq = r / G;
    var v = vec4f(0.0);
    if (tq < qCount) {
      let h = kvh * G + r % G;
      v = q[((qStart + tq) * params.qStride) / 4u + h * D4 + e % D4] * params.scale;
    }
    qS[e] = v;
  }
  for (var e = tid; e < QT; e += WG) {
    var p = 0u;
    if (e < qCount) { p = md[params.posOffset + qStart + e]; }
    posS[e] = p;
  }
  for (var e = tid; e < ROWS * D4 * JS; e += WG) { accS[e] = vec4f(0.0); }
  for (var e = tid; e < ROWS * JS; e += WG) { lS[e] = 0.0; }
  for (var e = tid; e < ROWS; e += WG) { mS[e] = NEG; }
  if (tid == 0u) {
    // Keys 0 .. max position of the item's tokens (positions increase within a sequence, but take the max anyway).
    var pmax = 0u;
    for (var i = 0u; i < qCount; i++) { pmax = max(pmax, md[params.posOffset + qStart + i]); }
    var r = vec2u(0u, pmax + 1u);
    if (!TILE) {
      r.x = min(split * params.splitLen, r.y);
      r.y = min(r.y, r.x + params.splitLen);
    }
    rangeS = r;
  }
  let range = workgroupUniformLoad(&rangeS); // also the barrier after the qS writes
  // QREG: with RG = 1 and WG a multiple of LK a thread's lane l = tid % LK is the same for every key it
  // scores, so the query quads it dots with are fixed: hold them in registers (qr[dq * NR + i] = row i,
  // quad dq * LK + l) instead of reading qS once per key.
  var qr: array<vec4f, MAX_QREG>;
  if (QREG) {
    for (var dq = 0u; dq < DQ; dq++) {
      let d = dq * LK + tid % LK;
      for (var i = 0u; i < NR; i++) {
        qr[dq * NR + i] = select(vec4f(0.0), qS[min(i, ROWS - 1u) * D4 + min(d, D4 - 1u)], d < D4 && i < ROWS);
      }
    }
  }
  let numTiles = (range.y - range.x + BK - 1u) / BK;

  var cur = 0u;
  for (var tile = 0u; tile < numTiles; tile++) {
    let t0 = range.x + tile * BK;
    let nk = min(BK, range.y - t0);
    let nxt = 1u - cur;

    // ---- 1. scores: s[r][j] = q_r . k_j, masked to NEG outside the causal range. Keys past the tile's
    //      end read key t0 (always in range) so every load stays in bounds; their scores are masked and
    //      their p is 0, so no later loop needs a bound that depends on nk (constant trip counts unroll).
    for (var it = 0u; it < SCORE_ITERS; it++) {
      let e0 = it * WG + tid;
      let live = e0 < BK * LK * RG;
      // CLAMPK: no early exit; a spare thread recomputes the last (key, lane, row group) and writes nothing.
      if (!CLAMPK && !live) { break; }
      let e = min(e0, BK * LK * RG - 1u);
      let l = e % LK;
      let j = (e / LK) % BK;
      let rg = e / (LK * BK);
      let valid = j < nk;
      let kb = keyBase(kvBase, kvh, select(t0, t0 + j, valid));
      if (live && rg == 0u && l == 0u) { vBaseS[j] = kb + vShift; }
      var s: array<f32, MAX_ROWS>;
      for (var i = 0u; i < NR; i++) { s[i] = 0.0; }
      for (var dq = 0u; dq < DQ; dq++) {
        let d = dq * LK + l;
        if (CLAMPK) {
          // Unconditional load of a valid address (quad min(d, D4 - 1)); a quad past D4 (only when LK does
          // not divide D4) contributes 0. Rows past ROWS (RG > 1) compute row ROWS - 1 and are not written.
          let kv = select(vec4f(0.0), pool[kb + min(d, D4 - 1u)], d < D4);
          for (var i = 0u; i < NR; i++) {
            if (QREG) {
              s[i] += dot(qr[dq * NR + i], kv);
            } else {
              s[i] += dot(qS[min(rg + i * RG, ROWS - 1u) * D4 + min(d, D4 - 1u)], kv);
            }
          }
        } else if (d < D4) {
          let kv = pool[kb + d];
          for (var i = 0u; i < NR; i++) {
            let r = rg + i * RG;
            if (QREG) {
              s[i] += dot(qr[dq * NR + i], kv);
            } else if (r < ROWS) {
              s[i] += dot(qS[r * D4 + d], kv);
            }
          }
        }
      }
      // SG_SUM: the LK lanes of a key (consecutive invocations, one subgroup) sum their partial dots by a
      // shuffle-xor butterfly; every thread calls it (no early exit: SG_SUM implies CLAMPK).
      if (SG_SUM) {
        for (var i = 0u; i < NR; i++) { s[i] = laneSum(s[i], LK); }
      }
      for (var i = 0u; i < NR; i++) {
        let r = rg + i * RG;
        if (live && r < ROWS) {
          if (LK == 1u || SG_SUM) {
            let tq = r / G;
            if (l == 0u) { sS[r * BK + j] = select(NEG, s[i], valid && tq < qCount && t0 + j <= posS[tq]); }
          } else {
            partS[l * PSTR + r * BK + j] = s[i];
          }
        }
      }
    }
    if (LK > 1u && !SG_SUM) {
      workgroupBarrier();
      // Sum the lanes' partial dots (consecutive threads read consecutive words of each lane's block).
      for (var e = tid; e < ROWS * BK; e += WG) {
        let j = e % BK;
        let tq = (e / BK) / G;
        var s = 0.0;
        for (var l = 0u; l < LK; l++) { s += partS[l * PSTR + e]; }
        sS[e] = select(NEG, s, j < nk && tq < qCount && t0 + j <= posS[tq]);
      }
    }
    workgroupBarrier();

    // ---- 2a. per row: new running max and the rescale factor for what was accumulated so far
    for (var r = tid; r < ROWS; r += WG) {
      var mt = NEG;
      for (var j = 0u; j < BK; j++) { mt = max(mt, sS[r * BK + j]); }
      let mOld = mS[cur * ROWS + r];
      let mNew = max(mOld, mt);
      mS[nxt * ROWS + r] = mNew;
      alphaS[r] = exp(mOld - mNew);
    }
    workgroupBarrier();

    // ---- 2b. probabilities in place; masked entries are exactly 0
    for (var e = tid; e < ROWS * BK; e += WG) {
      let s = sS[e];
      sS[e] = select(0.0, exp(s - mS[nxt * ROWS + e / BK]), s > 0.5 * NEG);
    }
    workgroupBarrier();

    // ---- 3. acc = acc * alpha + P . V ; l = l * alpha + sum P. Rows of a padding token have p = 0.
    for (var e = tid; e < D4 * RGV * JS; e += WG) {
      let d = e % D4;
      let r0 = ((e / D4) % RGV) * NRV;
      let js = e / (D4 * RGV);
      var acc: array<vec4f, MAX_NRV>;
      var lsum: array<f32, MAX_NRV>;
      for (var i = 0u; i < NRV; i++) {
        let r = min(r0 + i, ROWS - 1u);
        acc[i] = accS[(js * ROWS + r) * D4 + d] * alphaS[r];
        lsum[i] = 0.0;
      }
      // Constant trip count (BK / JS, rounded up): unrolled, so the V loads issue back to back.
      for (var jj = 0u; jj < (BK + JS - 1u) / JS; jj++) {
        let j = js + jj * JS;
        if (j < BK) {
          let v = pool[vBaseS[j] + d];
          for (var i = 0u; i < NRV; i++) {
            let p = sS[min(r0 + i, ROWS - 1u) * BK + j];
            acc[i] += p * v;
            lsum[i] += p;
          }
        }
      }
      for (var i = 0u; i < NRV; i++) {
        let r = r0 + i;
        if (r < ROWS) {
          accS[(js * ROWS + r) * D4 + d] = acc[i];
          if (d == 0u) { lS[r * JS + js] = lS[r * JS + js] * alphaS[r] + lsum[i]; }
        }
      }
    }
    workgroupBarrier();
    cur = nxt;
  }

  // ---- combine key splits, then normalise (direct) or store (m, l, acc) for the reduce kernel
  let direct = TILE || params.numSplits == 1u;
  for (var e = tid; e < ROWS * D4; e += WG) {
    let r = e / D4;
    let d = e % D4;
    let tq = r / G;
    if (tq >= qCount) { continue; }
    var acc = vec4f(0.0);
    var l = 0.0;
    for (var js = 0u; js < JS; js++) {
      acc += accS[js * ROWS * D4 + e];
      l += lS[r * JS + js];
    }
    let h = kvh * G + r % G;
    if (direct) {
      out[((qStart + tq) * params.numHeads + h) * D4 + d] = select(vec4f(0.0), acc / l, l > 0.0);
    } else {
      let base = ((itemIdx * params.numKvHeads + kvh) * G + r % G) * (D4 + 1u);
      partials[base + d] = acc;
      if (d == 0u) { partials[base + D4] = vec4f(mS[cur * ROWS + r], l, 0.0, 0.0); }
    }
  }
}
