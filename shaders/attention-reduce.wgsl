// attention-reduce: combines the decode splits of attention.wgsl (flash-decoding's second pass).
//
// Math, for decode token i (items i * numSplits + s, s < numSplits) and query head h, with each split's
// running max m_s, softmax sum l_s and unnormalised accumulator acc_s (empty splits: m_s = -1e30, l_s = 0):
//   M = max_s m_s,   w_s = exp(m_s - M)
//   out[t][h] = sum_s w_s * acc_s / sum_s w_s * l_s        where t = qStart of item i * numSplits
//
// Bindings:
@group(0) @binding(0) var<uniform> params: Params;                   // same struct as attention.wgsl (per-layer slot)
@group(0) @binding(1) var<storage, read> md: array<u32>;           // items [numItems][4] (seq, qStart, qCount, kvBase)
@group(0) @binding(2) var<storage, read> partials: array<vec4f>;     // [numSplitItems][numHeads][D / 4 + 1]: acc | (m, l, 0, 0)
@group(0) @binding(3) var<storage, read_write> out: array<vec4f>;    // [numTokens][numHeads][D / 4]
//
// Workgroup: WG threads (override) over the D / 4 dim quads of one (decode token, head);
// grid = (numSplitItems / numSplits, numHeads).

override D: u32 = 64u;
override WG: u32 = 32u;
override D4: u32 = D / 4u;

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

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) tid: u32, @builtin(workgroup_id) wid: vec3u) {
  let first = wid.x * params.numSplits;
  let h = wid.y;
  let token = md[4u * first + 1u];
  var m = -1.0e30;
  for (var s = 0u; s < params.numSplits; s++) {
    m = max(m, partials[((first + s) * params.numHeads + h) * (D4 + 1u) + D4].x);
  }
  for (var d = tid; d < D4; d += WG) {
    var acc = vec4f(0.0);
    var l = 0.0;
    for (var s = 0u; s < params.numSplits; s++) {
      let base = ((first + s) * params.numHeads + h) * (D4 + 1u);
      let ml = partials[base + D4];
      let w = exp(ml.x - m);
      acc += w * partials[base + d];
      l += w * ml.y;
    }
    out[(token * params.numHeads + h) * D4 + d] = select(vec4f(0.0), acc / l, l > 0.0);
  }
}
