// attention-decode-subgroups: the decode-split items of attention.wgsl (one query token per item) computed
// by ONE subgroup per (item, kv head) with everything in registers: no workgroup memory, no barrier.
// Used where the device has `subgroups` (src/kernels/attention.ts, decodeKernel 'subgroup'; the rule
// that picks it per adapter is stated there).
//
// Math, for the item's decode token t (sequence s, position p) and the G query heads h = kvh * G + r of
// kv head kvh (grouped-query attention), over the item's keys j in [kvStart, kvEnd):
//   score_j = scale * dot(q[t][h], K[s][kvh][j]),   out[t][h] = sum_j softmax_j(score) * V[s][kvh][j]
//   kvStart = split * splitLen, kvEnd = min(p + 1, kvStart + splitLen), split = item % numSplits.
// Online softmax in f32 per lane (running max m, sum l, unnormalised acc), merged across lanes at the
// end by rescaling to the common max (FlashAttention / flash-decoding's combine).
//
// Bindings: below the `enable` directive; the same layout and Params as attention.wgsl (one bind group
// serves both pipelines).
//
// Workgroup: WG = the adapter's smallest subgroup size (TS), so the workgroup is ONE subgroup. Lane
// mapping (from subgroup_invocation_id, so it holds whatever order the driver numbers lanes in):
//   lane = ks * LK + l: LK lanes per key (l takes dim quads l, l + LK, ...: consecutive lanes read
//   consecutive 16-byte quads of a K or V row, coalesced), KP = WG / LK keys in flight (ks), key
//   j = kvStart + it * KP + ks at step it (a uniform trip count ceil(n / KP); keys past the end read
//   key kvStart and are masked).
//   The LK lanes of a key sum their partial dots with a subgroupShuffleXor butterfly (offsets < LK);
//   after the loop the KP key slots merge (m, l, acc) with a butterfly over offsets LK .. WG / 2.
//   Lanes of key slot 0 write the output (numSplits = 1) or the split's partials (attention-reduce.wgsl).
// Registers per lane: G * DQ query quads and accumulators (DQ = ceil(D / 4 / LK)); TS picks the smallest
// LK with G * DQ <= 16 (MAX_RQ), e.g. D 8, G 2, WG 4: LK 1, 4 keys in flight.
// Variants: PAGED (block-table lookup) as attention.wgsl; otherwise none.
enable subgroups;

@group(0) @binding(0) var<uniform> params: Params;                 // per-layer slot (dynamic offset)
@group(0) @binding(1) var<storage, read> q: array<vec4f>;          // [numTokens][qStride / 4]: head h at h * D
@group(0) @binding(2) var<storage, read> pool: array<vec4f>;       // KV pool, layout of kv-layout.ts (see attention.wgsl)
@group(0) @binding(3) var<storage, read> md: array<u32>;           // items [numItems][4] | positions at posOffset | block tables
@group(0) @binding(4) var<storage, read_write> out: array<vec4f>;  // [numTokens][numHeads][D / 4]
@group(0) @binding(5) var<storage, read_write> partials: array<vec4f>; // [numSplitItems][numKvHeads][G][D / 4 + 1]: acc | (m, l, 0, 0)

// Register bounds: G * DQ <= 16 (TS checks). Function-scope arrays cannot be override-sized, and every
// array is zero-initialised, so keep them small (and the K/V quads declared once, outside the key loop).
const MAX_RQ = 16u;  // G * DQ bound (query and accumulator registers)
const MAX_DQ = 16u;  // DQ bound (K and V quads of one key)
const MAX_G = 16u;   // G bound
const NEG = -1.0e30; // masked score (finite: exp(NEG - NEG) stays a number; p is forced to 0)

override D: u32 = 64u;       // head dim (multiple of 4, <= 128)
override G: u32 = 1u;        // query heads per kv head
override WG: u32 = 32u;      // threads = one subgroup
override LK: u32 = 1u;       // lanes per key (power of two <= WG)
override PAGED: bool = true; // paged pool (else contiguous cache)
override D4: u32 = D / 4u;
override DQ: u32 = (D4 + LK - 1u) / LK;
override KP: u32 = WG / LK;

struct Params {
  numHeads: u32,
  numKvHeads: u32,
  qStride: u32,
  numLayers: u32,
  layer: u32,
  tokensPerPage: u32,
  numSplits: u32,
  splitLen: u32,
  numSplitItems: u32,
  posOffset: u32,
  scale: f32,
  _pad: u32,
}

// vec4 index of (key position j, K) for kv head kvh of the item's sequence (attention.wgsl's keyBase).
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

// Sum over the LK lanes of one key (lanes ks * LK .. ks * LK + LK - 1).
fn laneSum(x: f32) -> f32 {
  var v = x;
  for (var o = 1u; o < LK; o = o * 2u) { v += subgroupShuffleXor(v, o); }
  return v;
}

@compute @workgroup_size(WG)
fn main(@builtin(subgroup_invocation_id) lane: u32, @builtin(workgroup_id) wid: vec3u) {
  let itemIdx = wid.x;
  let kvh = wid.y;
  let qStart = md[4u * itemIdx + 1u];
  let kvBase = md[4u * itemIdx + 3u];
  let split = itemIdx % params.numSplits;
  let kvEnd0 = md[params.posOffset + qStart] + 1u;
  let kvStart = min(split * params.splitLen, kvEnd0);
  let n = min(kvEnd0, kvStart + params.splitLen) - kvStart;
  let vShift = params.numKvHeads * params.tokensPerPage * D4;
  let l = lane % LK;
  let ks = lane / LK;

  // Query quads of the G heads (pre-scaled), running state.
  var qr: array<vec4f, MAX_RQ>;
  var acc: array<vec4f, MAX_RQ>;
  var m: array<f32, MAX_G>;
  var ls: array<f32, MAX_G>;
  let qBase = (qStart * params.qStride) / 4u + kvh * G * D4;
  for (var r = 0u; r < G; r++) {
    for (var dq = 0u; dq < DQ; dq++) {
      let d = dq * LK + l;
      qr[r * DQ + dq] = select(vec4f(0.0), q[qBase + r * D4 + min(d, D4 - 1u)] * params.scale, d < D4);
      acc[r * DQ + dq] = vec4f(0.0);
    }
    m[r] = NEG;
    ls[r] = 0.0;
  }

  let iters = (n + KP - 1u) / KP;
  var kq: array<vec4f, MAX_DQ>;
  var vq: array<vec4f, MAX_DQ>;
  for (var it = 0u; it < iters; it++) {
    let jj = it * KP + ks;
    let valid = jj < n;
    let kb = keyBase(kvBase, kvh, kvStart + select(0u, jj, valid));
    for (var dq = 0u; dq < DQ; dq++) {
      let d = dq * LK + l;
      kq[dq] = select(vec4f(0.0), pool[kb + min(d, D4 - 1u)], d < D4);
      vq[dq] = select(vec4f(0.0), pool[kb + vShift + min(d, D4 - 1u)], d < D4);
    }
    for (var r = 0u; r < G; r++) {
      var s = 0.0;
      for (var dq = 0u; dq < DQ; dq++) { s += dot(qr[r * DQ + dq], kq[dq]); }
      s = select(NEG, laneSum(s), valid);
      let mNew = max(m[r], s);
      let alpha = exp(m[r] - mNew);
      let p = select(0.0, exp(s - mNew), valid);
      ls[r] = ls[r] * alpha + p;
      for (var dq = 0u; dq < DQ; dq++) { acc[r * DQ + dq] = acc[r * DQ + dq] * alpha + p * vq[dq]; }
      m[r] = mNew;
    }
  }

  // Merge the KP key slots (offsets LK .. WG / 2), then key slot 0's lanes write.
  for (var r = 0u; r < G; r++) {
    var mAll = m[r];
    for (var o = LK; o < WG; o = o * 2u) { mAll = max(mAll, subgroupShuffleXor(mAll, o)); }
    let alpha = exp(m[r] - mAll);
    var lAll = ls[r] * alpha;
    for (var o = LK; o < WG; o = o * 2u) { lAll += subgroupShuffleXor(lAll, o); }
    for (var dq = 0u; dq < DQ; dq++) {
      var v = acc[r * DQ + dq] * alpha;
      for (var o = LK; o < WG; o = o * 2u) { v += subgroupShuffleXor(v, o); }
      acc[r * DQ + dq] = v;
    }
    m[r] = mAll;
    ls[r] = lAll;
  }
  if (ks == 0u) {
    for (var r = 0u; r < G; r++) {
      let h = kvh * G + r;
      for (var dq = 0u; dq < DQ; dq++) {
        let d = dq * LK + l;
        if (d < D4) {
          if (params.numSplits == 1u) {
            out[(qStart * params.numHeads + h) * D4 + d] = select(vec4f(0.0), acc[r * DQ + dq] / ls[r], ls[r] > 0.0);
          } else {
            let base = ((itemIdx * params.numKvHeads + kvh) * G + r) * (D4 + 1u);
            partials[base + d] = acc[r * DQ + dq];
            if (d == 0u) { partials[base + D4] = vec4f(m[r], ls[r], 0.0, 0.0); }
          }
        }
      }
    }
  }
}
